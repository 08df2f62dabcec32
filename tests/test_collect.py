"""An LMS download (Canvas's file names) sorted into one folder per student by nbgrader's zip_collect."""
import shutil
import zipfile

import pytest

from autograder.collect import collect_download
from autograder.config import REPO

HW = "hw4_transcription"


def canvas_zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, source in files.items():
            zf.writestr(name, source.read_bytes() if hasattr(source, "read_bytes") else source)
    return path


def test_canvas_download_is_collected_per_student(tmp_path):
    release = REPO / "assignments" / HW
    archive = canvas_zip(tmp_path / "submissions.zip", {
        "curiemarie_1001_5001_baseline.ipynb": release / "baseline.ipynb",
        "curiemarie_1001_5002_onsets_and_frames.ipynb": release / "onsets_and_frames.ipynb",
        "curiemarie_1001_5003_onsets_and_frames.pt": b"weights",
        "turingalan_LATE_1002_5004_onsets_and_frames-1.ipynb": release / "onsets_and_frames.ipynb",
        "turingalan_1002_5005_notes.txt": b"not a hand-in",
    })
    students = collect_download(HW, archive, tmp_path / "collected")
    assert students == ["1001", "1002"]
    first = tmp_path / "collected" / "1001" / HW
    assert sorted(p.name for p in first.iterdir()) == ["baseline.ipynb", "onsets_and_frames.ipynb", "onsets_and_frames.pt"]
    second = tmp_path / "collected" / "1002" / HW
    assert sorted(p.name for p in second.iterdir()) == ["onsets_and_frames.ipynb"]  # re-upload suffix dropped


def test_a_download_from_another_lms_says_what_to_pass(tmp_path):
    archive = canvas_zip(tmp_path / "moodle.zip", {"Marie Curie_88_assignsubmission_file_baseline.ipynb": b"{}"})
    with pytest.raises(RuntimeError, match="--regexp"):
        collect_download(HW, archive, tmp_path / "collected")
    moodle = r".*/(?P<name>[^/_]+)_(?P<student_id>\d+)_assignsubmission_file_(?P<file_id>[^/]+)\.ipynb$"
    shutil.rmtree(tmp_path / "collected", ignore_errors=True)
    assert collect_download(HW, archive, tmp_path / "collected", moodle) == ["88"]
