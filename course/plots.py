"""Plots: spectrograms, piano rolls, TP/FP/FN comparisons, posteriorgrams, curves, confusions.

Every function draws on the Matplotlib ``ax`` it is given (or on a new figure's Axes where
``ax`` is None) and returns that Axes; none calls ``plt.show()``, so a notebook decides when a
figure appears and :mod:`course.listen` can render the same pictures into PNGs.

Conventions of the course, checked on entry:

* a spectrogram is ``(T, F)``: time first, as the models see it (librosa returns ``(F, T)``:
  transpose it with ``S.T``);
* a piano roll, a posteriorgram and an estimate are ``(T, 88)``, column ``k`` the key with MIDI
  pitch ``21 + k`` (see :mod:`course.notes`).

The TP/FP/FN colours are the Okabe-Ito colour-blind-safe ones: true positives black, false
positives vermillion, false negatives blue, on white.

Used by: hw1_tagging and hw2_genre (log-mel spectrograms, training curves; hw2 confusion
matrices), hw3_chords (training curves, chord confusion matrices), hw4_transcription (piano rolls,
posteriorgrams, TP/FP/FN), hw5_basic_pitch (CQT, posteriorgrams, NMP), and :mod:`course.listen`
(the pictures under the players).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from course.notes import MAX_MIDI, MIN_MIDI, N_KEYS

# RGB (0..255) of the comparison colours; tests and legends read them from here.
BACKGROUND_COLOR = (255, 255, 255)
TP_COLOR = (0, 0, 0)  # black: a key sounds and is found
FP_COLOR = (213, 94, 0)  # vermillion: found but not sounding
FN_COLOR = (0, 114, 178)  # blue: sounding but missed

LEGEND_HEADROOM = 0.2  # fraction of a cropped key range added on top, for the TP/FP/FN legend
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
Y_AXES = ("mel", "cqt", "linear", "bins")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _as_numpy(x, name: str) -> np.ndarray:
    """``x`` as a NumPy array; a torch tensor is detached and brought to the CPU first."""
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{name} must be an array; got {type(x).__name__} that NumPy cannot convert ({e}).") from e


def _new_axes(ax: Axes | None, figsize=(8, 3)) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def _positive(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a positive number; got {value!r}.") from e
    if not value > 0:
        raise ValueError(f"{name} must be a positive number; got {value}.")
    return value


def check_roll(roll, name: str = "roll") -> np.ndarray:
    """``roll`` as a float ``(T, 88)`` NumPy array, or a ``ValueError`` that says how to fix it.

    Args:
        roll: a piano roll, posteriorgram or estimate (NumPy array or torch tensor).
        name: what the caller calls it, for the message.

    Returns:
        ``(T, 88)`` float array.
    """
    roll = _as_numpy(roll, name)
    if roll.ndim == 3 and roll.shape[0] == 1:
        raise ValueError(
            f"{name} must have shape (T, {N_KEYS}); got {roll.shape}. It still has a batch "
            "dimension: pass its first item (x[0])."
        )
    if roll.ndim != 2 or roll.shape[1] != N_KEYS:
        hint = ""
        if roll.ndim == 2 and roll.shape[0] == N_KEYS:
            hint = " It looks transposed (keys first): pass its transpose (x.T)."
        elif roll.ndim == 2 and roll.shape[1] == 128:
            hint = " It has 128 MIDI pitches: keep the piano keys, x[:, 21:109]."
        raise ValueError(f"{name} must have shape (T, {N_KEYS}) (frames x piano keys); got {roll.shape}.{hint}")
    if roll.dtype != bool and (np.iscomplexobj(roll) or not np.issubdtype(roll.dtype, np.number)):
        raise ValueError(f"{name} must hold real numbers; got dtype {roll.dtype}.")
    return roll.astype(np.float64)


def note_name(midi: int) -> str:
    """Scientific pitch name of a MIDI number: 60 -> ``'C4'``, 21 -> ``'A0'``."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def _key_axis(ax: Axes, labels: str = "notes") -> None:
    """Y axis of a (frames x keys) image drawn with MIDI pitch as the y coordinate."""
    ticks = [m for m in range(MIN_MIDI, MAX_MIDI + 1) if m % 12 == 0]  # every C: C1 (24) .. C8 (108)
    ax.set_yticks(ticks)
    if labels == "notes":
        ax.set_yticklabels([note_name(m) for m in ticks])
        ax.set_ylabel("pitch")
    elif labels == "midi":
        ax.set_ylabel("MIDI pitch")
    else:
        raise ValueError(f'labels must be "notes" or "midi"; got {labels!r}.')


