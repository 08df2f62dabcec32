"""Front ends: the log-mel spectrogram, Basic Pitch's constant-Q transform, harmonic stacking.

* :class:`LogMel` (and :func:`log_mel` for numpy) is the Onsets-and-Frames input: a magnitude
  mel spectrogram, time first, ``log(max(mel, 1e-5))``.
* :class:`BasicPitchCQT` is Basic Pitch's input: nnAudio's ``CQT2010v2`` (the algorithm Basic
  Pitch ported to TensorFlow), 309 bins, 3 per semitone, bin ``k`` centred on
  ``27.5 * 2 ** (k / 36)`` Hz, so the piano key with MIDI pitch ``p`` sits at bin ``3 * (p - 21)``;
  :func:`normalized_log` its log scaling; :func:`harmonic_stacking` the shifted copies that line
  up each pitch's harmonics.

Frame counts. A centred STFT (``center=True``) of ``L`` samples with hop ``H`` has
``L // H + 1`` frames (:func:`n_frames`); frame ``t`` is centred on sample ``t * H``.
:class:`LogMel` keeps the first ``L // H`` of them by default (``drop_last_frame=True``), so a
hw4 crop of ``L = 102400`` samples at hop 512 gives ``T = 200`` frames, as many as its labels.
Onsets-and-Frames (jongwook/onsets-and-frames) gets the same count another way: it removes the
last audio *sample* before its centred STFT (``audio[:, :-1]``), so ``(L - 1) // H + 1`` frames,
which is ``L // H`` whenever ``L`` is a multiple of ``H`` (every training crop is). A Basic Pitch
window of ``AUDIO_N_SAMPLES = 43844`` samples gives ``43844 // 256 + 1 = 172`` CQT frames.

How these agree with librosa is checked by ``tests/test_features.py`` and recorded in
``bench/measurements.md``.

Used by: hw4_transcription and the hw5 problem set (log-mel), hw5_basic_pitch (CQT, stacking),
``bench/features.py``.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torchaudio

from course.audio import check_sample_rate
from course.constants import (
    ANNOTATIONS_BASE_FREQUENCY,
    AUDIO_N_SAMPLES,
    AUDIO_SAMPLE_RATE,
    CONTOURS_BINS_PER_SEMITONE,
    FFT_HOP,
    HARMONICS,
    HOP_LENGTH,
    LOG_MEL_CLAMP,
    MEL_F_MAX,
    MEL_F_MIN,
    N_CQT_BINS,
    N_FFT,
    N_FREQ_BINS_CONTOURS,
    N_MELS,
    SAMPLE_RATE,
)

# nnAudio reflect-pads every octave by 128 samples (half its 256-tap kernel); the lowest of the 9
# octaves sees the input downsampled 2**8 times and reflect padding needs more samples than the
# pad. Shorter audio fails or is zero-padded with a warning per octave: pad it instead.
MIN_N_SAMPLES = 2**8 * 129  # 33024 samples, 1.5 s


def n_frames(num_samples: int, hop_length: int, drop_last_frame: bool = False) -> int:
    """Frames of a centred STFT of ``num_samples`` samples: ``num_samples // hop_length + 1``.

    Centring pads ``n_fft // 2`` samples on each side, so frame ``t`` is centred on sample
    ``t * hop_length`` and there is a frame at each of ``0, H, 2H, ... <= num_samples``. With
    ``drop_last_frame=True`` the count is :class:`LogMel`'s default output, ``num_samples //
    hop_length``. hw4: ``n_frames(102400, 512) == 201``, ``n_frames(102400, 512, True) == 200``.

    Used by: hw4_transcription (matching labels to the log-mel frames).
    """
    return num_samples // hop_length + (0 if drop_last_frame else 1)


class LogMel(torch.nn.Module):
    """Log-magnitude mel spectrogram, time first: the input of the hw4 transcriber.

    ``log(max(mel, clamp))`` of a centred, reflect-padded, Hann-windowed STFT magnitude
    (``power=1``) projected on Slaney-normalised mel filters. The defaults are Onsets-and-Frames'
    (16 kHz, 2048-point FFT, hop 512 = 32 ms, 229 bands from 30 Hz to 8 kHz); note that
    jongwook/onsets-and-frames builds its filters with ``librosa.filters.mel(..., htk=True)``:
    pass ``mel_scale="htk"`` to reproduce it exactly (the band edges move slightly).

    Args:
        sample_rate, n_fft, hop_length, n_mels, f_min, f_max: as in
            ``torchaudio.transforms.MelSpectrogram``; ``f_max`` at most ``sample_rate / 2``.
        clamp: mel magnitudes are raised to at least this before the log (silence -> log 1e-5).
        mel_scale: ``"slaney"`` (librosa's default) or ``"htk"``.
        drop_last_frame: keep ``L // hop_length`` frames instead of ``L // hop_length + 1``.

    Input ``(B, N)`` float audio gives ``(B, T, n_mels)``; ``(N,)`` gives ``(T, n_mels)``.

    Used by: hw4_transcription.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                 n_mels: int = N_MELS, f_min: float = MEL_F_MIN, f_max: float = MEL_F_MAX, clamp: float = LOG_MEL_CLAMP,
                 mel_scale: str = "slaney", drop_last_frame: bool = True):
        super().__init__()
        sample_rate = check_sample_rate(sample_rate, "sample_rate")
        if not 0 <= f_min < f_max <= sample_rate / 2:
            raise ValueError(
                f"Need 0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2:g} Hz; got f_min={f_min}, "
                f"f_max={f_max}. Mel bands above the Nyquist frequency would be empty."
            )
        self.sample_rate, self.n_fft, self.hop_length, self.n_mels = sample_rate, n_fft, hop_length, n_mels
        self.clamp, self.drop_last_frame = clamp, drop_last_frame
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, f_min=f_min, f_max=f_max,
            n_mels=n_mels, power=1.0, center=True, pad_mode="reflect", norm="slaney", mel_scale=mel_scale,
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        audio = torch.as_tensor(audio)
        if audio.ndim not in (1, 2):
            raise ValueError(
                f"LogMel expects audio (B, N) or (N,); got shape {tuple(audio.shape)}. For "
                "(B, channels, N) average the channels first: audio.mean(1)."
            )
        if not audio.is_floating_point():
            raise ValueError(
                f"LogMel expects float audio in [-1, 1]; got {audio.dtype}. Use audio.float() / 32768."
            )
        if audio.shape[-1] <= self.n_fft // 2:
            raise ValueError(
                f"LogMel needs more than n_fft // 2 = {self.n_fft // 2} samples (reflect padding); got "
                f"{audio.shape[-1]}. Pad the audio or use a longer crop."
            )
        if not torch.isfinite(audio).all():
            raise ValueError("LogMel got NaN or infinite samples: check how the audio was made or loaded.")
        # float64 numpy audio would meet float32 filters: compute in the module's dtype
        mel = self.mel(audio.to(self.mel.spectrogram.window.dtype))  # (..., n_mels, L // hop + 1)
        if self.drop_last_frame:
            mel = mel[..., :-1]
        return torch.log(torch.clamp(mel, min=self.clamp)).transpose(-1, -2)


@functools.lru_cache(maxsize=8)
def _cached_log_mel(**kwargs) -> LogMel:
    return LogMel(**kwargs)


def log_mel(audio, **kwargs) -> np.ndarray:
    """:class:`LogMel` on numpy: ``(N,)`` audio -> ``(T, n_mels)`` float32, ``(B, N)`` -> ``(B, T, n_mels)``.

    Keyword arguments are :class:`LogMel`'s (default: hw4's settings).

    Used by: hw4_transcription (pictures and quick looks).
    """
    audio = torch.as_tensor(audio)  # keeps an integer dtype, so LogMel can say what is wrong
    with torch.no_grad():
        return _cached_log_mel(**kwargs)(audio.cpu()).numpy()


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
