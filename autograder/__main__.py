"""The instructor's command line: ``python -m autograder <command>`` (or ``bash run.sh <command>``).

Commands:
  release   generate every homework's student release (assignments/) and the student bundle
  collect   sort an LMS download (zip) into one folder per student (nbgrader zip_collect)
  grade     autograde a folder of collected submissions (one folder per student)
  feedback  write HTML feedback per student
  export    write the CSV gradebook
  demo      the whole life of a homework on a demo class (the README's main job)
  rubric    print the rubric of a homework's written answers
"""
from __future__ import annotations

import argparse
import logging
import pathlib
import sys

from autograder.config import DEFAULT_CELL_TIMEOUT, REPO

BUILD = REPO / "build"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate assignments/ from solutions/ and the student bundle")
    p.add_argument("homeworks", nargs="*", help="homework folders (default: all in solutions/)")
    p.add_argument("--bundle", type=pathlib.Path, default=BUILD / "student_bundle")

    p = sub.add_parser("collect", help="sort an LMS download into one folder per student")
    p.add_argument("homework")
    p.add_argument("download", type=pathlib.Path, help="the LMS's zip file, or a folder of them")
    p.add_argument("--to", type=pathlib.Path, default=BUILD / "collected", help="one sub-folder per student")
    p.add_argument("--regexp", default=None, help="file-name pattern with the groups student_id, file_id "
                   "(default: Canvas's names)")

    p = sub.add_parser("grade", help="autograde collected submissions")
    p.add_argument("homework")
    p.add_argument("submissions", type=pathlib.Path, help="folder with one sub-folder per student")
    p.add_argument("--workspace", type=pathlib.Path, default=BUILD / "grading")
    p.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT, help="seconds per cell")
    p.add_argument("--profile", default="ci", help="COURSE_PROFILE of the grading kernels")

    p = sub.add_parser("feedback", help="HTML feedback per student")
    p.add_argument("homework")
    p.add_argument("--workspace", type=pathlib.Path, default=BUILD / "grading")

    p = sub.add_parser("export", help="CSV gradebook")
    p.add_argument("--workspace", type=pathlib.Path, default=BUILD / "grading")
    p.add_argument("--to", type=pathlib.Path, default=BUILD / "grades.csv")

    p = sub.add_parser("demo", help="data, release, a demo class graded, feedback, gradebook")
    p.add_argument("--homework", action="append", dest="homeworks",
                   help="a homework to demonstrate (repeatable; default: every homework)")
    p.add_argument("--out", type=pathlib.Path, default=BUILD / "demo")
    p.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT)

    p = sub.add_parser("rubric", help="print the rubric of the written answers")
    p.add_argument("homework")

    p = sub.add_parser("_autograde_one")  # internal: the child process of `grade`
    p.add_argument("--workspace", type=pathlib.Path, required=True)
    p.add_argument("--homework", required=True)
    p.add_argument("--student", required=True)
    p.add_argument("--timeout", type=int, required=True)

    args = parser.parse_args(argv)
    # nbgrader's apps log every file they touch; only their errors matter here, and those also
    # come back in each call's result. Our own progress lines go to stdout.
    logging.basicConfig(level=logging.ERROR, format="%(message)s", stream=sys.stderr)
    logging.getLogger().handlers[0].setLevel(logging.ERROR)  # nbgrader's API logger is set to INFO
    logging.getLogger("autograder").setLevel(logging.INFO)
    logging.getLogger("autograder").addHandler(logging.StreamHandler(sys.stdout))
    logging.getLogger("autograder").propagate = False

    from autograder import grading, workspace

    if args.command == "_autograde_one":
        return grading.run_autograde_child(args.workspace.resolve(), args.homework, args.student, args.timeout)
    if args.command == "release":
        from autograder.bundle import make_student_bundle

        homeworks = workspace.generate_releases(args.homeworks or None)
        bundle = make_student_bundle(args.bundle)
        print(f"released {', '.join(homeworks)} into assignments/; student bundle: {bundle}")
        return 0
    if args.command == "collect":
        from autograder.collect import CANVAS, collect_download

        students = collect_download(args.homework, args.download, args.to, args.regexp or CANVAS)
        print(f"collected {len(students)} students of {args.homework} into {args.to}: {', '.join(students)}")
        return 0
    if args.command == "grade":
        results = grading.grade(args.submissions, args.workspace, args.homework, args.timeout, args.profile)
        print(grading.format_table(results))
        return 0
    if args.command == "feedback":
        files = grading.feedback(args.workspace, args.homework)
        print(f"wrote {len(files)} feedback files under {args.workspace / 'feedback'}")
        return 0
    if args.command == "export":
        print(f"gradebook: {grading.export(args.workspace, args.to)}")
        return 0
    if args.command == "rubric":
        from autograder.bundle import rubric

        print(rubric(args.homework))
        return 0
    if args.command == "demo":
        from autograder.demo import run_demo

        return run_demo(args.homeworks, args.out, args.timeout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
