"""The student bundle, and the rubric of the written answers.

The bundle is what students receive: the releases (``assignments/``), the library (``course/``),
the dataset builders (``data_scripts/``), the set-up (``run.sh``, ``pyproject.toml``,
``environment.yml``) and a student README. Never ``solutions/`` or ``autograder/``.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import zipfile

from autograder import cells
from autograder.config import REPO

BUNDLE_ITEMS = ("assignments", "course", "data_scripts", "run.sh", "pyproject.toml", "environment.yml")
# Text that must never reach a student: solution regions, hidden tests, the reference code.
FORBIDDEN = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "autograder.reference",
             "#| reference:", "#| trusted:")


def make_student_bundle(dest: pathlib.Path) -> pathlib.Path:
    """Write the student bundle to ``dest`` (a folder) and ``dest.zip``; returns the zip.

    Raises:
        RuntimeError: if anything in the bundle contains solution or hidden-test text.
    """
    dest = pathlib.Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    for item in BUNDLE_ITEMS:
        src = REPO / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=ignore)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / item)
    shutil.copy2(REPO / "autograder" / "STUDENT_README.md", dest / "README.md")
    leaks = find_leaks(dest)
    if leaks:
        raise RuntimeError("The student bundle would leak instructor material:\n" + "\n".join(leaks))
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in dest.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(dest.parent)), date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return archive


def find_leaks(folder: pathlib.Path) -> list[str]:
    """Files under ``folder`` that hold solution regions, hidden tests or reference code."""
    leaks = []
    for path in sorted(pathlib.Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".ipynb", ".md", ".txt", ".cfg", ".toml", ".yml", ".sh"}:
            continue
        text = path.read_text(errors="ignore")
        leaks += [f"{path}: contains {marker!r}" for marker in FORBIDDEN if marker in text]
    for name in ("solutions", "autograder"):
        leaks += [f"{p}: instructor folder" for p in pathlib.Path(folder).rglob(name) if p.is_dir()]
    return leaks


def rubric(homework: str) -> str:
    """The rubric of every manually graded answer of a homework, read from its source notebooks.

    The rubric lives in the solution region of each written answer, after a ``**Rubric`` line,
    so it is written once, beside the model answer, and never released.
    """
    out = []
    for path in sorted((REPO / "solutions" / homework).glob("*.ipynb")):
        for cell in filter(cells.is_written_answer, cells.read(path).cells):
            meta = cell.metadata.nbgrader
            match = re.search(r"\*\*Rubric.*?(?=### END SOLUTION|$)", cell.source, re.S)
            out.append(f"## {path.stem} / {meta['grade_id']} ({meta['points']} pts)\n"
                       + (match.group(0).strip() if match else "(no rubric written)"))
    return "\n\n".join(out) or f"No written answers in {homework}."
