"""Profiles: every size in the course (data, model, iterations) comes from here.

Three profiles, chosen with the environment variable ``COURSE_PROFILE``:

* ``ci``  -- the test suite and autograding: every notebook runs in seconds.
* ``cpu`` -- the default without CUDA: a training run takes minutes on a 2-core laptop.
* ``gpu`` -- the default with CUDA: the original courses' hyperparameters.

Notebooks never hard-code a size; they read it from :func:`current`::

    from course.profiles import current
    P = current()
    P.data.piano.n_train_pieces, P.hw4.steps, P.hw5.problem_set.bce_steps, P.hw5.nmp.steps

Sizes of the embedded datasets are under ``P.data.<set>``, sizes of a homework under
``P.hw<n>``. Torch-free, so the dataset builders can read it.

Used by: every homework notebook, ``data_scripts`` (dataset sizes) and ``bench/``.
"""
from __future__ import annotations

import dataclasses
import os

PROFILE_NAMES = ("ci", "cpu", "gpu")


@dataclasses.dataclass(frozen=True)
class RenderedSetSizes:
    """Sizes of a set rendered from the corpus (``data_scripts.piano``, ``data_scripts.multi``)."""

    n_train_pieces: int
    n_validation_pieces: int
    n_test_pieces: int
    train_renditions: int  # renditions (transposition/tempo/velocity variants) per training piece
    max_seconds: float  # each rendition is cut after the first note that starts past this time


@dataclasses.dataclass(frozen=True)
class SweepSizes:
    """hw4 Q2's hyperparameter sweeps of the baseline (``course.hw4_transcription.experiments``).

    The architecture grid is ``sequence_lengths x cnn_units x fc_units`` at the middle learning
    rate without weight decay; the optimiser grid is ``lrs x weight_decays`` at the architecture
    grid's centre. ``gpu`` runs the original course's full grids; ``cpu`` the centre and one axis
    changed at a time (``subset="axes"``), at a budget that shows each axis' trend in minutes.
    """

    sequence_lengths: tuple[int, ...]  # crop lengths in samples (51200 = 100 frames)
    cnn_units: tuple[int, ...]
    fc_units: tuple[int, ...]
    lrs: tuple[float, ...]
    weight_decays: tuple[float, ...]
    steps: int  # optimiser steps per run, the same for every run
    batch_size: int
    subset: str  # "full" or "axes"


@dataclasses.dataclass(frozen=True)
class DataSizes:
    """Sizes of every embedded dataset.

    ``multi`` (hw5_basic_pitch) is sized for a Basic Pitch model to train in about 10 minutes on
    2 cores in ``cpu``; ``gpu`` is larger.
    """

    piano: RenderedSetSizes  # data_scripts.piano: hw4_transcription, the hw5 problem set
    multi: RenderedSetSizes  # data_scripts.multi: hw5_basic_pitch


@dataclasses.dataclass(frozen=True)
class TranscriptionSizes:
    """Sizes of hw4_transcription (Onsets and Frames on the piano set).

    ``gpu`` is KAIST GCT634 HW3's setting (batch 16, crops of 102400 samples = 200 frames,
    ``cnn_unit`` 48, ``fc_unit`` 256, Adam 6e-4 decayed by 0.98 every 1000 steps, clipping at 3)
    with 3000 steps; ``cpu`` is sized to train in under 10 minutes on 2 cores (``bench/hw4_transcription.py``).
    """

    batch_size: int  # crops per step
    sequence_length: int  # crop length in samples, a multiple of 512 (102400 = 200 frames)
    steps: int  # optimiser steps
    cnn_unit: int  # channels C of the first two convolutions (the third has 2C)
    fc_unit: int  # ConvStack output features per frame
    rnn_unit: int  # BiLSTM hidden units per direction
    lr: float  # Adam learning rate
    lr_decay_steps: int  # StepLR period
    lr_decay_rate: float  # StepLR factor
    clip_grad_norm: float  # maximum total gradient norm
    validation_interval: int  # validate every that many steps (0: only at the end)
    ablation_steps: int  # steps of each Q3 ablation run (every model gets the same budget)
    sweep: SweepSizes  # Q2's sweeps


@dataclasses.dataclass(frozen=True)
class ProblemSetSizes:
    """Sizes of hw5's problem set (median filtering, weighted BCE)."""

    bce_steps: int  # optimiser steps of the onset detector trained once per positive weight
    bce_weights: tuple[float, ...]  # positive weights compared in the sweep
    n_pieces: int  # pieces of the piano test split used for the posteriorgram experiments