def _roll_extent(n_frames: int, frame_rate: float):
    # Pixel centres on frame times t / frame_rate and on integer MIDI pitches.
    return (-0.5 / frame_rate, (n_frames - 0.5) / frame_rate, MIN_MIDI - 0.5, MAX_MIDI + 0.5)


def used_pitch_range(*rolls, margin: int = 2, min_span: int = 12, headroom: float = 0.0) -> tuple[int, int] | None:
    """The MIDI pitches that any of ``rolls`` uses, widened by ``margin`` and to ``min_span`` keys.

    Pass the result as ``crop=`` to several pictures so that they share one y axis.

    Args:
        *rolls: ``(T, 88)`` arrays; a key is in use where any frame is nonzero.
        margin: keys added below and above.
        min_span: the range covers at least this many semitones (an octave by default).
        headroom: fraction of the range added on top (room for a legend, see ``LEGEND_HEADROOM``).

    Returns:
        ``(lowest, highest)`` MIDI pitches within A0..C8, or None where no key is in use.
    """
    used = np.flatnonzero(np.any([np.any(np.asarray(r) > 0, axis=0) for r in rolls], axis=0))
    if len(used) == 0:
        return None
    lo, hi = int(used[0]) + MIN_MIDI - margin, int(used[-1]) + MIN_MIDI + margin
    if hi - lo < min_span:
        lo -= (min_span - (hi - lo)) // 2
        hi = lo + min_span
    hi += int(np.ceil(headroom * (hi - lo)))
    return max(lo, MIN_MIDI), min(hi, MAX_MIDI)


def _crop_keys(ax: Axes, crop, rolls, labels: str = "notes", headroom: float = 0.0) -> None:
    """Limit the y axis: ``crop`` True -> to the keys ``rolls`` use; (lo, hi) -> those pitches."""
    if crop is None or crop is False:
        return
    if crop is True:
        crop = used_pitch_range(*rolls, headroom=headroom)
        if crop is None:
            return
    try:
        lo, hi = (int(v) for v in crop)
    except (TypeError, ValueError) as e:
        raise ValueError(f"crop must be True, False or a (lowest, highest) MIDI pitch pair; got {crop!r}.") from e
    ax.set_ylim(lo - 0.5, hi + 0.5)
    if hi - lo <= 30:
        # Up to two and a half octaves C alone leaves two or three labels: mark C, E and G.
        ticks = [m for m in range(lo, hi + 1) if m % 12 in (0, 4, 7)]
        ax.set_yticks(ticks)
        ax.set_yticklabels([note_name(m) if labels == "notes" else str(m) for m in ticks])


