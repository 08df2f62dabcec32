"""Audio in and out, resampling, and the log-mel front end of the piano transcriber.

* :func:`load_audio` / :func:`save_audio` read and write files with soundfile (libsndfile),
  which needs no FFmpeg; ``torchaudio.load`` is not used because it now needs torchcodec.
* :func:`resample` is ``torchaudio.functional.resample`` that also takes and returns numpy.
* :class:`LogMel` (and :func:`log_mel` for numpy) is the Onsets-and-Frames input: a magnitude
  mel spectrogram, time first, ``log(max(mel, 1e-5))``.

Frame count. A centred STFT (``center=True``) of ``L`` samples with hop ``H`` has
``L // H + 1`` frames (:func:`n_frames`); frame ``t`` is centred on sample ``t * H``.
:class:`LogMel` keeps the first ``L // H`` of them by default (``drop_last_frame=True``), so a
hw4 crop of ``L = 102400`` samples at hop 512 gives ``T = 200`` frames, as many as its labels.
Onsets-and-Frames (jongwook/onsets-and-frames) gets the same count another way: it removes the
last audio *sample* before its centred STFT (``audio[:, :-1]``), so ``(L - 1) // H + 1`` frames,
which is ``L // H`` whenever ``L`` is a multiple of ``H`` (every training crop is). The two
differ only in how the last kept frame is reflect-padded at the very end of the signal.

Agreement with librosa (measured 2026-11, tests/test_audio.py): on 6.4 s of a chord plus noise
at 16 kHz, :class:`LogMel`'s mel magnitudes match ``librosa.feature.melspectrogram(...,
power=1.0, htk=False, norm="slaney", center=True, pad_mode="reflect")`` with a relative
Frobenius error of 3.0e-6, and the log-mels differ by at most 3.1e-5 (float32 rounding); the
tests require < 1e-4 and < 1e-3.

Used by: hw4_transcription (log-mel input of Onsets-and-Frames), hw5_basic_pitch (loading and
resampling to 22050 Hz), ``data_scripts`` (writing the embedded data sets).
"""
from __future__ import annotations

import functools
import pathlib

import numpy as np
import soundfile as sf
import torch
import torchaudio


