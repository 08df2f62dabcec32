"""The main job: the whole life of a homework on a demo class.

Data built (by run.sh), releases generated, a class of three submitted -- the reference
solution, the untouched release, and one submission with a plausible mistake -- autograded,
feedback written, the gradebook exported, and a per-student table printed and checked:
the reference earns every autograded point, the untouched release none, and the mistaken
submission loses exactly the points of the part it gets wrong.
"""
from __future__ import annotations

import pathlib
import shutil
import time

from autograder import grading
from autograder.bundle import make_student_bundle
from autograder.config import REPO
from autograder.mistakes import MISTAKES, write_submission


def make_demo_class(homework: str, submissions: pathlib.Path):
    """Three submissions of ``homework``; returns the mistake the third one makes."""
    if submissions.exists():
        shutil.rmtree(submissions)
    write_submission(homework, submissions / "reference" / homework)
    untouched = submissions / "untouched" / homework
    untouched.mkdir(parents=True)
    for nb in (REPO / "assignments" / homework).glob("*.ipynb"):
        shutil.copy2(nb, untouched / nb.name)
    mistake = MISTAKES[homework][0]
    write_submission(homework, submissions / "one_mistake" / homework, mistake)
    return mistake


def run_demo(homework: str, out: pathlib.Path, cell_timeout: int) -> int:
    out = pathlib.Path(out).resolve()
    t0 = time.perf_counter()
    stamp = lambda what: print(f"[{time.perf_counter() - t0:6.1f} s] {what}", flush=True)  # noqa: E731

    homeworks = grading.generate_releases()
    stamp(f"releases generated: {', '.join(homeworks)} -> assignments/")
    bundle = make_student_bundle(out / "student_bundle")
    stamp(f"student bundle: {bundle}")

    mistake = make_demo_class(homework, out / "submissions")
    stamp(f"demo class: reference, untouched, one_mistake ({mistake.name})")

    workspace = out / "grading"
    results = grading.grade(out / "submissions", workspace, homework, cell_timeout)
    stamp("autograded")
    files = grading.feedback(workspace, homework)
    stamp(f"feedback: {len(files)} HTML files under {workspace / 'feedback'}")
    csv = grading.export(workspace, out / "grades.csv")
    stamp(f"gradebook: {csv}")

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
        print(f"  {'ok ' if ok else 'FAIL'}  {what}")
    stamp("done")
    return 0 if all(ok for _, ok in checks) else 1
