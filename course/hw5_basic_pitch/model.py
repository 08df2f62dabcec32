"""Basic Pitch's NMP around the layers students write: the given front end, the wrapper, windows.

The model of Bittner et al. (ICASSP 2022) splits in two. The *front end* is signal processing and
is given: audio at 22050 Hz -> CQT (:class:`course.features.BasicPitchCQT`, 309 bins) -> normalised log
-> one batch norm over the single input channel -> harmonic stacking -> ``(B, H, T, 264)``. The
*layers* (the contour, note and onset heads) are the homework: any ``torch.nn.Module`` whose
``forward(stack, logits=False)`` returns ``{"contour": (B, T, 264), "note": (B, T, 88),
"onset": (B, T, 88)}``. :class:`Transcriber` joins the two; ``inference.predict_piece`` runs a
transcriber (or the original model, :class:`course.hw5_basic_pitch.released.OriginalBasicPitch`) over a whole
piece in overlapping 2-second windows, the way Basic Pitch's ``inference.py`` does.

Layouts: PyTorch convolutions want channels first, ``(B, C, T, F)`` (time is the image's height,
frequency its width); Basic Pitch's Keras model is channels last, ``(B, T, F, C)``.

Used by: hw5_basic_pitch, its reference layers and ``bench/hw5_basic_pitch.py``.

"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import torch
from torch import nn

from course.constants import ANNOTATIONS_N_SEMITONES, AUDIO_SAMPLE_RATE, CONTOURS_BINS_PER_SEMITONE, MAX_N_SEMITONES
from course.features import BasicPitchCQT, harmonic_stacking, normalized_log
from course.hw5_basic_pitch.constants import BATCH_NORM_EPS, N_HARMONICS, OUTPUT_BINS


def harmonics_for(n_harmonics: int = N_HARMONICS) -> tuple:
    """The harmonics Basic Pitch stacks for ``n_harmonics`` channels.

    ``n_harmonics > 1``: the sub-harmonic and the first ``n_harmonics - 1`` harmonics,
    ``(0.5, 1, ..., n_harmonics - 1)``; ``n_harmonics == 1``: the CQT alone, ``(1,)`` (the
    "without harmonic stacking" ablation).

    Used by: :class:`NMPFrontEnd`, hw5_basic_pitch (ablation).
    """
    if not isinstance(n_harmonics, (int, np.integer)) or n_harmonics < 1:
        raise ValueError(
            f"n_harmonics must be a positive integer (8 in Basic Pitch, 1 without stacking); got {n_harmonics!r}."
        )
    return (1,) if n_harmonics == 1 else (0.5,) + tuple(range(1, int(n_harmonics)))


def _n_cqt_bins(n_harmonics: int) -> int:
    # Basic Pitch computes only the semitones its stack can reach (log2(n_harmonics) octaves above
    # the 88 keys, at most the 103 under Nyquist) and normalises the log-CQT over those bins.
    reach = int(math.ceil(12.0 * math.log2(n_harmonics))) if n_harmonics > 1 else 0
    return min(reach + ANNOTATIONS_N_SEMITONES, MAX_N_SEMITONES) * CONTOURS_BINS_PER_SEMITONE


def same_padding(kernel_size: int, stride: int, in_size: int) -> tuple[int, int]:
    """TensorFlow's ``padding="same"`` along one axis: the zeros before and after.

    The output has ``ceil(in_size / stride)`` positions; the total padding is
    ``max((out - 1) * stride + kernel_size - in_size, 0)``, split with the odd one at the end.
    For Basic Pitch's stride-3 convolutions on 264 bins both sides are equal (5 -> (1, 1), 7 ->
    (2, 2)), so ``torch.nn.Conv2d(padding=...)`` reproduces them; when they differ, pad with
    ``torch.nn.functional.pad`` first.

    Args:
        kernel_size: the kernel's extent along the axis.
        stride: the stride along the axis.
        in_size: the input's extent along the axis.

    Returns:
        ``(before, after)``.

    Used by: hw5_basic_pitch (the strided note and onset convolutions), the reference layers.
    """
    out = -(-in_size // stride)
    total = max((out - 1) * stride + kernel_size - in_size, 0)
    return total // 2, total - total // 2


class NMPFrontEnd(nn.Module):
    """The given front end: audio -> log-CQT -> batch norm -> harmonic stack.

    Args:
        n_harmonics: channels of the stack (:func:`harmonics_for`): 8 as released, 1 without
            harmonic stacking.

    Attributes:
        cqt: :class:`course.features.BasicPitchCQT` (magnitudes; the normalised log is applied here).
        batch_norm: ``BatchNorm2d(1, eps=1e-3)`` on the log-CQT, as in Basic Pitch (its released
            weights scale by about 2.48 and shift by about -0.88).
        harmonics: the stacked harmonics.

    Input ``(B, N)`` float audio at 22050 Hz (a training window: ``N = AUDIO_N_SAMPLES = 43844``);
    output ``(B, n_harmonics, T, 264)`` with ``T = N // 256 + 1`` (172 for a window).

    Used by: hw5_basic_pitch, :class:`Transcriber`.
    """

    def __init__(self, n_harmonics: int = N_HARMONICS):
        super().__init__()
        self.harmonics = harmonics_for(n_harmonics)
        self.n_harmonics = len(self.harmonics)
        self.n_cqt_bins = _n_cqt_bins(self.n_harmonics)
        self.cqt = BasicPitchCQT(log_normalize=False)
        self.batch_norm = nn.BatchNorm2d(1, eps=BATCH_NORM_EPS)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(audio) or audio.ndim != 2:
            shape = tuple(audio.shape) if hasattr(audio, "shape") else type(audio).__name__
            raise ValueError(
                f"NMPFrontEnd expects a batch of audio tensors (B, N) at {AUDIO_SAMPLE_RATE} Hz; got {shape}. "
                "One clip: audio[None]; (B, 1, N): audio[:, 0]; numpy: torch.from_numpy(audio)."
            )
        return self.stack(self.log_cqt(audio))

    def log_cqt(self, audio: torch.Tensor) -> torch.Tensor:
        """The fixed half: ``(B, N)`` audio -> normalised log-CQT ``(B, T, bins)`` in [0, 1].

        Nothing in it learns, so training caches it (``course.hw5_basic_pitch.data``).
        """
        return normalized_log(self.cqt(audio)[..., : self.n_cqt_bins])

    def stack(self, cqt: torch.Tensor) -> torch.Tensor:
        """The trainable half: input batch norm, then harmonic stacking: ``(B, T, bins)`` ->
        ``(B, n_harmonics, T, 264)``, what the layers read."""
        cqt = self.batch_norm(cqt.float().unsqueeze(1)).squeeze(1)  # BatchNorm2d wants a channel axis
        return harmonic_stacking(cqt, self.harmonics)


class Transcriber(nn.Module):
    """Front end plus layers: audio in, contour/note/onset posteriorgrams out.

    Args:
        layers: any module with ``forward(stack, logits=False) -> {"contour", "note", "onset"}``
            taking ``(B, H, T, 264)`` (yours, or the reference).
        front_end: default ``NMPFrontEnd()`` (8 harmonics); pass ``NMPFrontEnd(1)`` with layers
            built for one harmonic.

    ``forward(audio, logits=False)``: ``(B, N)`` audio -> ``{"contour": (B, T, 264), "note":
    (B, T, 88), "onset": (B, T, 88)}``, probabilities, or logits with ``logits=True`` (train
    with ``binary_cross_entropy_with_logits`` on those: it never takes the log of 0).

    Used by: hw5_basic_pitch, ``course.hw5_basic_pitch.released.load_released``, ``bench/``.
    """

    def __init__(self, layers: nn.Module, front_end: nn.Module | None = None):
        super().__init__()
        self.front_end = front_end if front_end is not None else NMPFrontEnd()
        self.layers = layers
        want, have = getattr(layers, "n_harmonics", None), getattr(self.front_end, "n_harmonics", None)
        if want is not None and have is not None and want != have:
            raise ValueError(
                f"The layers take {want} harmonics but the front end stacks {have}: build both with the "
                f"same n_harmonics, e.g. Transcriber(layers, NMPFrontEnd(n_harmonics={want}))."
            )

    def forward(self, audio: torch.Tensor, logits: bool = False) -> dict[str, torch.Tensor]:
        return self.layers(self.front_end(audio), logits=logits)


def check_outputs(outputs: Mapping[str, torch.Tensor], batch: int, n_frames: int) -> None:
    """Raise a clear error when a layers module's outputs are not the contract's.

    Args:
        outputs: what the layers returned.
        batch, n_frames: the expected ``B`` and ``T``.

    Used by: hw5_basic_pitch (public tests of the student's layers).
    """
    if not isinstance(outputs, Mapping) or set(outputs) != set(OUTPUT_BINS):
        got = sorted(outputs) if isinstance(outputs, Mapping) else type(outputs).__name__
        raise ValueError(f"The layers must return a dict with keys {sorted(OUTPUT_BINS)}; got {got}.")
    for key, bins in OUTPUT_BINS.items():
        if tuple(outputs[key].shape) != (batch, n_frames, bins):
            raise ValueError(
                f"outputs[{key!r}] should be (B, T, {bins}) = {(batch, n_frames, bins)}; got "
                f"{tuple(outputs[key].shape)}. Drop the channel axis of the last conv (x[:, 0]); the frequency "
                "stride goes on the last axis: stride=(1, 3)."
            )
