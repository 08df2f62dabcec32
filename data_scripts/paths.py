"""Where the embedded datasets live, and how to tell a complete one from a half-built one.

Every dataset is built into ``data_root()/<profile>/<name>`` (``data/cpu/piano`` by default).
A build writes into a sibling folder ``<root>.partial-<pid>`` and renames it to ``<root>`` only
after its last file, ``manifest.json``, is written: a folder is complete exactly when it has a
manifest, carries no ``.incomplete`` marker and is not a ``.partial-`` folder.

Used by: ``data_scripts.piano`` (the builder), ``data_scripts.maestro`` (the loader) and the
homework notebooks (to find the data).
"""
from __future__ import annotations

import json
import os
import pathlib
import re

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST_NAME = "manifest.json"
INCOMPLETE_MARKER = ".incomplete"  # written first by a build, removed just before the manifest
_PARTIAL = re.compile(r"\.partial-\d+$")

# MAESTRO v3's layout: its metadata files, their columns (in this order) and its splits. The
# builder writes it and the loader reads it (data_scripts.piano, data_scripts.maestro).
CSV_NAME = "maestro-v3.0.0.csv"
JSON_NAME = "maestro-v3.0.0.json"
COLUMNS = ("canonical_composer", "canonical_title", "split", "year", "midi_filename", "audio_filename", "duration")
SPLITS = ("train", "validation", "test")


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


def is_partial_name(root: str | os.PathLike) -> bool:
    """Whether ``root`` is named like a build in progress (``<root>.partial-<pid>``)."""
    return bool(_PARTIAL.search(pathlib.Path(root).name))


def is_complete(root: str | os.PathLike) -> bool:
    """Whether ``root`` holds a completely built dataset (its manifest was written last)."""
    root = pathlib.Path(root)
    return (
        not is_partial_name(root)
        and (root / MANIFEST_NAME).is_file()
        and not (root / INCOMPLETE_MARKER).exists()
    )


def read_manifest(root: str | os.PathLike) -> dict:
    """The manifest of a built dataset.

    Returns:
        ``{"dataset", "profile", "seed", "builder_version", "files": {relative path:
        {"sha256", "bytes"}}, ...}``.

    Raises:
        FileNotFoundError: when ``root`` is not a complete build.
    """
    root = pathlib.Path(root)
    if not is_complete(root):
        raise FileNotFoundError(
            f"{root} is not a completely built dataset (no {MANIFEST_NAME}, or a build is in "
            "progress or crashed). Build it: `bash run.sh data`, or "
            "`python -m data_scripts.piano --profile <ci|cpu|gpu> --force`."
        )
    return json.loads((root / MANIFEST_NAME).read_text())
