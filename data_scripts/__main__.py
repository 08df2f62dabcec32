"""``python -m data_scripts build --profile ci|cpu|gpu [--seed 0] [--force]``: build every embedded
dataset of a profile into its default folder (``data/<profile>/<name>``); sets already built are
kept. Also fetches the released Basic Pitch weights into ``data/weights`` (hw5). Used by ``run.sh``
(``bash run.sh data``)."""
from __future__ import annotations

import argparse
import time

from course.profiles import PROFILE_NAMES
from data_scripts import multi, piano
from data_scripts.build import summary

BUILDERS = (piano.build_piano_dataset, multi.build_multi_dataset)  # build(profile_name=, seed=, force=) -> root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m data_scripts", description="Build the embedded datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the embedded datasets of a profile")
    build.add_argument("--profile", choices=PROFILE_NAMES, default=None, help="default: COURSE_PROFILE or the machine's")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--force", action="store_true", help="rebuild sets that are already complete")
    args = parser.parse_args(argv)
    for builder in BUILDERS:
        start = time.perf_counter()
        root = builder(profile_name=args.profile, seed=args.seed, force=args.force)
        print(f"{summary(root)}; {time.perf_counter() - start:.1f} s -> {root}")
    from data_scripts.weights import fetch_basic_pitch_onnx  # hw5: Spotify's released Basic Pitch weights

    print(f"released Basic Pitch weights -> {fetch_basic_pitch_onnx()}")


if __name__ == "__main__":
    main()
