"""`bash run.sh lab` (course/jupyter/lab.sh) starts JupyterLab as root and as a normal user.

JupyterLab alone refuses to run as root (containers, lab machines); the course's start script
gives it --allow-root there with a one-line notice, and never as a normal user. The student's
lab gets the student's configuration; --instructor puts the instructor's in front.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "course" / "jupyter" / "lab.sh"
JUPYTER = Path(sys.executable).with_name("jupyter")
REFUSAL = "Running as root is not recommended. Use --allow-root to bypass."
NOTICE = "running as root: starting JupyterLab with --allow-root"
LAB_ARGS = ["--no-browser", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=t", "--ServerApp.port_retries=0"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict:
    for name in ("home", "config", "runtime"):
        (tmp_path / name).mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}


def _serve(command: list[str], env: dict, port: int, timeout: float = 60) -> tuple[bool, str]:
    """Start ``command``; True once /api/status answers on ``port``, with its output so far."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok, deadline = False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=t", timeout=2) as r:
                    ok = r.status == 200
                    break
            except OSError:
                time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.terminate()
        out, _ = process.communicate(timeout=20)
    return ok, out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_jupyterlab_alone_refuses_root(tmp_path):
    port = _port()
    ok, out = _serve([str(JUPYTER), "lab", str(tmp_path), f"--port={port}", *LAB_ARGS], _env(tmp_path), port, 30)
    assert not ok and REFUSAL in out, out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_lab_starts_as_root_with_a_notice(tmp_path):
    port = _port()
    ok, out = _serve(["bash", str(LAB), str(JUPYTER), str(tmp_path), f"--port={port}", *LAB_ARGS], _env(tmp_path), port)
    assert ok, out
    assert out.count(NOTICE) == 1, out


def test_lab_as_a_normal_user_gets_no_allow_root():
    """As a normal user: no notice, no --allow-root. A stub stands in for jupyter (the course's
    venv need not be runnable by another user), so only the start script's choices are checked."""
    with tempfile.TemporaryDirectory(prefix="lab-user-") as folder:  # pytest's tmp_path is mode 700
        os.chmod(folder, 0o755)
        folder = Path(folder)
        stub = folder / "jupyter"
        stub.write_text('#!/bin/sh\necho "uid=$(id -u) JUPYTER_CONFIG_PATH=$JUPYTER_CONFIG_PATH args: $*"\n')
        stub.chmod(0o755)
        env = _env(folder)
        command = ["bash", str(LAB), str(stub), str(folder)]
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                pytest.skip("no runuser to drop to a normal user")
            command = ["runuser", "-u", "nobody", "--", "env", *[f"{k}={v}" for k, v in env.items()], *command]
        student = subprocess.run(command + ["--port=1"], env=env, capture_output=True, text=True, check=True).stdout
        assert "uid=0" not in student and "--allow-root" not in student and NOTICE not in student, student
        assert student.rstrip().endswith(f"args: lab {folder} --port=1"), student
        assert f"JUPYTER_CONFIG_PATH={REPO / 'course' / 'jupyter' / 'student'}" in student, student
        instructor = subprocess.run(command + ["--instructor", "--port=1"], env=env, capture_output=True,
                                    text=True, check=True).stdout
        assert (f"JUPYTER_CONFIG_PATH={REPO / 'autograder' / 'jupyter' / 'instructor'}:"
                f"{REPO / 'course' / 'jupyter' / 'student'}") in instructor, instructor
