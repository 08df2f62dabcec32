"""Time the course's CQT (nnAudio, PyTorch) against librosa.cqt on one batch of Basic Pitch windows.

Both get the same 16 clips of ``AUDIO_N_SAMPLES`` (2 s at 22050 Hz, random chords plus noise)
and the same settings (309 bins from 27.5 Hz, 36 per octave, hop 256, linear magnitude). Each is
run once untimed first (librosa builds and caches its filters on the first call), then the
median of 3 timed runs is kept. Run from the repository root::

    python -m bench.features

Used by: hw5_basic_pitch (why the model computes its CQT on the fly), the course's README.
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np

import librosa
import torch

from course.constants import AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, FFT_HOP, N_CQT_BINS
from course.features import BasicPitchCQT


def make_batch(batch_size: int = 16, seed: int = 0) -> np.ndarray:
    """``(batch_size, AUDIO_N_SAMPLES)`` float32: 3-note chords of piano pitches plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(AUDIO_N_SAMPLES) / AUDIO_SAMPLE_RATE
    pitches = rng.integers(21, 97, size=(batch_size, 3))
    freqs = 440.0 * 2.0 ** ((pitches - 69) / 12.0)
    clips = np.sin(2 * np.pi * freqs[:, :, None] * t).sum(axis=1) / 6
    return (clips + 0.01 * rng.standard_normal(clips.shape)).astype(np.float32)


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up, not timed
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(batch_size: int = 16, repeats: int = 3) -> dict:
    """Seconds per batch for both, librosa / course speed-up, and their agreement.

    Returns:
        ``{"course_cqt_s", "librosa_cqt_s", "speedup", "rel_error", "correlation"}``;
        ``rel_error`` is ``||course - librosa|| / ||librosa||`` over the whole batch.
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    try:
        clips = make_batch(batch_size)
        model = BasicPitchCQT(log_normalize=False)
        audio = torch.from_numpy(clips)

        def course():
            with torch.no_grad():
                return model(audio).numpy()

        def reference():
            # librosa takes the batch as a multichannel signal: (B, N) -> (B, 309, T)
            return np.abs(librosa.cqt(clips, sr=AUDIO_SAMPLE_RATE, hop_length=FFT_HOP, fmin=27.5,
                                      n_bins=N_CQT_BINS, bins_per_octave=36))

        course_s = _median_seconds(course, repeats)
        librosa_s = _median_seconds(reference, repeats)
        ours, ref = course().transpose(0, 2, 1), reference()
        return {
            "course_cqt_s": course_s,
            "librosa_cqt_s": librosa_s,
            "speedup": librosa_s / course_s,
            "rel_error": float(np.linalg.norm(ours - ref) / np.linalg.norm(ref)),
            "correlation": float(np.corrcoef(ours.ravel(), ref.ravel())[0, 1]),
        }
    finally:
        torch.set_num_threads(previous_threads)


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore", message="n_fft=.* is too large")  # librosa's lowest octaves
    print(f"torch threads: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    for key, value in run().items():
        print(f"{key:>14}: {value:.4g}")
