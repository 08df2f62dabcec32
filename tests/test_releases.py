"""The committed releases equal a fresh nbgrader generation; the student bundle leaks nothing."""
import json
import pathlib

import pytest

from autograder.bundle import FORBIDDEN, find_leaks, make_student_bundle
from autograder.config import REPO
from autograder.workspace import generate_releases, homeworks_in


def notebook_content(path: pathlib.Path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    generate_releases(release_root=root)
    return root


def test_every_solution_has_a_committed_release():
    assert homeworks_in(REPO / "solutions") == homeworks_in(REPO / "assignments")


def test_releases_equal_a_fresh_generation(fresh):
    committed = sorted(p.relative_to(REPO / "assignments") for p in (REPO / "assignments").rglob("*") if p.is_file())
    generated = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert committed == generated, "run `bash run.sh autograder release` and commit assignments/"
    for rel in committed:
        a, b = REPO / "assignments" / rel, fresh / rel
        if rel.suffix == ".ipynb":
            assert notebook_content(a) == notebook_content(b), f"{rel} differs from a fresh release"
        else:
            assert a.read_bytes() == b.read_bytes(), f"{rel} differs from a fresh release"


def test_releases_hold_no_solution_or_hidden_test():
    for nb in (REPO / "assignments").rglob("*.ipynb"):
        text = nb.read_text()
        for marker in FORBIDDEN:
            assert marker not in text, f"{nb} contains {marker!r}"
        cells = notebook_content(nb)["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), f"{nb} has outputs"


def test_student_bundle(tmp_path):
    archive = make_student_bundle(tmp_path / "bundle")
    bundle = tmp_path / "bundle"
    assert archive.exists()
    assert not find_leaks(bundle)
    assert not (bundle / "solutions").exists() and not (bundle / "autograder").exists()
    assert (bundle / "course" / "__init__.py").exists() and (bundle / "data_scripts").exists()
    assert (bundle / "README.md").read_text().startswith("# Deep Learning for Music Audio")
    assert sorted(p.name for p in (bundle / "assignments").iterdir()) == homeworks_in(REPO / "assignments")


def test_leak_detector_finds_planted_solution(tmp_path):
    (tmp_path / "nb.ipynb").write_text('{"cells": ["### BEGIN SOLUTION"]}')
    (tmp_path / "autograder").mkdir()
    assert len(find_leaks(tmp_path)) == 2


def test_rubric_is_read_from_the_solutions():
    from autograder.bundle import rubric

    for homework in ("hw4_transcription", "hw5_basic_pitch"):
        written = [c for path in (REPO / "solutions" / homework).glob("*.ipynb")
                   for c in json.loads(path.read_text())["cells"]
                   if c["cell_type"] == "markdown" and c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        text = rubric(homework)
        assert len(written) >= 3 and text.count("**Rubric") == len(written), homework  # one rubric per answer
        assert "END SOLUTION" not in text and "(no rubric written)" not in text
