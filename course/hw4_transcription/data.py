"""hw4's training data: log-mel frames and labels computed once per piece, random crops of them.

Used by: hw4_transcription (training, evaluation, the sweeps).
"""
from __future__ import annotations

import numpy as np
import torch

from course.hw4_transcription.constants import FRAME_RATE, HOP_LENGTH, N_KEYS, SILENCE
from course.notes import notes_to_rolls


class TranscriptionFeatures(torch.utils.data.Dataset):
    """Log-mel frames and onset/frame labels of every piece of a dataset, computed once.

    Computing the log-mel of every crop at every step costs more than a small model's step on a
    CPU; here each piece's ``(T, 229)`` log-mel is computed once, at construction, and training
    crops are slices of it. Memory: about 1.1 kB per frame (1 hour = 112 500 frames = 125 MB).

    Each item is a dict:

    * ``mel``: float32 ``(F, 229)``; ``onset``, ``frame``: float32 ``(F, 88)`` in {0, 1};
    * crops (``sequence_length`` given): ``F = sequence_length // 512`` frames from a random
      start (pieces shorter than that are padded with silence and zero labels), plus ``start``
      (the first frame);
    * whole pieces (``sequence_length=None``): ``F = T``, plus ``notes`` (the piece's
      :class:`~course.notes.Notes`) and ``title``.

    Args:
        dataset: a :class:`data_scripts.maestro.MaestroDataset` (any ``sequence_length``: its
            whole pieces are used), or anything with ``__len__``, ``piece(i)`` (an object with
            ``.audio`` (N,) numpy at 16 kHz, ``.notes``, ``.title``) and ``hop_length``.
        sequence_length: crop length in samples (a multiple of 512), ``None`` for whole pieces.
        seed: seeds the crop positions (numpy generator, main process).
        log_mel: the front end; default :class:`course.audio.LogMel` ``()`` (hw4's settings).

    Used by: hw4_transcription (:func:`train`, :func:`evaluate`).
    """

    def __init__(self, dataset, sequence_length: int | None = None, seed: int = 0, log_mel=None):
        from course.features import LogMel

        hop = getattr(dataset, "hop_length", HOP_LENGTH)
        if sequence_length is not None and (sequence_length <= 0 or sequence_length % hop):
            raise ValueError(
                f"sequence_length must be a positive multiple of {hop} samples (whole frames); got "
                f"{sequence_length}. Try {max(1, round((sequence_length or 0) / hop)) * hop}."
            )
        self.frame_rate = getattr(dataset, "frame_rate", FRAME_RATE)
        self.n_frames = None if sequence_length is None else sequence_length // hop
        self._rng = np.random.default_rng(seed)
        log_mel = log_mel if log_mel is not None else LogMel(hop_length=hop)
        self.mels, self.onsets, self.frames, self.notes, self.titles = [], [], [], [], []
        with torch.no_grad():
            for i in range(len(dataset)):
                piece = dataset.piece(i)
                mel = log_mel(torch.as_tensor(piece.audio, dtype=torch.float32)).contiguous()  # (T, 229)
                rolls = notes_to_rolls(piece.notes, self.frame_rate, n_frames=len(mel))
                self.mels.append(mel)
                self.onsets.append(torch.from_numpy(rolls["onset"]).to(torch.uint8))
                self.frames.append(torch.from_numpy(rolls["frame"]).to(torch.uint8))
                self.notes.append(piece.notes)
                self.titles.append(piece.title)

    def __len__(self) -> int:
        return len(self.mels)

    def __getitem__(self, index: int) -> dict:
        mel, onset, frame = self.mels[index], self.onsets[index], self.frames[index]
        if self.n_frames is None:
            return {"mel": mel, "onset": onset.float(), "frame": frame.float(),
                    "notes": self.notes[index], "title": self.titles[index]}
        n, total = self.n_frames, len(mel)
        start = int(self._rng.integers(0, max(total - n, 0) + 1))
        item = {"mel": torch.full((n, mel.shape[1]), SILENCE), "onset": torch.zeros(n, N_KEYS),
                "frame": torch.zeros(n, N_KEYS), "start": start}
        kept = min(n, total - start)
        item["mel"][:kept] = mel[start : start + kept]
        item["onset"][:kept] = onset[start : start + kept]
        item["frame"][:kept] = frame[start : start + kept]
        return item

    @property
    def total_frames(self) -> int:
        return sum(len(m) for m in self.mels)


def features_of(dataset, sequence_length=None, seed=0) -> TranscriptionFeatures:
    if isinstance(dataset, TranscriptionFeatures) and sequence_length is None:
        return dataset
    if isinstance(dataset, TranscriptionFeatures):
        raise ValueError("Pass the MaestroDataset itself: TranscriptionFeatures are built with their own crop length.")
    return TranscriptionFeatures(dataset, sequence_length, seed)
