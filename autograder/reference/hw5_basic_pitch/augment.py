"""Instructor's reference for hw5_basic_pitch: the augmentations students write.

Hidden tests compare the students' ``add_noise``, ``transpose`` and ``mix`` with these (and
check the properties: exact SNR, transposition direction, labels moved with the audio, length
and dtype kept). The given parts (reverb, EQ, pitch shift, drum loop, masking) are in
``course.hw5_basic_pitch.augment``. Never shipped to students (the bundle check rejects any file that names this
module).
"""
from __future__ import annotations

import numpy as np

from course.audio import check_audio
from course.hw5_basic_pitch.augment import pitch_shift
from course.hw5_basic_pitch.constants import LABEL_BINS_PER_SEMITONE


def add_noise(audio, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``audio`` plus white Gaussian noise at exactly ``snr_db``.

    The noise drawn is rescaled by its *own* power (not the expected one), so that
    ``10 * log10(mean(audio ** 2) / mean(noise ** 2)) == snr_db`` up to float rounding.
    Silent audio (power 0) has no SNR: it is returned unchanged (a copy).

    Args:
        audio: ``(N,)`` float audio.
        snr_db: signal-to-noise ratio in dB (0: as loud as the music; 40: barely audible).
        rng: draws the noise.

    Returns:
        ``(N,)``, ``audio``'s dtype.
    """
    audio = check_audio(audio)
    signal_power = np.mean(audio.astype(np.float64) ** 2)
    if signal_power == 0:
        return audio.copy()
    noise = rng.standard_normal(len(audio))
    noise *= np.sqrt(signal_power / (np.mean(noise**2) * 10.0 ** (snr_db / 10.0)))
    return (audio + noise).astype(audio.dtype)


def shift_labels(labels: dict, semitones: int) -> dict:
    """Labels moved up by ``semitones`` keys: contour by ``3 * semitones`` bins, note and onset by
    ``semitones``; bins shifted past either end are dropped, the bins left empty are zeros.

    Works on numpy arrays and torch tensors, ``(..., bins)``; keys other than the three are
    copied as they are.

    Students write this inside their ``transpose`` (hw5_basic_pitch, part E).
    """
    if int(semitones) != semitones:
        raise ValueError(
            f"Labels move by whole keys only: semitones must be an integer; got {semitones}. Round it, and "
            "pitch-shift the audio by the same integer."
        )
    semitones = int(semitones)
    out = dict(labels)
    for key, per_semitone in LABEL_BINS_PER_SEMITONE.items():
        if key not in labels:
            continue
        x, shift = labels[key], per_semitone * semitones
        moved = x * 0  # zeros of the same type, dtype and device (numpy or torch)
        n = x.shape[-1]
        if 0 <= shift < n:
            moved[..., shift:] = x[..., : n - shift]
        elif -n < shift < 0:
            moved[..., :shift] = x[..., -shift:]
        out[key] = moved
    return out


def transpose(audio, labels: dict, semitones: int) -> tuple[np.ndarray, dict]:
    """Audio and labels in another key: both up by ``semitones`` (down when negative).

    The audio through ``course.hw5_basic_pitch.augment.pitch_shift``; contour labels moved by ``3 * semitones``
    bins, note and onset labels by ``semitones`` keys, zeros where nothing moved in, bins pushed
    past the ends dropped (:func:`shift_labels`).

    Args:
        audio: ``(N,)`` float audio.
        labels: ``{"contour": (T, 264), "note": (T, 88), "onset": (T, 88)}`` (other keys copied).
        semitones: a whole number of semitones.

    Returns:
        ``(audio, labels)`` with the input's shapes and dtypes.
    """
    if int(semitones) != semitones:
        raise ValueError(f"semitones must be a whole number (labels move by whole keys); got {semitones}.")
    return pitch_shift(audio, int(semitones)), shift_labels(labels, int(semitones))


def mix(audio, other, gain_db: float) -> np.ndarray:
    """``audio + 10 ** (gain_db / 20) * other``, ``other`` looped or cut to ``audio``'s length.

    Args:
        audio: ``(N,)`` float audio.
        other: ``(M,)`` float audio, any length ``M >= 1`` (repeated when shorter).
        gain_db: gain applied to ``other`` (-12 dB: a quarter of its amplitude).

    Returns:
        ``(N,)``, ``audio``'s dtype.
    """
    audio = check_audio(audio)
    other = check_audio(other, "other")
    if len(other) == 0:
        raise ValueError("other is empty: nothing to mix in.")
    return (audio + 10.0 ** (gain_db / 20.0) * np.resize(other, len(audio))).astype(audio.dtype)
