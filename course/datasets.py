"""What every dataset loader gives: whole recordings through ``piece(i)``, the same fields each time.

A loader (``data_scripts.maestro.MaestroDataset``, ``data_scripts.multi_dataset.MultiInstrumentDataset``,
and the loaders of the other homeworks' sets) has ``len(dataset)``, ``dataset.sample_rate`` and
``dataset.piece(i)``, which returns a :class:`Recording` (or a subclass with more labels). Code
that scores whole pieces reads only these, so it runs on any of them and on plain lists of
recordings (:func:`iter_pieces`).

Used by: the loaders in ``data_scripts``, the evaluation code of every homework.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from course.notes import Notes


@dataclasses.dataclass
class Recording:
    """One decoded recording of a dataset.

    Attributes:
        audio: ``(N,)`` float32 mono samples at the dataset's ``sample_rate``.
        notes: its notes (an empty :class:`~course.notes.Notes` where a set has none).
        path: the audio file.
        title: the piece it performs (a split never holds two recordings of one piece in two splits).
    """

    audio: np.ndarray
    notes: Notes
    path: str
    title: str


def iter_pieces(dataset) -> Iterator[Recording]:
    """The recordings of a loader (through ``piece(i)``) or of a plain sequence of recordings."""
    for i in range(len(dataset)):
        yield dataset.piece(i) if hasattr(dataset, "piece") else dataset[i]
