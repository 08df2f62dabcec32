"""hw5's training windows: random 2-s windows of a dataset, their labels and cached log-CQTs.

The front end (:class:`course.hw5_basic_pitch.model.NMPFrontEnd`) is cut in two where it starts
to learn: the normalised log-CQT is fixed signal processing, computed once per window and cached;
the input batch norm (trainable), harmonic stacking and the layers run at every step.
``stack_from_log_cqt(fe, log_cqt(fe, audio))`` is ``fe(audio)``.

Used by: hw5_basic_pitch (training), ``bench/hw5_basic_pitch.py``.
"""
from __future__ import annotations

import numpy as np
import torch

from course.constants import ANNOT_N_FRAMES
from course.hw5_basic_pitch.constants import HEADS


def log_cqt(front_end, audio: torch.Tensor) -> torch.Tensor:
    """The fixed half of :class:`~course.hw5_basic_pitch.model.NMPFrontEnd`: ``(B, N)`` audio -> normalised log-CQT
    ``(B, T, n_cqt_bins)`` (nothing in it learns; cache it). ``front_end.log_cqt``.

    Used by: :class:`WindowFeatures`, hw5_basic_pitch.
    """
    return front_end.log_cqt(audio)


def stack_from_log_cqt(front_end, cqt: torch.Tensor) -> torch.Tensor:
    """The trainable half: input batch norm and harmonic stacking, ``(B, T, bins)`` ->
    ``(B, H, T, 264)``, what the layers read. ``front_end.stack``.

    Used by: :func:`train`, hw5_basic_pitch.
    """
    return front_end.stack(cqt)




class WindowFeatures:
    """Random 2-s windows of a dataset with labels and cached normalised log-CQTs.

    Args:
        dataset: has ``len()`` and ``window(index, start_frame)`` returning ``{"audio": (43844,),
            "contour": (172, 264), "note": (172, 88), "onset": (172, 88)}`` tensors, and
            ``piece(index).note`` ``(T, 88)`` (``data_scripts.multi_dataset.MultiInstrumentDataset``).
        front_end: the transcriber's :class:`~course.hw5_basic_pitch.model.NMPFrontEnd` (its CQT and bin count).
        hop_frames: window starts lie on multiples of this many frames (a window fits inside its
            piece; a piece shorter than a window has one, at 0).
        seed: seeds :meth:`batch`'s default generator.

    Attributes:
        starts: ``[(index, start_frame), ...]`` every window that can be drawn.
        cache: ``{(index, start_frame): (172, bins) float16 tensor}``, filled as windows are drawn
            (float16: half the memory, 3 significant digits of a value in [0, 1]).

    Used by: :func:`train`, hw5_basic_pitch.
    """

    def __init__(self, dataset, front_end, hop_frames: int = 8, seed: int = 0):

        if not hasattr(dataset, "window"):
            raise TypeError(
                f"WindowFeatures needs a dataset with window(index, start_frame) (MultiInstrumentDataset); got "
                f"{type(dataset).__name__}."
            )
        if hop_frames < 1:
            raise ValueError(f"hop_frames must be a positive number of frames; got {hop_frames}.")
        self.dataset, self.front_end, self.hop_frames = dataset, front_end, int(hop_frames)
        self.starts = [
            (i, s) for i in range(len(dataset))
            for s in range(0, max(len(dataset.piece(i).note) - ANNOT_N_FRAMES, 0) + 1, self.hop_frames)
        ]
        self.cache: dict[tuple[int, int], torch.Tensor] = {}
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.starts)

    def compute(self, audio: torch.Tensor) -> torch.Tensor:
        """Log-CQTs of ``(B, N)`` audio on the front end's device, no gradient: ``(B, T, bins)``."""
        device = self.front_end.batch_norm.weight.device
        with torch.no_grad():
            return log_cqt(self.front_end, audio.to(device)).cpu()

    def windows(self, keys) -> dict:
        """The windows ``keys = [(index, start_frame), ...]``: audio, labels and log-CQTs.

        Returns:
            ``{"audio": (B, 43844), "contour", "note", "onset": (B, 172, bins), "cqt": (B, 172,
            n_cqt_bins) float32, "key": [...]}``.
        """
        items = [self.dataset.window(i, s) for i, s in keys]
        batch = {k: torch.stack([it[k] for it in items]) for k in ("audio",) + HEADS}
        missing = [n for n, key in enumerate(keys) if key not in self.cache]
        if missing:
            fresh = self.compute(batch["audio"][missing])
            for n, cqt in zip(missing, fresh):
                self.cache[keys[n]] = cqt.to(torch.float16)
        batch["cqt"] = torch.stack([self.cache[key] for key in keys]).float()
        batch["key"] = list(keys)
        return batch

    def batch(self, batch_size: int, rng: np.random.Generator | None = None) -> dict:
        """``batch_size`` windows drawn uniformly from :attr:`starts` (longer pieces more often)."""
        rng = self._rng if rng is None else rng
        picks = rng.integers(len(self.starts), size=batch_size)
        return self.windows([self.starts[p] for p in picks])
