"""How to tell a complete built dataset from a half-built one, and its manifest of file hashes.

A build writes into a sibling folder ``<root>.partial-<pid>`` and renames it to ``<root>`` only
after its last file, ``manifest.json``, is written: a folder is complete exactly when it has a
manifest, carries no ``.incomplete`` marker and is not a ``.partial-`` folder. The manifest holds
the profile, seed, builder version and the sha256 and size of every file.

Used by: the builders (``data_scripts.build``) and every loader of an embedded set.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re

SPLITS = ("train", "validation", "test")  # every embedded set's splits, by piece
MANIFEST_NAME = "manifest.json"
INCOMPLETE_MARKER = ".incomplete"  # written first by a build, removed just before the manifest
_PARTIAL = re.compile(r"\.partial-\d+$")


class IncompleteDatasetError(FileNotFoundError):
    """The folder is a dataset build that has not finished (or crashed): it must not be read."""


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
            "`python -m data_scripts build --profile <ci|cpu|gpu> --force`."
        )
    return json.loads((root / MANIFEST_NAME).read_text())


def rebuild_command(root: str | os.PathLike, dataset: str) -> str:
    """The command that (re)builds the set at ``root``, with its manifest's dataset, profile and seed.

    Args:
        root: the set's folder (or a ``.partial-`` build of it).
        dataset: the set's name where no manifest says it (e.g. ``"piano"``).
    """
    from course.paths import dataset_dir
    from course.profiles import PROFILE_NAMES

    root = pathlib.Path(root)
    if is_partial_name(root):  # a build in progress: name the folder it becomes
        root = root.with_name(root.name.rsplit(".partial-", 1)[0])
    profile, seed = root.parent.name, 0
    if (root / MANIFEST_NAME).is_file():
        m = json.loads((root / MANIFEST_NAME).read_text())
        dataset, profile, seed = m.get("dataset", dataset), m.get("profile", profile), m.get("seed", seed)
    custom = profile not in PROFILE_NAMES or root != dataset_dir(dataset, profile)
    where = f" --root {root}" if custom else ""
    profile = profile if profile in PROFILE_NAMES else "<ci|cpu|gpu>"
    return f"python -m data_scripts.{dataset} --profile {profile} --seed {seed} --force{where}"


def check_not_partial(root: pathlib.Path, rebuild: str, needs_manifest: bool = False) -> None:
    """Raise :class:`IncompleteDatasetError` where ``root`` is an unfinished build.

    Args:
        root: the dataset folder.
        rebuild: the command that builds it, for the message.
        needs_manifest: the set is only ever built here (no download of it exists), so a
            non-empty folder without a manifest is unfinished too.
    """
    root = pathlib.Path(root)
    unmanifested = needs_manifest and root.is_dir() and any(root.iterdir()) and not (root / MANIFEST_NAME).is_file()
    if is_partial_name(root) or (root / INCOMPLETE_MARKER).exists() or unmanifested:
        raise IncompleteDatasetError(
            f"{root} is a dataset build that has not finished (or crashed): its files may be missing or half "
            f"written, so it is not read. Wait for the build, or rebuild it: {rebuild}"
        )


def sha256(path: pathlib.Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out: pathlib.Path, **fields) -> None:
    """``manifest.json`` in ``out``: ``fields`` plus ``files`` (sha256 and size of every other file)."""
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name not in (MANIFEST_NAME, INCOMPLETE_MARKER):
            files[path.relative_to(out).as_posix()] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    (out / MANIFEST_NAME).write_text(json.dumps({**fields, "files": files}, indent=1, sort_keys=True) + "\n")


def verify_manifest(root: pathlib.Path, rebuild: str) -> int:
    """Check every file the manifest lists against its size and sha256; returns how many.

    Raises:
        FileNotFoundError: a file is missing; ValueError: a file differs (named, with ``rebuild``).
    """
    files = read_manifest(root)["files"]
    for name, expected in sorted(files.items()):
        path = pathlib.Path(root) / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is in the manifest but missing. {rebuild}")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise ValueError(f"{path} is corrupt: {size} bytes where the manifest says {expected['bytes']}. {rebuild}")
        if sha256(path) != expected["sha256"]:
            raise ValueError(f"{path} is corrupt: its sha256 differs from the manifest's. {rebuild}")
    return len(files)
