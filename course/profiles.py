"""Profiles: every size in the course (data, model, iterations) comes from here.

Three profiles, chosen with the environment variable ``COURSE_PROFILE``:

* ``ci``  -- the test suite and autograding: every notebook runs in seconds.
* ``cpu`` -- the default without CUDA: a training run takes minutes on a 2-core laptop.
* ``gpu`` -- the default with CUDA: the original courses' hyperparameters.

Notebooks never hard-code a size; they read it from :func:`current`::

    from course.profiles import current
    P = current()
    P.piano.n_train_pieces, P.hw5.bce_steps

Used by: every homework notebook, ``data_scripts`` (dataset sizes) and ``bench/``.
"""
from __future__ import annotations

import dataclasses
import os

PROFILE_NAMES = ("ci", "cpu", "gpu")


@dataclasses.dataclass(frozen=True)
class PianoDataSizes:
    """Sizes of the embedded piano set (``data_scripts.piano``)."""

    n_train_pieces: int
    n_validation_pieces: int
    n_test_pieces: int
    train_renditions: int  # renditions (transposition/tempo/velocity variants) per training piece
    max_seconds: float  # each rendition is cut after the first note that starts past this time


@dataclasses.dataclass(frozen=True)
class ProblemSetSizes:
    """Sizes of the hw5 problem set (median filtering, weighted BCE)."""

    bce_steps: int  # optimiser steps of the onset detector trained once per positive weight
    bce_weights: tuple[float, ...]  # positive weights compared in the sweep
    n_pieces: int  # pieces of the piano test split used for the posteriorgram experiments


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    piano: PianoDataSizes
    hw5: ProblemSetSizes
    num_workers: int  # processes for the dataset build


_PROFILES = {
    "ci": Profile(
        name="ci",
        piano=PianoDataSizes(3, 1, 2, 1, 12.0),
        hw5=ProblemSetSizes(bce_steps=60, bce_weights=(1.0, 5.0, 20.0), n_pieces=2),
        num_workers=1,
    ),
    "cpu": Profile(
        name="cpu",
        piano=PianoDataSizes(60, 8, 8, 2, 40.0),
        hw5=ProblemSetSizes(bce_steps=300, bce_weights=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), n_pieces=8),
        num_workers=2,
    ),
    "gpu": Profile(
        name="gpu",
        piano=PianoDataSizes(300, 40, 40, 3, 90.0),
        hw5=ProblemSetSizes(bce_steps=1000, bce_weights=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), n_pieces=40),
        num_workers=4,
    ),
}


def default_profile_name() -> str:
    """``gpu`` where CUDA is available, else ``cpu``."""
    try:
        import torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    except ImportError:  # the data builders can run without torch
        return "cpu"


def current(name: str | None = None) -> Profile:
    """The profile named by ``name``, else by ``COURSE_PROFILE``, else the machine's default.

    Raises:
        ValueError: for a name that is not one of ``ci``, ``cpu``, ``gpu``.
    """
    name = name or os.environ.get("COURSE_PROFILE") or default_profile_name()
    if name not in _PROFILES:
        raise ValueError(
            f"Unknown profile {name!r}: expected one of {', '.join(PROFILE_NAMES)}. "
            "Set COURSE_PROFILE=ci (tests), cpu (laptop) or gpu (original sizes)."
        )
    return _PROFILES[name]