@dataclasses.dataclass(frozen=True)
class NMPSizes:
    """Sizes of hw5's Basic Pitch notebook (``course.hw5_basic_pitch``).

    ``gpu`` is Basic Pitch's ``train.py`` setting (batch 16, Adam 1e-3) for a budget of
    minutes on one GPU; ``cpu`` trains in at most 10 minutes on 2 cores (``bench/hw5_basic_pitch.py``);
    ``ci`` runs in seconds.
    """

    batch_size: int  # 2-s windows per step
    steps: int  # optimiser steps of the main model (the paper's layers)
    lr: float  # Adam learning rate
    onset_positive_weight: float  # of the NMP loss (bench/measurements.md: why 30)
    clip_grad_norm: float  # maximum total gradient norm
    validation_interval: int  # validation loss every that many steps (0: only at the end)
    n_validation_windows: int  # fixed validation windows (seeded)
    ablation_steps: int  # steps of each ablation / augmentation run (all runs of a table share it)
    augment_probability: float  # of each augmentation, per window
    hop_frames: int  # grid of training window starts (cached log-CQTs)
    n_eval_pieces: int  # test pieces scored in the notebook (0: all)


@dataclasses.dataclass(frozen=True)
class BasicPitchSizes:
    """Sizes of hw5_basic_pitch: its two notebooks."""

    problem_set: ProblemSetSizes  # problem_set.ipynb
    nmp: NMPSizes  # basic_pitch.ipynb


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    data: DataSizes
    hw4: TranscriptionSizes
    hw5: BasicPitchSizes
    num_workers: int  # processes for the dataset build


_PROFILES = {
    "ci": Profile(
        name="ci",
        data=DataSizes(piano=RenderedSetSizes(3, 1, 2, 1, 12.0), multi=RenderedSetSizes(3, 1, 2, 1, 12.0)),
        hw4=TranscriptionSizes(batch_size=2, sequence_length=16384, steps=5, cnn_unit=4, fc_unit=16,
                               rnn_unit=8, lr=6e-4, lr_decay_steps=10000, lr_decay_rate=0.98,
                               clip_grad_norm=3.0, validation_interval=0, ablation_steps=5,
                               sweep=SweepSizes(sequence_lengths=(8192, 16384), cnn_units=(2, 4), fc_units=(8, 16),
                                                lrs=(1e-3, 1e-2), weight_decays=(0.0, 1e-4), steps=2,
                                                batch_size=2, subset="axes")),
        hw5=BasicPitchSizes(
            problem_set=ProblemSetSizes(bce_steps=60, bce_weights=(1.0, 5.0, 20.0), n_pieces=2),
            nmp=NMPSizes(batch_size=2, steps=3, lr=3e-3, onset_positive_weight=30.0, clip_grad_norm=3.0,
                         validation_interval=0, n_validation_windows=2, ablation_steps=2, augment_probability=0.5,
                         hop_frames=8, n_eval_pieces=1)),
        num_workers=1,
    ),
    "cpu": Profile(
        name="cpu",
        data=DataSizes(piano=RenderedSetSizes(60, 8, 8, 2, 40.0), multi=RenderedSetSizes(40, 6, 8, 2, 30.0)),
        hw4=TranscriptionSizes(batch_size=8, sequence_length=51200, steps=1500, cnn_unit=8, fc_unit=128,
                               rnn_unit=64, lr=1e-3, lr_decay_steps=10000, lr_decay_rate=0.98,
                               clip_grad_norm=3.0, validation_interval=250, ablation_steps=500,
                               sweep=SweepSizes(sequence_lengths=(51200, 102400, 204800), cnn_units=(12, 24, 48),
                                                fc_units=(32, 64, 128), lrs=(1e-4, 1e-3, 1e-2),
                                                weight_decays=(0.0, 1e-4, 1e-3), steps=80, batch_size=4, subset="axes")),
        hw5=BasicPitchSizes(
            problem_set=ProblemSetSizes(bce_steps=300, bce_weights=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), n_pieces=8),
            nmp=NMPSizes(batch_size=8, steps=150, lr=3e-3, onset_positive_weight=30.0, clip_grad_norm=3.0,
                         validation_interval=50, n_validation_windows=16, ablation_steps=150,
                         augment_probability=0.3, hop_frames=8, n_eval_pieces=0)),
        num_workers=2,
    ),
    "gpu": Profile(
        name="gpu",
        data=DataSizes(piano=RenderedSetSizes(300, 40, 40, 3, 90.0), multi=RenderedSetSizes(300, 40, 40, 3, 60.0)),
        hw4=TranscriptionSizes(batch_size=16, sequence_length=102400, steps=3000, cnn_unit=48, fc_unit=256,
                               rnn_unit=88, lr=6e-4, lr_decay_steps=1000, lr_decay_rate=0.98,
                               clip_grad_norm=3.0, validation_interval=500, ablation_steps=3000,
                               sweep=SweepSizes(sequence_lengths=(51200, 102400, 204800), cnn_units=(12, 24, 48),
                                                fc_units=(32, 64, 128), lrs=(1e-4, 1e-3, 1e-2),
                                                weight_decays=(0.0, 1e-4, 1e-3), steps=1000, batch_size=16, subset="full")),
        hw5=BasicPitchSizes(
            problem_set=ProblemSetSizes(bce_steps=1000, bce_weights=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), n_pieces=40),
            nmp=NMPSizes(batch_size=16, steps=3000, lr=1e-3, onset_positive_weight=30.0, clip_grad_norm=3.0,
                         validation_interval=250, n_validation_windows=64, ablation_steps=3000,
                         augment_probability=0.3, hop_frames=4, n_eval_pieces=0)),
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
