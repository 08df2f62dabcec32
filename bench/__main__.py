"""Run every benchmark and write the table to ``bench/results.md``.

Speed and quality targets live here, never in timed tests. Measured:

* CQT: the course's batched CQT (nnAudio) vs librosa.cqt on the same 16 x 2 s batch, and their agreement;
* dataset build time per profile (a fresh build into a temporary folder);
* the main job's time (``python -m autograder demo``, data already built);
* execution time of every solution notebook per profile.

Usage: ``python -m bench [--profiles ci cpu] [--skip build,notebooks,demo,cqt]``
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from bench.common import REPO, load_average, machine, timed

RESULTS = REPO / "bench" / "results.md"


def timed_command(cmd, env=None) -> float:
    """Seconds a command takes (its output discarded)."""
    return timed(lambda: subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, check=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))[1]


def bench_cqt() -> list[str]:
    from bench.features import run

    r = run()
    return ["## CQT (16 clips x 2 s at 22050 Hz, 309 bins)", "",
            "| course CQT (nnAudio) | librosa.cqt | speed-up | relative error | correlation |", "|---|---|---|---|---|",
            f"| {r['course_cqt_s']:.3f} s | {r['librosa_cqt_s']:.3f} s | {r['speedup']:.1f}x | "
            f"{r['rel_error']:.4f} | {r['correlation']:.5f} |", ""]


def bench_build(profiles) -> list[str]:
    rows = ["## Dataset build (embedded piano set, fresh build)", "", "| profile | seconds |", "|---|---|"]
    for profile in profiles:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = timed_command([sys.executable, "-m", "data_scripts.piano", "--profile", profile,
                             "--root", str(pathlib.Path(tmp) / "piano")])
        rows.append(f"| {profile} | {seconds:.1f} |")
    return rows + [""]


def bench_notebooks(profiles) -> list[str]:
    import nbformat
    from nbclient import NotebookClient

    rows = ["## Solution notebooks, top to bottom", "", "| notebook | profile | seconds |", "|---|---|---|"]
    for path in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for profile in profiles:
            subprocess.run([sys.executable, "-m", "data_scripts", "build", "--profile", profile], cwd=REPO,
                           check=True, stdout=subprocess.DEVNULL)
            with tempfile.TemporaryDirectory() as tmp:
                work = pathlib.Path(tmp) / path.parent.name
                shutil.copytree(path.parent, work)
                nb = nbformat.read(str(work / path.name), as_version=4)
                os.environ["COURSE_PROFILE"] = profile
                t0 = time.perf_counter()
                NotebookClient(nb, timeout=3600, kernel_name="python3",
                               resources={"metadata": {"path": str(work)}}).execute()
                rows.append(f"| {path.parent.name}/{path.name} | {profile} | {time.perf_counter() - t0:.1f} |")
    os.environ.pop("COURSE_PROFILE", None)
    return rows + [""]


def bench_demo() -> list[str]:
    subprocess.run([sys.executable, "-m", "data_scripts", "build", "--profile", "ci"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        seconds = timed_command([sys.executable, "-m", "autograder", "demo", "--out", tmp])
    return ["## Main job", "", "`python -m autograder demo` (releases, a class of 3 graded, feedback, "
            "gradebook; data already built)", "", f"{seconds:.1f} s", ""]


# The models' tables take one training run per row, so they have commands of their own.
MODEL_TABLES = ["## Models", "",
                "* hw4 transcription (training time; frame, note and note-with-offset F1 per model and profile):",
                "  `python -m bench.hw4_transcription --profile cpu --all` -> `bench/hw4_transcription.md`",
                "* hw5 Basic Pitch (released model vs the course's layers with its weights vs trained here; ablations;",
                "  robustness): `python -m bench.hw5_basic_pitch --profile cpu` -> `bench/hw5_basic_pitch.md`", ""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--profiles", nargs="+", default=["ci", "cpu"])
    parser.add_argument("--skip", default="", help="comma-separated: cqt,build,notebooks,demo")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    load_start = load_average()
    lines = ["# Benchmarks", "", f"{machine()} Written by `python -m bench {' '.join(argv or sys.argv[1:])}`.", ""]
    for name, run in [("cqt", bench_cqt), ("build", lambda: bench_build(args.profiles)),
                      ("demo", bench_demo), ("notebooks", lambda: bench_notebooks(args.profiles))]:
        if name not in skip:
            print(f"benchmark: {name}", flush=True)
            lines += run()
    lines.insert(3, f"Load average (1, 5, 15 min) at the start {load_start}, at the end {load_average()}: "
                    "other work on the machine slows every figure here.")
    lines.insert(4, "")
    lines += MODEL_TABLES
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
