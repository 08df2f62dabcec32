"""Release, autograde, feedback and export, on nbgrader's own API.

Nothing here re-implements nbgrader: releases come from ``GenerateAssignment``, grades from
``Autograde``, feedback from ``GenerateFeedback`` and the gradebook CSV from ``nbgrader export``.
What this module adds is what a class of real submissions needs around them:

* every submission is autograded in a process of its own, under a time limit, with the
  gradebook saved before and checked after, so a broken or hostile submission (invalid JSON,
  deleted or duplicated cells, a dead kernel, code that kills or tampers with the grader) is
  reported with its reason and never stops the others or loses their grades;
* a per-student table of autograded points.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys

from autograder import cells
from autograder.config import make_config
from autograder.workspace import api_for, check_result, collect, db_path, init_workspace, refresh_source

log = logging.getLogger("autograder")


@dataclasses.dataclass
class Result:
    student: str
    status: str  # "graded" or "failed"
    auto_score: float = 0.0
    auto_max: float = 0.0
    manual_max: float = 0.0
    reason: str = ""
    cell_scores: dict = dataclasses.field(default_factory=dict)


def _inspect(workspace: pathlib.Path, homework: str, student: str) -> tuple[str, str]:
    """Look at a submission before grading it.

    Returns:
        ``(fatal, notes)``: why it cannot be graded at all (a missing or unreadable notebook), and
        what nbgrader copes with but the instructor should hear about (deleted grade cells score 0,
        only the last copy of a duplicated cell is graded).
    """
    import nbformat

    folder = workspace / "submitted" / student / homework
    notes = []
    for source in sorted((workspace / "source" / homework).glob("*.ipynb")):
        path = folder / source.name
        if not path.exists():
            return f"notebook {source.name} is missing from the submission", ""
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as e:  # nbformat raises NotJSONError, ValidationError, UnicodeDecodeError...
            first = str(e).strip().splitlines()[0][:120] if str(e).strip() else ""
            return f"{source.name} is not a readable notebook ({e.__class__.__name__}: {first})", ""
        expected = cells.grade_ids(nbformat.read(str(source), as_version=4))
        found = cells.grade_ids(nb)
        missing = [g for g in expected if g not in found]
        doubled = sorted({g for g in found if found.count(g) > 1})
        if missing:
            notes.append(f"{source.name}: deleted cells {', '.join(missing)} (scored 0)")
        if doubled:
            _keep_last_copy(nb, doubled)
            nbformat.write(nb, str(path))  # the workspace's copy; the collected original is untouched
            notes.append(f"{source.name}: duplicated cells {', '.join(doubled)} (only the last copy is graded)")
    return "", "; ".join(notes)


def _keep_last_copy(nb, grade_ids) -> None:
    """Make every copy but the last of a duplicated grade cell an ordinary cell.

    nbgrader's own DeduplicateIds means to do this, but in 0.9.6 it leaves an empty ``nbgrader``
    entry that later preprocessors reject, failing the whole submission (jupyter/nbgrader#1083).
    """
    seen = set()
    for cell in reversed(nb.cells):
        grade_id = cells.grade_id(cell)
        if grade_id in grade_ids:
            if grade_id in seen:
                del cell.metadata["nbgrader"]
            seen.add(grade_id)


def _scores_snapshot(db: pathlib.Path) -> dict:
    """Every grade row: id -> (student, auto, manual, extra credit), to see what a run touched."""
    if not db.exists():
        return {}
    with contextlib.closing(sqlite3.connect(str(db))) as con:
        rows = con.execute(
            "SELECT grade.id, submitted_assignment.student_id, auto_score, manual_score, extra_credit FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id").fetchall()
    return {row[0]: row[1:] for row in rows}


def _db_intact(db: pathlib.Path) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(str(db))) as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.Error:
        return False


_KNOWN_FAILURES = (  # (text in nbgrader's log, what it means for the instructor)
    ("DeadKernelError", "the kernel died while running the notebook (os._exit, a crash or out of memory)"),
    ("UnresponsiveKernelError", "the kernel stopped answering"),
    ("CellTimeoutError", "a cell ran past the per-cell time limit"),
    ("NotJSONError", "the notebook is not valid JSON"),
    ("file is not a database", "the gradebook was damaged while this submission ran"),
)


def _summarise_failure(stdout: str, stderr: str) -> str:
    """One line saying why nbgrader failed on a submission, from its log."""
    text = (stdout or "") + "\n" + (stderr or "")
    for marker, meaning in _KNOWN_FAILURES:
        if marker in text:
            return meaning
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error" in ln and "Please see the" not in ln]
    return (errors[-1] if errors else lines[-1] if lines else "nbgrader failed without a message")[:200]


def autograde_one(workspace: pathlib.Path, homework: str, student: str, cell_timeout: int,
                  env: dict | None = None) -> tuple[bool, str]:
    """Autograde one submission in a child process; return (success, reason)."""
    fatal, notes = _inspect(workspace, homework, student)
    if fatal:
        return False, fatal
    db = db_path(workspace)
    # The copy is kept in this process's memory: the submission runs as the same user and could
    # reach any file we write, but not the grader's memory.
    saved = db.read_bytes()
    before = _scores_snapshot(db)
    refresh_source(workspace)
    n_cells = sum(len(json.loads(p.read_text())["cells"]) for p in (workspace / "source" / homework).glob("*.ipynb"))
    limit = cell_timeout * 2 + 30 * n_cells + 120  # a whole-run bound beyond nbgrader's per-cell one
    cmd = [sys.executable, "-m", "autograder", "_autograde_one", "--workspace", str(workspace),
           "--homework", homework, "--student", student, "--timeout", str(cell_timeout)]
    proc = subprocess.Popen(cmd, cwd=str(workspace), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=limit)
        ok, reason = proc.returncode == 0, ""
        if proc.returncode < 0:
            reason = f"the grading process was killed ({signal.Signals(-proc.returncode).name})"
        elif proc.returncode != 0:
            reason = _summarise_failure(stdout, stderr)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        ok, reason = False, f"grading took longer than {limit} s and was stopped"
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # kernels or children the submission left behind
    # Grades of the others must be exactly as before; anything else means tampering or a crash.
    intact = _db_intact(db)
    after = _scores_snapshot(db) if intact else None
    others_changed = after is None or any(after.get(k) != v for k, v in before.items() if v[0] != student)
    if not intact:
        ok, reason = False, "the submission damaged the gradebook; its grades were discarded"
    if not ok or others_changed:
        for leftover in db.parent.glob(db.name + "-*"):  # a journal of the broken run
            leftover.unlink()
        db.write_bytes(saved)
        # its half-written output would trip feedback and export, which read every autograded folder
        shutil.rmtree(workspace / "autograded" / student / homework, ignore_errors=True)
        if ok:
            ok, reason = False, "the submission tampered with the gradebook; its grades were discarded"
    if ok:
        notes = "; ".join(n for n in (notes, _timeouts(workspace, homework, student)) if n)
    return ok, "; ".join(r for r in (reason, notes) if r)


def _timeouts(workspace: pathlib.Path, homework: str, student: str) -> str:
    """Cells nbgrader interrupted at the per-cell time limit (graded as errors, worth reporting)."""
    hits = []
    for path in sorted((workspace / "autograded" / student / homework).glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        n = sum(1 for c in cells for o in c.get("outputs", []) if o.get("ename") == "CellTimeoutError")
        if n:
            hits.append(f"{path.name}: {n} cell(s) interrupted at the time limit")
    return "; ".join(hits)


def run_autograde_child(workspace: pathlib.Path, homework: str, student: str, cell_timeout: int) -> int:
    """Body of the child process: nbgrader's Autograde for one student."""
    config = make_config(workspace, cell_timeout=cell_timeout)
    result = api_for(config).autograde(homework, student, force=True, create=True)
    if not result.get("success"):
        print(result.get("log") or "", result.get("error") or "", sep="\n")
        return 1
    return 0


def grade(submissions: pathlib.Path, workspace: pathlib.Path, homework: str,
          cell_timeout: int, profile: str = "ci") -> list[Result]:
    """Autograde every collected submission of ``homework``; never stops at a bad one.

    Args:
        submissions: one folder per student (see :func:`collect`).
        workspace: the grading workspace (created if missing).
        homework: e.g. ``"hw5_basic_pitch"``.
        cell_timeout: seconds a single cell may run.
        profile: ``COURSE_PROFILE`` of the grading kernels (``ci``: training cells take seconds).
    """
    workspace = init_workspace(workspace, cell_timeout)
    config = make_config(workspace, cell_timeout=cell_timeout)
    api = api_for(config)
    # nbgrader records the assignment's cells (hidden tests included) in the gradebook.
    check_result(api.generate_assignment(homework, force=True, create=True), f"register {homework} in the gradebook")
    students = collect(submissions, workspace, homework)
    # One thread per kernel: grading is often run beside other work (or several graders at once),
    # and oversubscribed OpenMP threads slow torch down by an order of magnitude.
    env = {**os.environ, "COURSE_PROFILE": profile, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    results = []
    for student in students:
        ok, reason = autograde_one(workspace, homework, student, cell_timeout, env)
        log.info("graded %s: %s %s", student, "ok" if ok else "FAILED", reason)
        results.append(_result(workspace, homework, student, ok, reason))
    return results


def _result(workspace: pathlib.Path, homework: str, student: str, ok: bool, reason: str) -> Result:
    """Points per grade cell from the gradebook (nbgrader's ``Gradebook`` API)."""
    from nbgrader.api import Gradebook, MissingEntry

    result = Result(student, "graded" if ok else "failed", reason=reason)
    with Gradebook(f"sqlite:///{db_path(workspace)}") as gb:
        assignment = gb.find_assignment(homework)
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                score = None
                if ok:
                    with contextlib.suppress(MissingEntry):
                        score = gb.find_grade(cell.name, notebook.name, homework, student).auto_score
                if _is_autograded(cell):
                    result.auto_max += cell.max_score
                    result.auto_score += score or 0.0
                    result.cell_scores[cell.name] = score or 0.0
                else:
                    result.manual_max += cell.max_score
    return result


def _is_autograded(cell) -> bool:
    """Autograded = a locked test cell (nbgrader: code, grade, not solution)."""
    from nbgrader.api import GradeCell

    return isinstance(cell, GradeCell) and cell.cell_type == "code" and not _is_solution(cell)


def _is_solution(cell) -> bool:
    solutions = {c.name for c in cell.notebook.solution_cells}
    return cell.name in solutions


def feedback(workspace: pathlib.Path, homework: str) -> list[pathlib.Path]:
    """HTML feedback per autograded student (``nbgrader generate_feedback``); returns the files.

    One student at a time, so that one student's problem is reported without stopping the rest.
    """
    workspace = pathlib.Path(workspace)
    api = api_for(make_config(workspace))
    for folder in sorted((workspace / "autograded").glob(f"*/{homework}")):
        student = folder.parent.name
        result = api.generate_feedback(homework, student_id=student, force=True)
        if not result.get("success"):
            log.warning("no feedback for %s: %s", student, _summarise_failure(result.get("log", ""), result.get("error", "")))
    return sorted((workspace / "feedback").glob(f"*/{homework}/*.html"))


def export(workspace: pathlib.Path, to: pathlib.Path) -> pathlib.Path:
    """The CSV gradebook (``nbgrader export``) of every assignment and student in the workspace."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    config = make_config(workspace)
    config.CsvExportPlugin.to = str(to)
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
        CsvExportPlugin(config=config).export(gb)
    return pathlib.Path(to)


def format_table(results: list[Result]) -> str:
    """A per-student score table for the terminal."""
    rows = [("student", "status", "autograded", "manual (to grade)", "reason")]
    for r in results:
        rows.append((r.student, r.status, f"{r.auto_score:g} / {r.auto_max:g}", f"{r.manual_max:g} pts", r.reason or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
