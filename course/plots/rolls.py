"""Piano rolls, TP/FP/FN comparisons and posteriorgrams on a key axis with note names.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from course.constants import MAX_MIDI, MIN_MIDI, N_KEYS
from course.plots.common import (
    BACKGROUND_COLOR,
    FN_COLOR,
    FP_COLOR,
    LEGEND_HEADROOM,
    TP_COLOR,
    _as_numpy,
    _new_axes,
    check_positive,
    note_name,
)


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


def binarise_estimate(estimate: np.ndarray, threshold: float, name: str = "estimate") -> np.ndarray:
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
    est = binarise_estimate(est, threshold)
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
    frame_rate = check_positive(frame_rate, "frame_rate")
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
    frame_rate = check_positive(frame_rate, "frame_rate")
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
    est = binarise_estimate(P, threshold, "P")
    frame_rate = check_positive(frame_rate, "frame_rate")
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
