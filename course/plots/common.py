"""What every figure of the course shares: colours, axes, checks of numbers, note names.
"""
from __future__ import annotations

import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

# RGB (0..255) of the comparison colours; tests and legends read them from here.
BACKGROUND_COLOR = (255, 255, 255)
TP_COLOR = (0, 0, 0)  # black: a key sounds and is found
FP_COLOR = (213, 94, 0)  # vermillion: found but not sounding
FN_COLOR = (0, 114, 178)  # blue: sounding but missed

LEGEND_HEADROOM = 0.2  # fraction of a cropped key range added on top, for the TP/FP/FN legend
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
Y_AXES = ("log", "mel", "cqt", "linear", "bins")


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


def check_positive(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a positive number; got {value!r}.") from e
    if not value > 0:
        raise ValueError(f"{name} must be a positive number; got {value}.")
    return value


def note_name(midi: int) -> str:
    """Scientific pitch name of a MIDI number: 60 -> ``'C4'``, 21 -> ``'A0'``."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def png_bytes(draw, size: tuple[float, float], dpi: int) -> bytes:
    """Run ``draw(ax)`` on a figure of ``size`` inches at ``dpi`` and return its PNG bytes.

    The figure is made with ``matplotlib.figure.Figure``, not pyplot: pyplot never sees it, so
    the inline backend does not show it a second time and nothing stays registered (the effect
    of ``plt.close``, without the risk of closing a student's figure).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = size
    with warnings.catch_warnings(), matplotlib.rc_context({"font.size": 8, "legend.fontsize": 7}):
        warnings.simplefilter("ignore")  # stderr must stay clean (nbgrader test cells)
        fig = Figure(figsize=size, dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        # Fixed margins in inches rather than tight_layout: every column's Axes sits at the same
        # place whatever the picture's width, so rolls and spectrograms side by side line up.
        fig.subplots_adjust(left=0.75 / width, right=1 - 0.12 / width, bottom=0.42 / height, top=1 - 0.3 / height)
        draw(ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        fig.clear()
    return buffer.getvalue()
