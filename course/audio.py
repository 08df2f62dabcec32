"""Audio in and out, resampling, and the one check every function that takes audio makes.

* :func:`load_audio` / :func:`save_audio` read and write files with soundfile (libsndfile),
  which needs no FFmpeg; ``torchaudio.load`` is not used because it now needs torchcodec.
* :func:`resample` is ``torchaudio.functional.resample`` that also takes and returns numpy.
* :func:`check_audio` and :func:`check_sample_rate`: one mono signal, one sample rate, or an
  error that says what was expected, what came and how to fix it.

Importing this module does not import torch (the dataset builders' workers and the audition
widgets use it); :func:`resample` imports it when called.

Used by: every homework (loading, listening, augmenting), ``data_scripts`` (the loaders).
"""
from __future__ import annotations

import pathlib

import numpy as np
import soundfile as sf


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

    Used by: every homework, the dataset loaders.
    """
    path = pathlib.Path(path)
    if sample_rate is not None:
        sample_rate = check_sample_rate(sample_rate, "sample_rate")
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

    Used by: every homework (saving what students listen to).
    """
    path = pathlib.Path(path)
    if hasattr(audio, "detach"):  # a torch tensor
        audio = audio.detach().cpu().numpy()
    audio = np.asarray(audio)
    sample_rate = check_sample_rate(sample_rate, "sample_rate")
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


def check_sample_rate(value, name: str = "sample_rate") -> int:
    """``value`` as a positive whole number of Hz, or a ``ValueError`` naming ``name``.

    Floats that are whole (``16000.0``) are accepted.
    """
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{name} must be a positive whole number of Hz (e.g. 16000); got {value!r}. "
            "(A frame rate such as 31.25 belongs in frame_rate=.)"
        )
    return int(value)


def check_audio(audio, name: str = "audio", max_peak: float | None = None) -> np.ndarray:
    """``audio`` as one mono float signal, or a ``ValueError`` that says how to fix it.

    Args:
        audio: samples, numpy array or torch tensor.
        name: what the signal is, for the message (e.g. ``"the piece"``).
        max_peak: refuse samples beyond ``+-max_peak`` (``1.0`` where the audio will be played
            or written: it would clip); ``None`` accepts any finite level.

    Returns:
        ``(N,)`` float numpy array, the caller's float dtype kept (numpy, not a copy where
        possible).

    Raises:
        ValueError: not real floats (int16 PCM must be divided by 32768), not one dimension, no
            samples, NaN or infinite samples, or a peak beyond ``max_peak``.

    Used by: the audition widgets, hw5's augmentations and windowing, their references.
    """
    if hasattr(audio, "detach"):  # a torch tensor, without importing torch here
        audio = audio.detach().cpu().numpy()
    x = np.asarray(audio)
    what = f"The audio of {name!r}" if name != "audio" else "The audio"
    if np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{what} must be float samples in [-1, 1]; got {x.dtype} (PCM codes?). "
                         "Convert int16 PCM with audio / 32768.")
    if x.dtype == bool or np.iscomplexobj(x) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{what} must hold real float samples; got dtype {x.dtype}.")
    if x.ndim != 1:
        if x.ndim == 2 and 1 in x.shape:
            hint = ("which has a channel dimension of size 1. Drop it: audio.squeeze() "
                    "(torchaudio.load returns (1, N)).")
        elif x.ndim == 2 and min(x.shape) <= 8:
            axis = int(np.argmin(x.shape))
            hint = f"which looks like {x.shape[axis]} channels on axis {axis}. Average them: audio.mean(axis={axis})."
        else:
            hint = "Pass one signal: a batch has to be handled item by item, e.g. audio[0]."
        raise ValueError(f"{what} must be mono with shape (N,); got {x.ndim} dimensions {x.shape}, {hint}")
    if x.size == 0:
        raise ValueError(f"{what} is empty (0 samples). Check the file it was loaded from and any slicing "
                         "(a crop past the end gives an empty array).")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"{what} has {int(bad.sum())} NaN/inf samples of {x.size} (the first at index "
            f"{int(np.flatnonzero(bad)[0])}). They come from a division by zero or a diverging model "
            "upstream: find that step; np.nan_to_num(audio) only hides it.")
    if max_peak is not None:
        peak = float(np.abs(x).max())
        if peak > max_peak:
            beyond = float(np.mean(np.abs(x) > max_peak))
            raise ValueError(
                f"{what} clips: its peak is {peak:.4g}, {20 * np.log10(peak / max_peak):.1f} dB over full "
                f"scale ({max_peak:g}), and {beyond:.1%} of its samples lie beyond +-{max_peak:g}, which a "
                "player would distort. Normalise it: audio / np.abs(audio).max() (or * 0.9 / peak to keep "
                "headroom).")
    return x


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
    import torch
    import torchaudio

    orig_sr = check_sample_rate(orig_sr, "orig_sr")
    target_sr = check_sample_rate(target_sr, "target_sr")
    if orig_sr == target_sr:
        return audio
    is_torch = isinstance(audio, torch.Tensor)
    x = audio if is_torch else torch.from_numpy(np.ascontiguousarray(audio))
    if not x.is_floating_point():  # int16 PCM would be resampled as numbers up to 32767
        raise ValueError(f"resample needs float audio; got {x.dtype}. Convert int16 PCM with audio / 32768.")
    if is_torch:
        return torchaudio.functional.resample(x, orig_sr, target_sr)
    return torchaudio.functional.resample(x.float().contiguous(), orig_sr, target_sr).numpy()
