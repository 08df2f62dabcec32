"""What every benchmark shares: the machine it ran on, its load, a clock, and markdown tables.

Figures measured on a shared machine are only honest with the load beside them: every table
records the load average before and after its runs.
"""
from __future__ import annotations

import datetime
import os
import pathlib
import platform
import time
from typing import Callable, Sequence

REPO = pathlib.Path(__file__).resolve().parent.parent


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, e.g. ``"1.02 0.80 0.55"`` (``"n/a"`` where unknown)."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def machine() -> str:
    """One sentence: the date, the machine, the torch build and whether it had a GPU."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
            f"torch {torch.__version__}, {gpu}.")


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """``(fn(), seconds)``."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A markdown table's lines."""
    return ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(map(str, row)) + " |" for row in rows]


def fmt(x, digits: int = 3) -> str:
    """A score for a table: ``—`` for a missing or NaN value."""
    return "—" if x is None or x != x else f"{x:.{digits}f}"