def load_audio(path, sample_rate: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file (WAV, FLAC, OGG, MP3, ...: whatever libsndfile reads).

    Args:
        path: the file.
        sample_rate: resample to this rate in Hz; ``None`` keeps the file's rate.
        mono: average the channels into one.

    Returns:
        ``(audio, sample_rate)``: float32 audio in [-1, 1], shape ``(num_samples,)`` if ``mono``
        else ``(channels, num_samples)``, and its sample rate in Hz.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not audio libsndfile can read, or ``sample_rate`` is not positive.

    Used by: hw4_transcription, hw5_basic_pitch.
    """
    path = pathlib.Path(path)
    if sample_rate is not None:
        sample_rate = _check_sample_rate(sample_rate, "sample_rate")
    if not path.exists():
        raise FileNotFoundError(
            f"Audio file {path} does not exist. Check the path (relative paths start at "
            f"{pathlib.Path.cwd()}), or build the data with `bash run.sh data`."
        )
    try:
        # always_2d gives (num_samples, channels) for mono and stereo files alike
        audio, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError) as e:
        raise ValueError(
            f"Audio file {path} could not be read ({e}). It is corrupt or not in a format "
            "libsndfile reads (WAV, FLAC, OGG, MP3): rebuild or re-download it."
        ) from e
    audio = audio.mean(axis=1) if mono else np.ascontiguousarray(audio.T)
    if sample_rate is not None and sample_rate != file_sr:
        audio, file_sr = resample(audio, file_sr, sample_rate), sample_rate
    return audio.astype(np.float32, copy=False), int(file_sr)


def save_audio(path, audio, sample_rate: int, subtype: str = "PCM_16") -> pathlib.Path:
    """Write audio to a file whose format follows the extension (``.wav``, ``.flac``, ...).

    The same audio gives the same bytes (the data builders rely on it) in WAV, FLAC, AIFF and
    MP3: libsndfile stamps the wall-clock time into the PEAK chunk of float WAV/AIFF files, so
    that stamp is zeroed. Ogg files are not reproducible: each gets a random stream serial.

    Args:
        path: the file; missing parent folders are created.
        audio: numpy array or torch tensor in [-1, 1], ``(num_samples,)`` or
            ``(channels, num_samples)``.
        sample_rate: in Hz, a positive integer.
        subtype: libsndfile sample format: ``"PCM_16"`` (default), ``"PCM_24"``, ``"FLOAT"``...

    Returns:
        The path written.

    Raises:
        ValueError: NaN or infinite samples, samples beyond [-1, 1] (they would clip), a wrong
            shape, a non-positive sample rate, or an extension/subtype libsndfile cannot write.

    Used by: hw4_transcription and hw5_basic_pitch (saving what students listen to),
    ``data_scripts``.
    """
    path = pathlib.Path(path)
    if isinstance(audio, torch.Tensor):
        audio = audio.detach().cpu().numpy()
    audio = np.asarray(audio)
    sample_rate = _check_sample_rate(sample_rate, "sample_rate")
    if not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(
            f"Audio to save must be float in [-1, 1]; got {audio.dtype}. Integer PCM (int16) "
            "converts with audio / 32768."
        )
    if audio.ndim not in (1, 2) or audio.size == 0:
        raise ValueError(
            f"Audio to save must be (num_samples,) or (channels, num_samples) and not empty; got "
            f"shape {audio.shape}. Squeeze a batch axis (audio[0]) before saving."
        )
    if audio.ndim == 2 and audio.shape[0] > audio.shape[1]:
        raise ValueError(
            f"Audio to save must be (channels, num_samples); got shape {audio.shape}, which looks "
            "like (num_samples, channels). Pass audio.T."
        )
    bad = ~np.isfinite(audio)
    if bad.any():
        raise ValueError(
            f"Audio to save has {int(bad.sum())} NaN or infinite samples (the first at flat index "
            f"{int(np.flatnonzero(bad)[0])}). Find where they come from (a division by zero, "
            "an exploding model) before writing."
        )
    peak = float(np.abs(audio).max())
    if peak > 1.0:
        raise ValueError(
            f"Audio to save reaches {peak:.4g}, {peak - 1.0:.4g} beyond [-1, 1]: it would clip. "
            "Normalise it first, e.g. audio = 0.9 * audio / np.abs(audio).max()."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sf.write(str(path), audio.T if audio.ndim == 2 else audio, sample_rate, subtype=subtype)
    except (TypeError, ValueError, sf.SoundFileError, RuntimeError) as e:
        raise ValueError(
            f"Cannot write {path} with subtype {subtype!r} ({e}). Use an extension libsndfile "
            "knows (.wav, .flac, .ogg) and a subtype that format allows (PCM_16 suits both .wav "
            "and .flac)."
        ) from e
    _zero_peak_timestamp(path)
    return path


def _zero_peak_timestamp(path: pathlib.Path) -> None:
    # A PEAK chunk is 'PEAK', size, version, timestamp (4 bytes each), then per-channel peaks.
    # It sits in the header, before the sample data ('data' in WAV, 'SSND' in AIFF). Only
    # WAV/AIFF headers are searched: compressed data (FLAC, MP3) could hold those bytes by chance.
    with open(path, "r+b") as f:
        head = f.read(4096)
        if head[:4] not in (b"RIFF", b"RIFX", b"RF64", b"FORM"):
            return
        data_at = min((i for i in (head.find(b"data"), head.find(b"SSND")) if i >= 0), default=len(head))
        at = head.find(b"PEAK", 0, data_at)
        if at >= 0:
            f.seek(at + 12)
            f.write(b"\0\0\0\0")


def _check_sample_rate(sample_rate, name: str) -> int:
    if isinstance(sample_rate, (float, np.floating)) and float(sample_rate).is_integer():
        sample_rate = int(sample_rate)
    if not isinstance(sample_rate, (int, np.integer)) or isinstance(sample_rate, bool) or sample_rate <= 0:
        raise ValueError(f"{name} must be a positive whole number of Hz (e.g. 16000); got {sample_rate!r}.")
    return int(sample_rate)


def resample(audio, orig_sr: int, target_sr: int):
    """Change the sample rate (windowed-sinc interpolation, ``torchaudio.functional.resample``).

    Args:
        audio: float numpy array or torch tensor ``(..., num_samples)``; the last axis is time.
        orig_sr: its sample rate in Hz.
        target_sr: the wanted sample rate in Hz.

    Returns:
        The same type as ``audio`` (numpy float32 for numpy), shape
        ``(..., ceil(num_samples * target_sr / orig_sr))``; ``audio`` itself if the rates agree.

    Used by: :func:`load_audio`, hw5_basic_pitch (16 kHz piano audio -> 22050 Hz).
    """
    orig_sr = _check_sample_rate(orig_sr, "orig_sr")
    target_sr = _check_sample_rate(target_sr, "target_sr")
    if orig_sr == target_sr:
        return audio
    is_torch = isinstance(audio, torch.Tensor)
    x = audio if is_torch else torch.from_numpy(np.ascontiguousarray(audio))
    if not x.is_floating_point():  # int16 PCM would be resampled as numbers up to 32767
        raise ValueError(f"resample needs float audio; got {x.dtype}. Convert int16 PCM with audio / 32768.")
    if is_torch:
        return torchaudio.functional.resample(x, orig_sr, target_sr)
    return torchaudio.functional.resample(x.float().contiguous(), orig_sr, target_sr).numpy()


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

    def __init__(self, sample_rate: int = 16000, n_fft: int = 2048, hop_length: int = 512,
                 n_mels: int = 229, f_min: float = 30.0, f_max: float = 8000.0, clamp: float = 1e-5,
                 mel_scale: str = "slaney", drop_last_frame: bool = True):
        super().__init__()
        sample_rate = _check_sample_rate(sample_rate, "sample_rate")
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
