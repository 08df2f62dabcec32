"""Where the course's built data lives: one place for every dataset folder and downloaded weight.

Every dataset is built into ``data_root()/<profile>/<name>`` (``data/cpu/piano`` by default);
released weights fetched at set-up go to ``data_root()/weights``. ``$COURSE_DATA`` moves it all.

Used by: every homework notebook (to find its data), ``data_scripts`` (builders and loaders).
"""
from __future__ import annotations

import os
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def data_root() -> pathlib.Path:
    """The folder that holds every built dataset: ``$COURSE_DATA``, else ``<repo>/data``."""
    env = os.environ.get("COURSE_DATA")
    return pathlib.Path(env).expanduser() if env else REPO_ROOT / "data"


def dataset_dir(name: str, profile: str | None = None) -> pathlib.Path:
    """Default folder of the dataset ``name`` (e.g. ``"piano"``) built for ``profile``.

    Args:
        name: the dataset's name.
        profile: ``ci``, ``cpu`` or ``gpu``; by default the current profile
            (``COURSE_PROFILE``, else ``gpu`` with CUDA, else ``cpu``).

    Returns:
        ``data_root() / <profile> / name``; it may not exist yet.
    """
    from course.profiles import current

    return data_root() / current(profile).name / name


def weights_dir() -> pathlib.Path:
    """``data_root()/weights``: released model weights fetched at set-up (hw5's Basic Pitch)."""
    return data_root() / "weights"
