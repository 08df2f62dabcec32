"""Spectrograms: a light STFT for pictures and the drawing of any (T, F) spectrogram.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from course.plots.common import Y_AXES, _as_numpy, _new_axes, check_positive, note_name

SPECTROGRAM_MAX_FRAMES = 1000  # more frames than pixels is wasted work on long files


def log_spectrogram(audio: np.ndarray, sample_rate: int, max_frames: int = SPECTROGRAM_MAX_FRAMES):
    """A light log-magnitude STFT for pictures: Hann window of about 64 ms, NumPy only.

    The hop grows on long signals so that there are at most about ``max_frames`` frames.

    Args:
        audio: ``(N,)`` float samples.
        sample_rate: Hz.
        max_frames: rough upper bound on the number of frames.

    Returns:
        ``(S, hop_length)``: ``S`` is ``(T, n_fft // 2 + 1)`` float32 in dB, its floor 80 dB under
        its peak; ``hop_length`` the samples between frames.
    """
    n_fft = int(2 ** np.ceil(np.log2(0.064 * sample_rate)))
    hop = max(n_fft // 4, int(np.ceil(len(audio) / max_frames)))
    # Centre the frames (pad n_fft / 2 on both sides) so frame t is about time t * hop.
    padded = np.pad(audio.astype(np.float32), (n_fft // 2, n_fft // 2))
    if len(padded) < n_fft:
        padded = np.pad(padded, (0, n_fft - len(padded)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    magnitude = np.abs(np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1))
    S = 20 * np.log10(np.maximum(magnitude, 1e-6))
    return np.maximum(S, S.max() - 80.0).astype(np.float32), hop


def _hz_to_mel(f):
    # Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above.
    f = np.asarray(f, dtype=np.float64)
    linear = f / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log_part, linear)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    linear = m * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m >= 15.0, log_part, linear)


LOG_ROWS = 256  # rows of a log-frequency picture: more than its pixels
LOG_FMIN = 32.70  # C1: below it, music has little


def log_frequency_rows(S, sample_rate: float, fmin: float = LOG_FMIN, fmax: float | None = None,
                       rows: int = LOG_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """A linear-frequency STFT ``(T, F)`` resampled onto rows equally spaced in log frequency.

    Each row takes the loudest STFT bin of its band, so a narrow tone never falls between rows;
    the low rows, narrower than a bin, interpolate between bins.

    Args:
        S: ``(T, F)`` log-magnitudes of an STFT whose ``F`` bins run from 0 to ``sample_rate / 2``.
        sample_rate: Hz. fmin, fmax: the rows' range (``fmax``: ``sample_rate / 2``).
        rows: how many rows.

    Returns:
        ``(S_log (T, rows), centres (rows,) in Hz)``.
    """
    S = _as_numpy(S, "S")
    fmax = sample_rate / 2 if fmax is None else min(float(fmax), sample_rate / 2)
    if not 0 < fmin < fmax:
        raise ValueError(f"Need 0 < fmin < fmax <= sample_rate / 2; got fmin={fmin}, fmax={fmax}.")
    edges = np.geomspace(fmin, fmax, rows + 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    bins = np.linspace(0, sample_rate / 2, S.shape[1])
    out = np.stack([np.interp(centres, bins, frame) for frame in S]) if len(S) else np.zeros((0, rows))
    first, last = np.searchsorted(bins, edges[:-1]), np.searchsorted(bins, edges[1:])
    for row in np.flatnonzero(last > first):
        out[:, row] = np.maximum(out[:, row], S[:, first[row]:last[row]].max(axis=1))
    return out.astype(np.float32), centres


def spectrogram(
    S,
    sample_rate: float,
    hop_length: float,
    ax: Axes | None = None,
    y_axis: str = "mel",
    title: str | None = None,
    fmin: float | None = None,
    fmax: float | None = None,
    bins_per_octave: int = 12,
    cmap: str = "magma",
    colorbar: bool = False,
) -> Axes:
    """Draw a ``(T, F)`` log-magnitude spectrogram, time in seconds.

    Args:
        S: ``(T, F)`` array (NumPy or torch), already log-scaled (dB or ``log(1 + x)``): time
            first, frequency second. A librosa ``(F, T)`` array needs ``S.T``.
        sample_rate: sample rate of the audio in Hz.
        hop_length: samples between frames (frame ``t`` starts at ``t * hop_length /
            sample_rate`` seconds); a float is fine.
        ax: Axes to draw on; a new figure's where None.
        y_axis: how the ``F`` bins are spaced and labelled:
            ``"log"`` -- ``S`` is a linear STFT (bins from 0 to ``sample_rate / 2``), drawn on a
            log-frequency axis from ``fmin`` (C1) to ``fmax`` (``sample_rate / 2``), ticks on C
            notes with their frequency (:func:`log_frequency_rows`): music's octaves get equal
            heights, as we hear them;
            ``"mel"`` -- mel bands from ``fmin`` (0) to ``fmax`` (``sample_rate / 2``), ticks in Hz;
            ``"cqt"`` -- ``bins_per_octave`` bins per octave from ``fmin`` (A0 = 27.5 Hz), ticks on C notes;
            ``"linear"`` -- STFT bins from 0 to ``sample_rate / 2`` Hz;
            ``"bins"`` -- bin numbers, nothing assumed.
        title: Axes title.
        fmin, fmax: frequency range of the mel or CQT bins (see ``y_axis``).
        bins_per_octave: CQT resolution (Basic Pitch's CQT has 36).
        cmap: Matplotlib colour map.
        colorbar: add a colour bar.

    Returns:
        The Axes.
    """
    S = _as_numpy(S, "S")
    if np.iscomplexobj(S):
        raise ValueError(
            "S is complex (an STFT, not a magnitude). Plot its log-magnitude: "
            "20 * np.log10(np.abs(S) + 1e-6)."
        )
    if S.ndim == 3 and S.shape[0] == 1:
        raise ValueError(f"S must have shape (T, F); got {S.shape}. Drop the batch/channel dimension: S[0].")
    if S.ndim != 2 or 0 in S.shape:
        raise ValueError(f"S must have shape (T, F) (frames x frequency bins), both nonzero; got {S.shape}.")
    if y_axis not in Y_AXES:
        raise ValueError(f"y_axis must be one of {Y_AXES}; got {y_axis!r}.")
    sample_rate = check_positive(sample_rate, "sample_rate")
    hop_length = check_positive(hop_length, "hop_length")
    if y_axis == "log":
        S, centres = log_frequency_rows(S, sample_rate, LOG_FMIN if fmin is None else fmin, fmax)
    n_frames, n_bins = S.shape
    ax = _new_axes(ax)
    seconds_per_frame = hop_length / sample_rate
    x0, x1 = -0.5 * seconds_per_frame, (n_frames - 0.5) * seconds_per_frame
    finite = S[np.isfinite(S)]
    # -inf (log of 0) would wreck the colour scale: clip to the finite range.
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    data = np.clip(np.nan_to_num(S, nan=vmin, neginf=vmin, posinf=vmax), vmin, vmax).T
    if y_axis == "linear":
        half_bin = sample_rate / 2 / max(n_bins - 1, 1) / 2
        extent = (x0, x1, -half_bin, sample_rate / 2 + half_bin)
        ylabel = "frequency (Hz)"
    else:
        extent = (x0, x1, -0.5, n_bins - 0.5)
        ylabel = {"log": "note / Hz (log)", "mel": "frequency (Hz, mel)", "cqt": "pitch (CQT)",
                  "bins": "frequency bin"}[y_axis]
    image = ax.imshow(data, origin="lower", aspect="auto", extent=extent, cmap=cmap,
                      vmin=vmin, vmax=vmax, interpolation="nearest")
    if y_axis == "mel":
        lo = 0.0 if fmin is None else float(fmin)
        hi = sample_rate / 2 if fmax is None else float(fmax)
        # n_bins + 2 edges equally spaced in mel; band k is centred on edge k + 1.
        centres = _mel_to_hz(np.linspace(_hz_to_mel(lo), _hz_to_mel(hi), n_bins + 2))[1:-1]
        ticks, tick_labels = [], []
        for f in (100, 200, 500, 1000, 2000, 4000, 8000, 16000):
            position = float(np.interp(f, centres, np.arange(n_bins)))
            # Skip a tick that would crowd the previous one (low bands are nearly linear).
            if centres[0] <= f <= centres[-1] and (not ticks or position - ticks[-1] >= n_bins / 12):
                ticks.append(position)
                tick_labels.append(f"{f // 1000}k" if f >= 1000 else str(f))
        ax.set_yticks(ticks)
        ax.set_yticklabels(tick_labels)
    elif y_axis == "log":
        midi = 69 + 12 * np.log2(centres / 440.0)
        cs = [m for m in range(0, 128, 12) if midi[0] <= m <= midi[-1]]
        ax.set_yticks([float(np.interp(m, midi, np.arange(n_bins))) for m in cs])
        ax.set_yticklabels([f"{note_name(m)} {440.0 * 2 ** ((m - 69) / 12):.0f}" for m in cs])
    elif y_axis == "cqt":
        lo = 27.5 if fmin is None else float(fmin)
        # MIDI pitch of every bin; ticks on the bins nearest to each C.
        midi = 69 + 12 * np.log2(lo / 440.0) + np.arange(n_bins) * 12 / bins_per_octave
        cs = [m for m in range(0, 128, 12) if midi[0] - 0.01 <= m <= midi[-1] + 0.01]
        ax.set_yticks([(m - midi[0]) * bins_per_octave / 12 for m in cs])
        ax.set_yticklabels([note_name(m) for m in cs])
    ax.set_ylabel(ylabel)
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return ax
