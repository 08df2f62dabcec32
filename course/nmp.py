"""Basic Pitch's NMP around the layers students write: the given front end, the wrapper, windows.

The model of Bittner et al. (ICASSP 2022) splits in two. The *front end* is signal processing and
is given: audio at 22050 Hz -> CQT (:class:`course.cqt.BasicPitchCQT`, 309 bins) -> normalised log
-> one batch norm over the single input channel -> harmonic stacking -> ``(B, H, T, 264)``. The
*layers* (the contour, note and onset heads) are the homework: any ``torch.nn.Module`` whose
``forward(stack, logits=False)`` returns ``{"contour": (B, T, 264), "note": (B, T, 88),
"onset": (B, T, 88)}``. :class:`Transcriber` joins the two; :func:`predict_piece` runs a
transcriber (or the original model, :class:`course.released.OriginalBasicPitch`) over a whole
piece in overlapping 2-second windows, the way Basic Pitch's ``inference.py`` does.

Layouts: PyTorch convolutions want channels first, ``(B, C, T, F)`` (time is the image's height,
frequency its width); Basic Pitch's Keras model is channels last, ``(B, T, F, C)``.

Used by: hw5_basic_pitch (the model, the released weights, full-piece transcription),
``course.released``, ``bench/``.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
import torch
from torch import nn

from course.augment import check_audio
from course.cqt import (
    ANNOT_N_FRAMES,
    ANNOTATIONS_FPS,
    ANNOTATIONS_N_SEMITONES,
    AUDIO_N_SAMPLES,
    AUDIO_SAMPLE_RATE,
    CONTOURS_BINS_PER_SEMITONE,
    FFT_HOP,
    HARMONICS,
    MAX_N_SEMITONES,
    N_FREQ_BINS_CONTOURS,
    N_FREQ_BINS_NOTES,
    NOTES_BINS_PER_SEMITONE,
    BasicPitchCQT,
    harmonic_stacking,
    normalized_log,
)

__all__ = [
    "ANNOT_N_FRAMES", "ANNOTATIONS_FPS", "AUDIO_N_SAMPLES", "AUDIO_SAMPLE_RATE", "FFT_HOP", "HARMONICS",
    "N_FREQ_BINS_CONTOURS", "N_FREQ_BINS_NOTES", "BATCH_NORM_EPS", "NOTE_STRIDE", "N_HARMONICS",
    "OUTPUT_BINS", "OVERLAP_FRAMES", "OVERLAP_SAMPLES", "WINDOW_HOP", "harmonics_for", "same_padding",
    "NMPFrontEnd", "Transcriber", "count_parameters", "window_audio", "unwrap_windows", "predict_piece",
    "frame_times", "check_outputs",
]

N_HARMONICS = len(HARMONICS)  # 8: the sub-harmonic 0.5 and harmonics 1..7
BATCH_NORM_EPS = 1e-3  # Keras' BatchNormalization epsilon (PyTorch's default is 1e-5)
# From contour bins (3 per semitone) to note bins (1 per semitone): the note and onset heads'
# frequency stride.
NOTE_STRIDE = CONTOURS_BINS_PER_SEMITONE // NOTES_BINS_PER_SEMITONE  # 3
OUTPUT_BINS = {"contour": N_FREQ_BINS_CONTOURS, "note": N_FREQ_BINS_NOTES, "onset": N_FREQ_BINS_NOTES}
# Full pieces (Basic Pitch's inference.py): windows overlap by 30 frames; half the overlap is
# dropped at each end of every window's output (the frames that saw the window's edge).
OVERLAP_FRAMES = 30
OVERLAP_SAMPLES = OVERLAP_FRAMES * FFT_HOP  # 7680
WINDOW_HOP = AUDIO_N_SAMPLES - OVERLAP_SAMPLES  # 36164 samples between window starts


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
        cqt: :class:`course.cqt.BasicPitchCQT` (magnitudes; the normalised log is applied here).
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

        Nothing in it learns, so training caches it (``course.nmp_training``).
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

    Used by: hw5_basic_pitch, ``course.released.load_released``, ``bench/``.
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


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; batch-norm running statistics are buffers, not counted.

    Basic Pitch's layers as released have 16 780 (the paper: "about 17 k").

    Used by: hw5_basic_pitch.
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def _check_piece(audio, sample_rate: int) -> np.ndarray:
    if sample_rate != AUDIO_SAMPLE_RATE:
        raise ValueError(
            f"Basic Pitch listens at {AUDIO_SAMPLE_RATE} Hz; this audio is at {sample_rate} Hz. Resample it first: "
            f"course.audio.resample(audio, {sample_rate}, {AUDIO_SAMPLE_RATE})."
        )
    audio = check_audio(audio, "the piece")
    if audio.size == 0:
        raise ValueError("The audio is empty: check how it was loaded.")
    return audio.astype(np.float32, copy=False)


def window_audio(audio, sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """Cut a piece into Basic Pitch's overlapping windows.

    Half the overlap (15 frames, 3840 samples) of zeros goes in front, windows of
    ``AUDIO_N_SAMPLES`` start every ``WINDOW_HOP = 36164`` samples, the last one is zero-padded.

    Args:
        audio: ``(N,)`` float mono audio at 22050 Hz.

    Returns:
        ``(n_windows, AUDIO_N_SAMPLES)`` float32.

    Used by: :func:`predict_piece`.
    """
    audio = _check_piece(audio, sample_rate)
    audio = np.concatenate([np.zeros(OVERLAP_SAMPLES // 2, np.float32), audio])
    starts = range(0, len(audio), WINDOW_HOP)
    windows = np.zeros((len(starts), AUDIO_N_SAMPLES), np.float32)
    for row, start in enumerate(starts):
        chunk = audio[start : start + AUDIO_N_SAMPLES]
        windows[row, : len(chunk)] = chunk
    return windows


def unwrap_windows(outputs: np.ndarray, n_samples: int) -> np.ndarray:
    """Stitch per-window outputs back into one posteriorgram, as Basic Pitch does.

    Drops ``OVERLAP_FRAMES // 2`` frames at both ends of every window, concatenates, and keeps
    ``floor(n_samples * 86 / 22050)`` frames. Windows advance by 141.27 frames but each gives
    142, so the stitched frames are not evenly spaced in time: :func:`frame_times` says when each
    one is.

    Args:
        outputs: ``(n_windows, T, bins)`` (``T = 172``).
        n_samples: length of the piece in samples, before windowing.

    Returns:
        ``(n_frames, bins)``.

    Used by: :func:`predict_piece`.
    """
    outputs = np.asarray(outputs)
    if outputs.ndim != 3:
        raise ValueError(f"unwrap_windows expects (n_windows, T, bins); got shape {outputs.shape}.")
    half = OVERLAP_FRAMES // 2
    kept = outputs[:, half:-half] if half else outputs
    n_frames = int(np.floor(n_samples * (ANNOTATIONS_FPS / AUDIO_SAMPLE_RATE)))
    return kept.reshape(-1, outputs.shape[-1])[:n_frames]


def frame_times(n_frames: int) -> np.ndarray:
    """Time in seconds of each frame of a stitched posteriorgram (:func:`predict_piece`).

    Stitched frame ``j = 142 k + m`` is frame ``m + 15`` of window ``k``, centred on sample
    ``k * WINDOW_HOP + m * FFT_HOP`` of the piece (the 3840 zeros in front cancel the 15 dropped
    frames). Within a window frames are 11.6 ms apart; at each window boundary the clock steps back
    by 188 samples (8.5 ms). Basic Pitch's ``note_creation.model_frames_to_time`` approximates the
    same correction with a constant per 172 frames.

    Returns:
        ``(n_frames,)`` float64 seconds.

    Used by: hw5_basic_pitch (note creation on whole pieces).
    """
    kept = ANNOT_N_FRAMES - 2 * (OVERLAP_FRAMES // 2)  # 142 frames per window
    window, frame = np.divmod(np.arange(n_frames), kept)
    return (window * WINDOW_HOP + frame * FFT_HOP) / AUDIO_SAMPLE_RATE


def predict_piece(model: Callable, audio, sample_rate: int = AUDIO_SAMPLE_RATE, batch_size: int = 8,
                  logits: bool = False) -> dict[str, np.ndarray]:
    """Transcribe a whole piece: overlapping windows, the model on each, stitched outputs.

    Args:
        model: a :class:`Transcriber` (any ``torch.nn.Module`` mapping ``(B, 43844)`` audio to
            the three outputs, run in eval mode without gradients on its own device) or
            :class:`course.released.OriginalBasicPitch` (any callable taking a numpy batch).
        audio: ``(N,)`` float mono audio (numpy or torch).
        sample_rate: must be 22050 (the check catches audio at another rate).
        batch_size: windows per forward pass.
        logits: ask a :class:`Transcriber` for logits instead of probabilities.

    Returns:
        ``{"contour": (n_frames, 264), "note": (n_frames, 88), "onset": (n_frames, 88)}``
        float32 numpy posteriorgrams, ``n_frames = floor(N * 86 / 22050)``.

    Used by: hw5_basic_pitch (transcribing test pieces), ``bench/``.
    """
    audio = _check_piece(audio, sample_rate)
    windows = window_audio(audio, sample_rate)
    outputs: dict[str, list] = {}
    is_module = isinstance(model, nn.Module)
    was_training = model.training if is_module else False
    if is_module:
        model.eval()
        device = next(iter(model.parameters()), torch.empty(0)).device
    try:
        for start in range(0, len(windows), batch_size):
            batch = windows[start : start + batch_size]
            if is_module:
                with torch.no_grad():
                    out = model(torch.from_numpy(batch).to(device), logits=logits)
            else:
                out = model(batch)
            for key, value in out.items():
                value = value.detach().cpu().numpy() if torch.is_tensor(value) else np.asarray(value)
                outputs.setdefault(key, []).append(value)
    finally:
        if is_module:
            model.train(was_training)
    # only the posteriorgrams: intermediates such as OriginalBasicPitch's stack are per window
    return {key: unwrap_windows(np.concatenate(outputs[key]), len(audio)).astype(np.float32) for key in OUTPUT_BINS}


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
