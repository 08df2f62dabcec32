"""The main job: the whole life of every homework on a demo class.

Data built (by run.sh), releases generated, and per homework a class of three submitted -- the
reference solution (with the files it hands in, such as hw4's checkpoint), the untouched release,
and one submission with a plausible mistake -- autograded, feedback written, the gradebook
exported, and a per-student table printed and checked: the reference earns every autograded
point, the untouched release none, and the mistaken submission loses exactly the points of the
part it gets wrong.
"""
from __future__ import annotations

import pathlib
import shutil
import time

from autograder import grading
from autograder.bundle import make_student_bundle
from autograder.config import REPO
from autograder.mistakes import MISTAKES, write_submission
from autograder.workspace import generate_releases


def make_demo_class(homework: str, submissions: pathlib.Path):
    """Three submissions of ``homework``; returns the mistake the third one makes."""
    for student in ("reference", "untouched", "one_mistake"):
        if (submissions / student / homework).exists():
            shutil.rmtree(submissions / student / homework)
    write_submission(homework, submissions / "reference" / homework)
    untouched = submissions / "untouched" / homework
    untouched.mkdir(parents=True)
    for nb in (REPO / "assignments" / homework).glob("*.ipynb"):
        shutil.copy2(nb, untouched / nb.name)
    mistake = MISTAKES[homework][0]
    write_submission(homework, submissions / "one_mistake" / homework, mistake)
    return mistake


def run_demo(homeworks: list[str] | None, out: pathlib.Path, cell_timeout: int) -> int:
    """The demo for ``homeworks`` (default: every homework with a mistake catalogue); 0 when every check holds."""
    out = pathlib.Path(out).resolve()
    t0 = time.perf_counter()
    stamp = lambda what: print(f"[{time.perf_counter() - t0:6.1f} s] {what}", flush=True)  # noqa: E731

    released = generate_releases()
    stamp(f"releases generated: {', '.join(released)} -> assignments/")
    bundle = make_student_bundle(out / "student_bundle")
    stamp(f"student bundle: {bundle}")

    workspace, all_ok = out / "grading", True
    if workspace.exists():
        shutil.rmtree(workspace)  # a fresh gradebook: the demo's grades only
    for homework in homeworks or sorted(MISTAKES):
        mistake = make_demo_class(homework, out / "submissions")
        stamp(f"{homework}: demo class: reference, untouched, one_mistake ({mistake.name})")
        results = grading.grade(out / "submissions", workspace, homework, cell_timeout)
        stamp(f"{homework}: autograded")
        files = grading.feedback(workspace, homework)
        stamp(f"{homework}: feedback: {len(files)} HTML files under {workspace / 'feedback'}")

        print()
        print(grading.format_table(results))
        print()
        by_student = {r.student: r for r in results}
        ref, untouched, wrong = by_student["reference"], by_student["untouched"], by_student["one_mistake"]
        lost = sum(ref.cell_scores[c] for c in mistake.loses)
        checks = [
            ("reference earns every autograded point", ref.status == "graded" and ref.auto_score == ref.auto_max),
            ("untouched release earns no autograded point", untouched.auto_score == 0),
            (f"one_mistake loses exactly the {lost:g} points of {', '.join(mistake.loses)}",
             wrong.auto_score == ref.auto_max - lost
             and all(wrong.cell_scores[c] == 0 for c in mistake.loses)),
        ]
        for what, ok in checks:
            print(f"  {'ok ' if ok else 'FAIL'}  {homework}: {what}")
        all_ok = all_ok and all(ok for _, ok in checks)
    csv = grading.export(workspace, out / "grades.csv")
    stamp(f"gradebook: {csv}")
    stamp("done")
    return 0 if all_ok else 1