def _binarise_estimate(estimate: np.ndarray, threshold: float, name: str = "estimate") -> np.ndarray:
    """Binary ``(T, 88)`` estimate: a posteriorgram is thresholded, a 0/1 roll kept as it is."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1]; got {threshold}.")
    if estimate.size and (estimate.min() < 0 or estimate.max() > 1):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] or 0/1 values; got values in "
            f"[{estimate.min():.3g}, {estimate.max():.3g}]. If these are logits, pass "
            f"torch.sigmoid(logits) (or 1 / (1 + np.exp(-logits)))."
        )
    return estimate >= threshold


def comparison_image(reference, estimate, threshold: float = 0.5) -> np.ndarray:
    """The RGB picture of :func:`roll_comparison`, keys on rows (lowest key at row 0).

    Args:
        reference: ``(T, 88)`` ground-truth roll, nonzero where a key sounds.
        estimate: ``(T, 88)`` binary roll or posteriorgram (thresholded at ``threshold``).
        threshold: probability from which an estimate frame counts as active.

    Returns:
        ``(88, T, 3)`` uint8 image: white background, TP/FP/FN in
        :data:`TP_COLOR`, :data:`FP_COLOR`, :data:`FN_COLOR`.
    """
    ref = check_roll(reference, "reference") > 0
    est = check_roll(estimate, "estimate")
    if est.shape != ref.shape:
        raise ValueError(
            f"reference and estimate must have the same shape; got {ref.shape} and {est.shape}. "
            "Trim both to the shorter one: n = min(len(reference), len(estimate)); "
            "reference[:n], estimate[:n]."
        )
    est = _binarise_estimate(est, threshold)
    image = np.empty(ref.shape + (3,), np.uint8)
    image[:] = BACKGROUND_COLOR
    image[ref & est] = TP_COLOR
    image[~ref & est] = FP_COLOR
    image[ref & ~est] = FN_COLOR
    return np.ascontiguousarray(image.transpose(1, 0, 2))


def _comparison_legend(ax: Axes, counts: tuple[int, int, int] | None = None, alpha: float = 1.0) -> None:
    names = ("TP", "FP", "FN")
    colors = (TP_COLOR, FP_COLOR, FN_COLOR)
    handles = [
        Patch(
            facecolor=np.array(c) / 255,
            alpha=alpha,
            edgecolor="none",
            label=f"{n} ({k})" if counts is not None else n,
        )
        for n, c, k in zip(names, colors, counts or (None,) * 3)
    ]
    # Inside the top right corner, where a full roll is nearly always empty (C7 and up) and a
    # cropped one gets headroom (LEGEND_HEADROOM): out of the way of any title set later.
    ax.legend(handles=handles, loc="upper right", ncol=3, framealpha=0.85, borderaxespad=0.3,
              handlelength=1.2, columnspacing=1.0)


# --------------------------------------------------------------------------------------------
# Spectrograms
# --------------------------------------------------------------------------------------------


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
    sample_rate = _positive(sample_rate, "sample_rate")
    hop_length = _positive(hop_length, "hop_length")
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
        ylabel = {"mel": "frequency (Hz, mel)", "cqt": "pitch (CQT)", "bins": "frequency bin"}[y_axis]
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


# --------------------------------------------------------------------------------------------
# Piano rolls
# --------------------------------------------------------------------------------------------


def piano_roll(
    roll,
    frame_rate: float,
    ax: Axes | None = None,
    title: str | None = None,
    labels: str = "notes",
    crop: bool | tuple[int, int] = False,
    cmap: str = "Greys",
) -> Axes:
    """Draw a ``(T, 88)`` piano roll (binary or probabilities), time in seconds.

    Args:
        roll: ``(T, 88)`` array or tensor; column ``k`` is MIDI pitch ``21 + k``.
        frame_rate: frames per second (hw4: 31.25; hw5: 22050 / 256).
        ax: Axes to draw on; a new figure's where None.
        title: Axes title.
        labels: y ticks on every C, labelled ``"notes"`` (C1 ... C8) or ``"midi"`` (24 ... 108).
        crop: limit the y axis to the keys in use (at least an octave) instead of all 88
            (True), or to a ``(lowest, highest)`` MIDI pitch pair (see :func:`used_pitch_range`).
        cmap: colour map; values are shown from 0 (white) to 1 (black) with ``"Greys"``.

    Returns:
        The Axes.
    """
    roll = check_roll(roll, "roll")
    frame_rate = _positive(frame_rate, "frame_rate")
    ax = _new_axes(ax)
    ax.imshow(roll.T, origin="lower", aspect="auto", extent=_roll_extent(len(roll), frame_rate),
              cmap=cmap, vmin=0, vmax=max(1.0, float(roll.max(initial=0))), interpolation="nearest")
    _key_axis(ax, labels)
    _crop_keys(ax, crop, [roll], labels)
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    return ax


def roll_comparison(
    reference,
    estimate,
    frame_rate: float,
    ax: Axes | None = None,
    threshold: float = 0.5,
    title: str | None = None,
    labels: str = "notes",
    crop: bool | tuple[int, int] = False,
    legend: bool = True,
) -> Axes:
    """Draw where an estimate agrees with the reference: TP black, FP vermillion, FN blue.

    Each (frame, key) cell is a true positive (both active), a false positive (only the
    estimate), a false negative (only the reference) or white (neither). The picture is an RGB
    image (see :func:`comparison_image`), so its pixels can be counted back from
    ``ax.images[0].get_array()``.

    Args:
        reference: ``(T, 88)`` ground-truth roll, nonzero where a key sounds.
        estimate: ``(T, 88)`` binary roll or posteriorgram in [0, 1].
        frame_rate: frames per second.
        ax: Axes to draw on; a new figure's where None.
        threshold: a posteriorgram frame counts as active from this probability on.
        title: Axes title.
        labels: ``"notes"`` or ``"midi"`` tick labels (see :func:`piano_roll`).
        crop: True, False or a ``(lowest, highest)`` MIDI pair (see :func:`piano_roll`).
        legend: add a legend with the TP / FP / FN counts.

    Returns:
        The Axes.
    """
    image = comparison_image(reference, estimate, threshold)
    frame_rate = _positive(frame_rate, "frame_rate")
    ax = _new_axes(ax)
    ax.imshow(image, origin="lower", aspect="auto", extent=_roll_extent(image.shape[1], frame_rate),
              interpolation="nearest")
    _key_axis(ax, labels)
    _crop_keys(ax, crop, [(image != BACKGROUND_COLOR).any(axis=2).T], labels, LEGEND_HEADROOM if legend else 0.0)
    ax.set_xlabel("time (s)")
    if legend:
        counts = tuple(int(np.all(image == c, axis=2).sum()) for c in (TP_COLOR, FP_COLOR, FN_COLOR))
        _comparison_legend(ax, counts)
    if title:
        ax.set_title(title)
    return ax


def posteriorgram(
    P,
    frame_rate: float,
    reference=None,
    threshold: float = 0.5,
    ax: Axes | None = None,
    title: str | None = None,
    labels: str = "notes",
    crop: bool | tuple[int, int] = False,
    colorbar: bool = True,
) -> Axes:
    """Draw a ``(T, 88)`` posteriorgram (note probabilities), and its errors against a reference.

    The probabilities are grey levels (white 0, black 1). With ``reference``, the frames that
    thresholding at ``threshold`` gets wrong are tinted: false positives vermillion, false
    negatives blue; true positives stay as they are (dark, since their probability is high).

    Args:
        P: ``(T, 88)`` probabilities in [0, 1] (apply the sigmoid to logits first).
        frame_rate: frames per second.
        reference: optional ``(T, 88)`` ground-truth roll.
        threshold: probability from which a frame counts as active.
        ax: Axes to draw on; a new figure's where None.
        title: Axes title.
        labels: ``"notes"`` or ``"midi"`` tick labels.
        crop: True, False or a ``(lowest, highest)`` MIDI pair (see :func:`piano_roll`).
        colorbar: add a colour bar for the probabilities.

    Returns:
        The Axes.
    """
    P = check_roll(P, "P")
    est = _binarise_estimate(P, threshold, "P")
    frame_rate = _positive(frame_rate, "frame_rate")
    ax = _new_axes(ax)
    extent = _roll_extent(len(P), frame_rate)
    image = ax.imshow(P.T, origin="lower", aspect="auto", extent=extent, cmap="Greys", vmin=0, vmax=1,
                      interpolation="nearest")
    rolls = [est]
    if reference is not None:
        ref = check_roll(reference, "reference") > 0
        if ref.shape != P.shape:
            raise ValueError(
                f"reference and P must have the same shape; got {ref.shape} and {P.shape}. "
                "Trim both to the shorter one."
            )
        overlay = np.zeros(P.shape + (4,))  # RGBA, transparent where nothing is wrong
        overlay[~ref & est] = (*np.array(FP_COLOR) / 255, 0.75)
        overlay[ref & ~est] = (*np.array(FN_COLOR) / 255, 0.75)
        ax.imshow(overlay.transpose(1, 0, 2), origin="lower", aspect="auto", extent=extent,
                  interpolation="nearest")
        counts = (int((ref & est).sum()), int((~ref & est).sum()), int((ref & ~est).sum()))
        _comparison_legend(ax, counts)
        rolls.append(ref)
    _key_axis(ax, labels)
    _crop_keys(ax, crop, rolls, labels, LEGEND_HEADROOM if reference is not None else 0.0)
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="probability")
    return ax


# --------------------------------------------------------------------------------------------
# Training curves and confusion matrices
# --------------------------------------------------------------------------------------------


def _is_step_key(key: str) -> bool:
    return key in ("step", "steps", "epoch", "epochs") or key.endswith(("_step", "_steps", "_epoch"))


def _step_key_for(key: str, history: Mapping) -> str | None:
    """The x values of ``key``: ``<prefix>_step`` (``val_loss`` -> ``val_step``), else ``step``."""
    prefix = key.split("_", 1)[0] if "_" in key else None
    candidates = ([f"{prefix}_step", f"{prefix}_steps", f"{prefix}_epoch"] if prefix else []) + [
        "step", "steps", "epoch", "epochs"]
    for c in candidates:
        if c in history and c != key:
            return c
    return None


def training_curves(
    history: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    keys: Sequence[str] | None = None,
    log_y: bool = False,
    title: str | None = None,
) -> Axes:
    """Draw training curves: each logged quantity against its own steps.

    A quantity ``<prefix>_<name>`` is drawn against ``<prefix>_step`` where the history has it
    (so validation, logged every few hundred steps, gets ``val_step``), else against ``step``
    (or ``epoch``), else against 0, 1, 2, ...

    Args:
        history: dict of lists, e.g. ``{"step": [...], "train_loss": [...], "val_step": [...],
            "val_loss": [...]}``; values may be floats or 0-d tensors.
        ax: Axes to draw on; a new figure's where None.
        keys: the quantities to draw; by default every key containing ``"loss"`` (every
            non-step key where none does).
        log_y: logarithmic y axis.
        title: Axes title.

    Returns:
        The Axes.
    """
    if not isinstance(history, Mapping):
        raise ValueError(
            f"history must be a dict of lists such as {{'step': [...], 'train_loss': [...]}}; "
            f"got {type(history).__name__}."
        )
    if keys is None:
        keys = [k for k in history if "loss" in k and not _is_step_key(k)]
        if not keys:
            keys = [k for k in history if not _is_step_key(k)]
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"history has no {missing}; its keys are {list(history)}.")
    if not keys:
        raise ValueError(f"history has nothing to plot; its keys are {list(history)}.")
    ax = _new_axes(ax, figsize=(6, 3.5))
    x_label = set()
    for key in keys:
        y = np.array([float(v) for v in history[key]])
        step_key = _step_key_for(key, history)
        if step_key is None:
            x = np.arange(len(y))
            x_label.add("step")
        else:
            x = np.array([float(v) for v in history[step_key]])
            x_label.add(step_key.split("_")[-1].rstrip("s"))
            if len(x) != len(y):
                raise ValueError(
                    f"history[{key!r}] has {len(y)} values but its steps history[{step_key!r}] have "
                    f"{len(x)}. Append a step every time you append a value (a quantity logged at "
                    f"other times needs its own '<prefix>_step' list, e.g. 'val_step' for 'val_loss')."
                )
        ax.plot(x, y, label=key, marker="o" if len(y) <= 20 else None, markersize=3)
    ax.set_xlabel(" / ".join(sorted(x_label)))
    ax.set_ylabel("loss" if all("loss" in k for k in keys) else "value")
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def confusion_matrix(
    cm,
    labels: Sequence[str],
    ax: Axes | None = None,
    normalize: bool = True,
    annotate: bool | None = None,
    title: str | None = None,
    cmap: str = "Blues",
) -> Axes:
    """Draw a confusion matrix, true classes on rows, predicted classes on columns.

    Args:
        cm: ``(C, C)`` counts; ``cm[i, j]`` = examples of class ``i`` predicted as ``j``
            (scikit-learn's convention).
        labels: ``C`` class names.
        ax: Axes to draw on; a new figure's where None.
        normalize: divide each row by its total, so the diagonal is the per-class recall
            (a class without examples gets a row of zeros).
        annotate: write the value in every cell; by default where ``C <= 12``.
        title: Axes title.
        cmap: colour map.

    Returns:
        The Axes.
    """
    cm = _as_numpy(cm, "cm").astype(np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (C, C) matrix; got shape {cm.shape}.")
    labels = list(labels)
    if len(labels) != cm.shape[0]:
        raise ValueError(
            f"cm is {cm.shape[0]} x {cm.shape[1]} but {len(labels)} labels were given: give one per class."
        )
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    ax = _new_axes(ax, figsize=(1.0 + 0.5 * len(labels), 0.8 + 0.5 * len(labels)))
    vmax = 1.0 if normalize else max(cm.max(), 1.0)
    ax.imshow(cm, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    n = len(labels)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    long_names = max((len(str(label)) for label in labels), default=0) > 3
    ax.set_xticklabels(labels, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if annotate is None:
        annotate = n <= 12
    if annotate:
        for i in range(n):
            for j in range(n):
                value = cm[i, j]
                text = f"{value:.2f}" if normalize else f"{int(round(value))}"
                # White text on the dark half of the colour map, black on the light half.
                color = "white" if value > 0.5 * vmax else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize="small")
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------


def _sweep_values(results: Sequence[Mapping], keys: Sequence[str], value: str) -> None:
    if not results:
        raise ValueError("No results to draw: run the sweep first (it returns one dict per run).")
    for key in (*keys, value):
        missing = [r.get("key", i) for i, r in enumerate(results) if key not in r]
        if missing:
            raise ValueError(f"The results lack {key!r} (runs {missing[:3]}): pass the dicts the sweep runner returns.")


def sweep_grid(
    results: Sequence[Mapping],
    axes: Sequence[str] = ("sequence_length", "cnn_unit", "fc_unit"),
    value: str = "val_loss",
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "viridis_r",
) -> Axes:
    """A 3-D grid of sweep runs: one ball per run at its three settings, coloured by ``value``.

    Each axis is drawn on a log scale of its values' positions (the grid's values are usually
    doublings), labelled with the values themselves; the best run is ringed in red and every run
    is annotated with its value, so a sparse subset of the grid reads as well as the full one.

    Args:
        results: the sweep's runs, each a dict with the three ``axes`` keys and ``value``.
        axes: the three settings swept (x, y, z).
        value: what colours the balls; lower is better where the name contains "loss", else higher.
        ax: a 3-D Axes (``projection="3d"``); a new figure's where None.
        title: Axes title.
        cmap: colour map (reversed viridis: yellow is low).

    Returns:
        The 3-D Axes.

    Used by: hw4_transcription (Q2's architecture sweep).
    """
    _sweep_values(results, axes, value)
    if ax is None:
        ax = plt.figure(figsize=(6.5, 5)).add_subplot(projection="3d")
    positions = []
    for name in axes:
        levels = sorted({r[name] for r in results})
        positions.append(([levels.index(r[name]) for r in results], levels))
    scores = np.array([r[value] for r in results], dtype=float)
    points = ax.scatter(*(p for p, _ in positions), c=scores, cmap=cmap, s=120, depthshade=False, edgecolors="k")
    best = int(np.argmin(scores) if "loss" in value else np.argmax(scores))
    ax.scatter(*([p[best]] for p, _ in positions), s=320, facecolors="none", edgecolors="red", linewidths=2)
    for i, score in enumerate(scores):
        ax.text(positions[0][0][i], positions[1][0][i], positions[2][0][i], f" {score:.3f}", fontsize="x-small")
    for (_, levels), name, set_ticks, set_labels, set_label in zip(
        positions, axes, (ax.set_xticks, ax.set_yticks, ax.set_zticks),
        (ax.set_xticklabels, ax.set_yticklabels, ax.set_zticklabels), (ax.set_xlabel, ax.set_ylabel, ax.set_zlabel),
    ):
        set_ticks(range(len(levels)))
        set_labels([f"{v:g}" for v in levels])
        set_label(name)
    plt.colorbar(points, ax=ax, shrink=0.6, pad=0.1, label=value)
    ax.set_title(title or f"{value} per run (red ring: best)")
    return ax


def sweep_heatmap(
    results: Sequence[Mapping],
    x: str = "lr",
    y: str = "weight_decay",
    value: str = "val_loss",
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "viridis_r",
) -> Axes:
    """Two swept settings as a table of coloured cells; a cell not run is left blank.

    Args:
        results: the sweep's runs, each a dict with ``x``, ``y`` and ``value``.
        x, y: the settings on the columns and the rows.
        value: the cells' colour and text.
        ax: Axes to draw on; a new figure's where None.
        title: Axes title.
        cmap: colour map.

    Returns:
        The Axes.

    Used by: hw4_transcription (Q2's learning-rate x weight-decay sweep).
    """
    _sweep_values(results, (x, y), value)
    xs, ys = sorted({r[x] for r in results}), sorted({r[y] for r in results})
    table = np.full((len(ys), len(xs)), np.nan)
    for r in results:
        table[ys.index(r[y]), xs.index(r[x])] = r[value]
    ax = _new_axes(ax, figsize=(1.5 + 1.3 * len(xs), 1.0 + 0.8 * len(ys)))
    image = ax.imshow(np.ma.masked_invalid(table), cmap=cmap, aspect="auto")
    for i in range(len(ys)):
        for j in range(len(xs)):
            text = "not run" if np.isnan(table[i, j]) else f"{table[i, j]:.3f}"
            ax.text(j, i, text, ha="center", va="center", fontsize="small", color="gray" if np.isnan(table[i, j]) else "w")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    plt.colorbar(image, ax=ax, label=value)
    ax.set_title(title or value)
    return ax
