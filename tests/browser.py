"""The browser tests' machinery: a JupyterLab server, headless Chromium, notebooks, page probes.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``COURSE_CHROMIUM`` names another
binary) and ``playwright`` for Python (``pip install -e .[test]``; its own browser download is
never used). ``bash run.sh test`` installs both. Without them the tests are skipped, except
under ``CI=true``, where they fail: CI must not pass by skipping.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from course import listen

REPO = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).with_name("jupyter")
STUDENT_CONFIG = REPO / "course" / "jupyter" / "student"
INSTRUCTOR_CONFIG = REPO / "autograder" / "jupyter" / "instructor"
BUILD = Path(os.environ.get("COURSE_BUILD_DIR", REPO / "build" / "browser"))

SAMPLE_RATE = 16000
FRAME_RATE = 31.25
# course.listen's pictures: drawn at PIXEL_RATIO times the size they are shown in
PICTURE_PX = (listen.PIXEL_RATIO * listen.COLUMN_WIDTH_PX, listen.PIXEL_RATIO * listen.PICTURE_HEIGHT_PX)
TONES_HZ = (750, 1500, 3000, 6000)  # octaves: equally spaced on a log axis, doubling on a linear one
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--mute-audio",
]


def _missing(message: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI must run the browser tests)")
    pytest.skip(message)


def _chromium() -> str:
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        path = candidate and shutil.which(candidate)
        if path:
            return path
    _missing("no Chromium: apt-get install chromium (or set COURSE_CHROMIUM)")


# ---- Notebooks written for the test ----------------------------------------------------------------

SETUP = f"""\
import json
import numpy as np
from course.listen import Signal, audition, compare_rolls
SR, FR = {SAMPLE_RATE}, {FRAME_RATE}
t = np.arange(2 * SR) / SR
"""

TWO_SIGNALS = """\
tone = 0.3 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
noise = (0.1 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
audition(("tone", tone), ("noise", noise), sample_rate=SR)
"""

ROLLS = """\
reference = np.zeros((int(2 * FR), 88), np.float32)
reference[5:40, 39] = 1; reference[20:55, 43] = 1          # C4 and E4
predicted = reference.copy(); predicted[30:50, 46] = 0.9   # one false positive (G4)
compare_rolls(tone, reference, predicted, frame_rate=FR, sample_rate=SR)
"""

# The octave stack twice: as the course draws it by default, and on mel bins (a known
# log-like axis) so that the picture check below is seen to tell the two apart.
OCTAVES = f"""\
import librosa
stack = sum(np.sin(2 * np.pi * f * t) for f in {TONES_HZ}).astype(np.float32) * 0.2
mel = librosa.power_to_db(librosa.feature.melspectrogram(y=stack, sr=SR, n_fft=1024, hop_length=256,
                                                         n_mels=128, fmax=8000)).T
audition(("octaves", stack), Signal("octaves on mel bins", stack, spectrogram=mel), sample_rate=SR)
"""


def notebook(cells: list[str]) -> dict:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                   "outputs": [], "source": source} for i, source in enumerate(cells)],
    }


# ---- JupyterLab ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on ``root`` with the config folders ``config_path`` (first wins)."""

    def __init__(self, root: Path, config_path: list[Path], state: Path, env: dict | None = None):
        self.root, self.port, self.token = root, _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        for name in ("config", "runtime", "settings", "workspaces"):
            (state / name).mkdir(parents=True, exist_ok=True)
        # Quiet, deterministic front end: every cell in the DOM (no virtual scrolling), no news toast.
        settings = state / "settings"
        (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True, exist_ok=True)
        (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        environment = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(state / "config"),  # keeps ~/.jupyter out of the test
            "JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, config_path)),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "PYTHONPATH": str(REPO),
            "COURSE_PROFILE": "ci",
            **(env or {}),
        }
        command = [
            str(JUPYTER), "lab", "--no-browser", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        self.log = (state / "lab.log").open("w")
        self.process = subprocess.Popen(command, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n"
                                   + (state / "lab.log").read_text()[-3000:])
            if self.status("/api/status") == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("JupyterLab did not answer within 60 s:\n" + (state / "lab.log").read_text()[-3000:])

    def status(self, path: str) -> int:
        """HTTP status of GET ``path`` (with the token)."""
        sep = "&" if "?" in path else "?"
        try:
            with urllib.request.urlopen(f"{self.url}{path}{sep}token={self.token}", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    def page_url(self, notebook_path: str) -> str:
        return f"{self.url}/lab/tree/{notebook_path}?token={self.token}&reset"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# JS: per output cell, the columns a person sees (title, player, picture), found from each
# <audio> up to the nearest ancestor that also holds an <img>.
COLUMNS_JS = """async () => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const out = [];
  for (const cell of cells) {
    const columns = [];
    for (const audio of cell.querySelectorAll('.jp-OutputArea-output audio')) {
      let box = audio.parentElement;
      while (box && !box.querySelector('img')) box = box.parentElement;
      const img = box.querySelector('img');
      columns.push({audio, img, title: (box.querySelector('b') || {}).textContent || ''});
    }
    out.push(columns);
  }
  const measure = async ({audio, img, title}) => {
    const media = await new Promise(resolve => {
      const report = (event) => resolve({event, duration: audio.duration, readyState: audio.readyState,
                                         error: audio.error && audio.error.code});
      if (audio.readyState >= 2) return report('already');
      audio.addEventListener('canplay', () => report('canplay'), {once: true});
      audio.addEventListener('error', () => report('error'), {once: true});
      audio.preload = 'auto';
      audio.load();
      setTimeout(() => report('timeout'), 15000);
    });
    // Playable: it plays to its end (muted, 16x fast: 2 s of audio in about 0.13 s).
    audio.muted = true;
    audio.playbackRate = 16;
    let play = 'ok';
    const ended = new Promise(r => { audio.addEventListener('ended', () => r(true), {once: true});
                                     setTimeout(() => r(false), 5000); });
    try { await audio.play(); } catch (e) { play = String(e); }
    const reachedEnd = play === 'ok' && await ended;
    const playedTo = audio.currentTime;
    audio.pause(); audio.playbackRate = 1; audio.currentTime = 0;
    await img.decode().catch(() => {});
    return {title, ...media, play, ended: reachedEnd, playedTo,
            widget: audio.classList.contains('jupyter-widgets'), src: audio.src.slice(0, 15),
            img: {complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, src: img.src.slice(0, 15)}};
  };
  return Promise.all(out.map(columns => Promise.all(columns.map(measure))));
}"""

# JS: per row of the img in cell `c`, column `k`: mean luminance over the middle of the picture
# and the share of white pixels (the figure's margin, outside the Axes).
ROWS_JS = """([c, k]) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[c];
  const img = cell.querySelectorAll('.jp-OutputArea-output img')[k];
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d'); g.drawImage(img, 0, 0);
  const x0 = Math.round(0.35 * canvas.width), x1 = Math.round(0.8 * canvas.width);
  const data = g.getImageData(x0, 0, x1 - x0, canvas.height).data;
  const rows = [];
  for (let y = 0; y < canvas.height; y++) {
    let s = 0, white = 0;
    for (let x = 0; x < x1 - x0; x++) {
      const i = 4 * (y * (x1 - x0) + x);
      s += 0.3 * data[i] + 0.59 * data[i + 1] + 0.11 * data[i + 2];
      white += Math.min(data[i], data[i + 1], data[i + 2]) > 250;
    }
    rows.push([s / (x1 - x0), white / (x1 - x0)]);
  }
  return rows;
}"""


def frequency_scale(rows: list[float]) -> tuple[str, list[float]]:
    """'log' or 'linear' from the rows of a picture of TONES_HZ (octaves), with the gap ratios.

    Octaves sit at equal distances on a log (or mel, above 1 kHz) axis and at doubling ones
    on a linear axis: the ratio of consecutive gaps is about 1 or about 2.
    """
    lum, white = np.asarray(rows, dtype=float).T
    inside = np.append(white < 0.5, False)  # the Axes: the longest run of rows that are not margin
    best, start = (0, 0), None
    for y, b in enumerate(inside):
        if b and start is None:
            start = y
        elif not b and start is not None:
            best, start = max(best, (start, y), key=lambda r: r[1] - r[0]), None
    r = np.zeros_like(lum)
    inner = slice(best[0] + 3, best[1] - 3)  # without the spines and their anti-aliased rows
    r[inner] = lum[inner]
    bright = r > 0.5 * r.max()
    bands, start = [], None  # (first, last) rows of the bright bands, top of the image first
    for y, b in enumerate(np.append(bright, False)):
        if b and start is None:
            start = y
        elif not b and start is not None:
            bands.append([start, y - 1])
            start = None
    merged = []  # a band drawn at high resolution can show a darker core: one band, not two
    for band in bands:
        if merged and band[0] - merged[-1][1] <= max(3, 0.02 * (best[1] - best[0])):
            merged[-1][1] = band[1]
        else:
            merged.append(band)
    runs = [(a + b) / 2 for a, b in merged]
    if len(runs) != len(TONES_HZ):
        return f"unclear ({len(runs)} bright bands)", []
    gaps = -np.diff(runs[::-1])  # bottom (low) to top (high)
    ratios = [round(float(q), 2) for q in gaps[1:] / gaps[:-1]]
    if all(0.75 < q < 1.33 for q in ratios):
        return "log", ratios
    if all(1.6 < q < 2.5 for q in ratios):
        return "linear", ratios
    return "unclear", ratios


def screenshot(page, name: str):
    BUILD.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(BUILD / f"{name}.png"), full_page=True)


def expected_roll_seconds() -> float:
    """Duration compare_rolls gives the sonified 2-s rolls (at least the roll's length)."""
    return int(2 * FRAME_RATE) / FRAME_RATE
