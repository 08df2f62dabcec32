"""Basic Pitch's front end: a constant-Q transform, its normalised log, and harmonic stacking.

The constants carry the names of Basic Pitch's ``basic_pitch/constants.py`` (spotify/basic-pitch),
so the paper, its code and the homework read alike. A training window is ``AUDIO_N_SAMPLES =
43844`` samples at 22050 Hz (2 s less one hop), which a centred CQT with hop 256 turns into
``43844 // 256 + 1 = 172 = ANNOT_N_FRAMES`` frames.

The CQT is nnAudio's ``CQT2010v2`` (the algorithm Basic Pitch ported to TensorFlow): 309 bins,
3 per semitone, bin ``k`` centred on ``27.5 * 2 ** (k / 36)`` Hz, so the piano key with MIDI pitch
``p`` sits at bin ``3 * (p - 21)``. It is computed in PyTorch, on the GPU when there is one.

Agreement with librosa (measured 2026-11, tests/test_cqt.py): on a 2 s A-major chord
(220, 277.18, 329.63, 440 Hz) plus white noise, nnAudio's magnitudes against
``np.abs(librosa.cqt(y, sr=22050, hop_length=256, fmin=27.5, n_bins=309, bins_per_octave=36))``
have a relative error ``||a - b|| / ||b||`` of 0.123 and a Pearson correlation of 0.9924 (the
tests require < 0.16 and > 0.985). The spectral peaks agree within 1 %; the difference lies in
the first and last few frames (the two pad the signal differently) and in the low skirts between
partials (different anti-aliasing filters in the octave-by-octave downsampling). Away from the
first and last 10 frames the relative error is 0.099. The dB scale magnifies the quiet skirts:
after :func:`normalized_log` the correlation drops to 0.95. Basic Pitch was trained on this
algorithm (its TensorFlow port of nnAudio), not on librosa's, so nnAudio is the right input.

Used by: hw5_basic_pitch (the model's input, the problem set's pictures), ``bench/cqt_bench.py``.
"""
from __future__ import annotations

import math

import numpy as np
import torch

AUDIO_SAMPLE_RATE = 22050
FFT_HOP = 256
ANNOTATIONS_BASE_FREQUENCY = 27.5  # A0, the lowest piano key: the CQT's first bin
CONTOURS_BINS_PER_SEMITONE = 3
NOTES_BINS_PER_SEMITONE = 1
ANNOTATIONS_N_SEMITONES = 88
N_FREQ_BINS_CONTOURS = ANNOTATIONS_N_SEMITONES * CONTOURS_BINS_PER_SEMITONE  # 264
N_FREQ_BINS_NOTES = ANNOTATIONS_N_SEMITONES * NOTES_BINS_PER_SEMITONE  # 88
AUDIO_WINDOW_LENGTH = 2  # seconds per training example
ANNOTATIONS_FPS = AUDIO_SAMPLE_RATE // FFT_HOP  # 86: Basic Pitch rounds 86.13 frames/s down
ANNOT_N_FRAMES = ANNOTATIONS_FPS * AUDIO_WINDOW_LENGTH  # 172 frames per window
AUDIO_N_SAMPLES = AUDIO_SAMPLE_RATE * AUDIO_WINDOW_LENGTH - FFT_HOP  # 43844: one hop less -> 172 frames
# The most semitones above A0 that fit under the Nyquist frequency (11025 Hz): 103
MAX_N_SEMITONES = int(np.floor(12.0 * np.log2(0.5 * AUDIO_SAMPLE_RATE / ANNOTATIONS_BASE_FREQUENCY)))
N_CQT_BINS = MAX_N_SEMITONES * CONTOURS_BINS_PER_SEMITONE  # 309
HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7)  # the sub-harmonic and the first 7 harmonics
# nnAudio reflect-pads every octave by 128 samples (half its 256-tap kernel); the lowest of the 9
# octaves sees the input downsampled 2**8 times and reflect padding needs more samples than the
# pad. Shorter audio fails or is zero-padded with a warning per octave: pad it instead.
MIN_N_SAMPLES = 2**8 * 129  # 33024 samples, 1.5 s


