"""Whole pieces through a transcriber: overlapping 2-s windows, stitched as Basic Pitch's ``inference.py`` does.

Used by: hw5_basic_pitch (transcribing test pieces), the evaluation, ``bench/``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from course.audio import check_audio
from course.constants import ANNOT_N_FRAMES, ANNOTATIONS_FPS, AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, FFT_HOP
from course.hw5_basic_pitch.constants import OUTPUT_BINS, OVERLAP_FRAMES, OVERLAP_SAMPLES, WINDOW_HOP


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
            :class:`~course.hw5_basic_pitch.released.OriginalBasicPitch` (any callable taking a numpy batch).
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
