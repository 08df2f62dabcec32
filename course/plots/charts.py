"""Training curves, confusion matrices and sweep figures.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from course.plots.common import _as_numpy, _new_axes


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