class BasicPitchCQT(torch.nn.Module):
    """Basic Pitch's CQT: 309 bins from 27.5 Hz, 36 per octave, hop 256 at 22050 Hz.

    Args:
        log_normalize: apply :func:`normalized_log` (Basic Pitch's model input); ``False``
            returns the linear magnitude.

    Input ``(B, N)`` float audio at 22050 Hz, ``N >= MIN_N_SAMPLES``, gives ``(B, T, 309)`` with
    ``T = N // 256 + 1`` (time first, like the labels); ``(N,)`` gives ``(T, 309)``. A training
    window of ``AUDIO_N_SAMPLES`` samples gives ``T = ANNOT_N_FRAMES = 172``.

    Used by: hw5_basic_pitch.
    """

    def __init__(self, log_normalize: bool = True):
        super().__init__()
        from nnAudio.features import CQT2010v2  # imported here: only hw5 needs nnAudio

        self.log_normalize = log_normalize
        self.cqt = CQT2010v2(
            sr=AUDIO_SAMPLE_RATE, hop_length=FFT_HOP, fmin=ANNOTATIONS_BASE_FREQUENCY, n_bins=N_CQT_BINS,
            bins_per_octave=12 * CONTOURS_BINS_PER_SEMITONE, output_format="Magnitude", verbose=False,
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        audio = torch.as_tensor(audio)
        if audio.ndim not in (1, 2):
            raise ValueError(
                f"BasicPitchCQT expects audio (B, N) or (N,) at {AUDIO_SAMPLE_RATE} Hz; got shape "
                f"{tuple(audio.shape)}. For (B, 1, N) use audio[:, 0]."
            )
        if not audio.is_floating_point():
            raise ValueError(f"BasicPitchCQT expects float audio; got {audio.dtype}. Use audio.float() / 32768.")
        if audio.shape[-1] < MIN_N_SAMPLES:
            raise ValueError(
                f"BasicPitchCQT needs at least MIN_N_SAMPLES = {MIN_N_SAMPLES} samples (1.5 s); got "
                f"{audio.shape[-1]}. Zero-pad the audio to a window of AUDIO_N_SAMPLES = {AUDIO_N_SAMPLES}, "
                "as Basic Pitch does: torch.nn.functional.pad(audio, (0, AUDIO_N_SAMPLES - N))."
            )
        if not torch.isfinite(audio).all():
            raise ValueError("BasicPitchCQT got NaN or infinite samples: check how the audio was made or loaded.")
        cqt = self.cqt(audio.reshape(-1, audio.shape[-1]).float()).transpose(1, 2)  # (B, T, 309)
        if self.log_normalize:
            cqt = normalized_log(cqt)
        return cqt if audio.ndim == 2 else cqt[0]


def normalized_log(cqt: torch.Tensor) -> torch.Tensor:
    """Basic Pitch's ``NormalizedLog``: magnitude -> power in dB -> [0, 1] per example.

    ``db = 10 * log10(cqt ** 2 + 1e-10)``, then ``(db - min) / (max - min)`` with min and max
    taken over all frames and bins of each example; an example with ``max == min`` (silence)
    becomes all zeros, as TensorFlow's ``divide_no_nan`` does.

    Args:
        cqt: ``(B, T, F)`` or ``(T, F)`` non-negative magnitudes.

    Returns:
        The same shape, values in [0, 1].

    Used by: :class:`BasicPitchCQT`, hw5_basic_pitch.
    """
    if cqt.ndim not in (2, 3):
        raise ValueError(f"normalized_log expects (B, T, F) or (T, F); got shape {tuple(cqt.shape)}.")
    db = 10.0 * torch.log10(cqt.square() + 1e-10)
    db = db - db.amin(dim=(-2, -1), keepdim=True)
    top = db.amax(dim=(-2, -1), keepdim=True)
    # divide by a safe denominator, then zero the silent examples: no NaN, not even in gradients
    return torch.where(top > 0, db / top.clamp_min(1e-12), torch.zeros_like(db))


def harmonic_shifts(harmonics=HARMONICS, bins_per_semitone: int = CONTOURS_BINS_PER_SEMITONE) -> list[int]:
    """CQT bins between a pitch and its harmonic ``h``: ``round(12 * bins_per_semitone * log2(h))``.

    With Basic Pitch's harmonics and 3 bins per semitone: ``[-36, 0, 36, 57, 72, 84, 93, 101]``
    (the 3rd harmonic is 19.02 semitones up, the 5th 27.86, the 7th 33.69, rounded to bins).

    Used by: :func:`harmonic_stacking`, hw5_basic_pitch.
    """
    if any(h <= 0 for h in harmonics):
        raise ValueError(f"Harmonics must be positive (0.5 is the sub-harmonic); got {list(harmonics)}.")
    return [int(round(12 * bins_per_semitone * math.log2(h))) for h in harmonics]


def harmonic_stacking(cqt: torch.Tensor, harmonics=HARMONICS, bins_per_semitone: int = CONTOURS_BINS_PER_SEMITONE,
                      n_output_freqs: int = N_FREQ_BINS_CONTOURS) -> torch.Tensor:
    """Stack CQT copies shifted so that every harmonic of a pitch lines up with the pitch's bin.

    Channel ``c`` at bin ``f`` holds the input at bin ``f + shifts[c]`` (:func:`harmonic_shifts`),
    zero where that is outside the input (past the top for harmonics, below bin 0 for 0.5); the
    first ``n_output_freqs`` bins are kept. A small 2-D convolution then sees, at each pitch,
    the energy at all its harmonics at once.

    Layout: channels first, ``(B, len(harmonics), T, n_output_freqs)``, what ``torch.nn.Conv2d``
    wants (time is the image height, frequency its width). Basic Pitch's Keras layer returns
    ``(B, T, n_output_freqs, len(harmonics))``, i.e. this tensor ``.permute(0, 2, 3, 1)``.

    Args:
        cqt: ``(B, T, F)`` with ``F >= n_output_freqs`` (Basic Pitch: 309 bins, normalised log).
        harmonics: the harmonics, as in :data:`HARMONICS`.
        bins_per_semitone: CQT resolution.
        n_output_freqs: bins kept (264 = 88 keys x 3).

    Returns:
        ``(B, len(harmonics), T, n_output_freqs)``.

    Used by: hw5_basic_pitch.
    """
    if cqt.ndim != 3:
        hint = " Drop the channel axis first: cqt[..., 0] for (B, T, F, 1), cqt[:, 0] for (B, 1, T, F)."
        hint = hint if cqt.ndim == 4 else ""
        raise ValueError(f"harmonic_stacking expects a CQT (B, T, F); got shape {tuple(cqt.shape)}.{hint}")
    n_freqs = cqt.shape[-1]
    if n_freqs < n_output_freqs:
        raise ValueError(
            f"harmonic_stacking keeps {n_output_freqs} bins but the CQT has only {n_freqs}. Is the "
            f"frequency axis last, (B, T, F)? Basic Pitch's CQT has {N_CQT_BINS} bins."
        )
    channels = []
    for shift in harmonic_shifts(harmonics, bins_per_semitone):
        moved = torch.zeros_like(cqt)
        if 0 <= shift < n_freqs:
            moved[..., : n_freqs - shift] = cqt[..., shift:]
        elif -n_freqs < shift < 0:
            moved[..., -shift:] = cqt[..., :shift]
        channels.append(moved[..., :n_output_freqs])
    return torch.stack(channels, dim=1)
