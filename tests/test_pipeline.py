"""The grading pipeline end to end on a class per homework.

Reference -> every autograded point; untouched release -> none; each plausible mistake loses
exactly the points of the cells it breaks (every homework). On hw5's class also: broken and hostile
submissions are reported with their reason and neither stop the others nor change their grades;
then feedback and the CSV gradebook.
"""
import csv
import json
import shutil

import pytest

from autograder import grading
from autograder.config import REPO
from autograder.mistakes import ALTERNATIVES, MISTAKES, notebook_of, write_submission

HW = "hw5_basic_pitch"
NB = "problem_set.ipynb"
CELL_TIMEOUT = 120  # generous: a loaded CI machine runs the ci-profile training cells slowly


def source_nb():
    return json.loads((REPO / "solutions" / HW / NB).read_text())


def code_cell(src):
    return {"cell_type": "code", "execution_count": None, "id": "injected", "metadata": {}, "outputs": [],
            "source": src}


def write(folder, nb):
    write_submission(HW, folder, only=NB)  # the homework's other notebooks: the untouched release
    (folder / NB).write_text(nb if isinstance(nb, str) else json.dumps(nb))


def points(result, homework, notebook):
    """The autograded points a result earned in one notebook of the homework."""
    owner = notebook_of(homework)
    return sum(score for cell, score in result.cell_scores.items() if owner.get(cell) == notebook)


def with_cell_after_setup(src):
    nb = source_nb()
    at = next(i for i, c in enumerate(nb["cells"]) if c.get("id") == "setup") + 1
    nb["cells"].insert(at, code_cell(src))
    return nb


def without(grade_id):
    nb = source_nb()
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def duplicated(grade_id):
    nb = source_nb()
    i = next(i for i, c in enumerate(nb["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    copy = json.loads(json.dumps(nb["cells"][i]))
    copy["id"] = "a-copy"
    nb["cells"].insert(i, copy)
    return nb


ATTACKS = {
    "attack_invalid_json": '{"cells": [ this is not json',
    "attack_deleted_cell": without("test_a1_impulse_box"),
    "attack_duplicated_cell": duplicated("test_b2_public"),
    "attack_dead_kernel": with_cell_after_setup("import os\nos._exit(1)"),
    "attack_kills_grader": with_cell_after_setup("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
    "attack_gradebook": with_cell_after_setup(
        "import pathlib\nfor p in pathlib.Path('../../..').resolve().glob('gradebook.db*'):\n"
        "    p.write_bytes(b'not a database')"),
    "attack_endless_loop": with_cell_after_setup("while True:\n    pass"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    subs = tmp / "submissions"
    write_submission(HW, subs / "aa_early_reference", only=NB)
    for student, nb in ATTACKS.items():
        write(subs / student, nb)
    return grade_class(HW, subs, tmp)


def grade_class(homework, subs, tmp):
    """Add the reference, the untouched release and one submission per mistake; grade them all.

    Each mistake's submission holds the mistake's notebook and the untouched release of the
    others (they grade in seconds): what it loses is compared notebook by notebook."""
    write_submission(homework, subs / "reference")
    (subs / "untouched").mkdir(parents=True)
    for nb in (REPO / "assignments" / homework).glob("*.ipynb"):
        shutil.copy2(nb, subs / "untouched" / nb.name)
    for i, mistake in enumerate(MISTAKES[homework]):
        write_submission(homework, subs / f"mistake_{i}", mistake, only=mistake.notebook)
    for i, alternative in enumerate(ALTERNATIVES[homework]):
        write_submission(homework, subs / f"alternative_{i}", alternative, only=alternative.notebook)
    workspace = tmp / "grading"
    results = {r.student: r for r in grading.grade(subs, workspace, homework, CELL_TIMEOUT)}
    return results, workspace, tmp


@pytest.fixture(scope="module")
def graded_hw4(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class_hw4")
    return grade_class("hw4_transcription", tmp / "submissions", tmp)


@pytest.mark.parametrize("homework", sorted(MISTAKES))
def test_reference_full_untouched_zero(request, homework):
    results = request.getfixturevalue("graded" if homework == HW else "graded_hw4")[0]
    ref = results["reference"]
    assert ref.status == "graded" and ref.auto_max > 0 and ref.auto_score == ref.auto_max, grading.format_table(list(results.values()))
    assert results["untouched"].auto_score == 0, grading.format_table(list(results.values()))
    assert ref.manual_max > 0  # written answers wait for the formgrader


@pytest.mark.parametrize("homework,index", [(hw, i) for hw in sorted(MISTAKES) for i in range(len(MISTAKES[hw]))],
                         ids=[f"{hw}-{m.name}" for hw in sorted(MISTAKES) for m in MISTAKES[hw]])
def test_each_mistake_loses_exactly_its_points(request, homework, index):
    results = request.getfixturevalue("graded" if homework == HW else "graded_hw4")[0]
    mistake, ref = MISTAKES[homework][index], results["reference"]
    got, owner = results[f"mistake_{index}"], notebook_of(homework)
    lost = {cell for cell, score in got.cell_scores.items()
            if owner[cell] == mistake.notebook and score < ref.cell_scores[cell]}
    assert lost == set(mistake.loses), (mistake.name, got.cell_scores)


ALTERNATIVE_CASES = [(hw, i) for hw in sorted(ALTERNATIVES) for i in range(len(ALTERNATIVES[hw]))]


@pytest.mark.parametrize("homework,index", ALTERNATIVE_CASES,
                         ids=[f"{hw}-{ALTERNATIVES[hw][i].name}" for hw, i in ALTERNATIVE_CASES])
def test_each_alternative_loses_nothing(request, homework, index):
    results = request.getfixturevalue("graded" if homework == HW else "graded_hw4")[0]
    alternative, ref = ALTERNATIVES[homework][index], results["reference"]
    got = results[f"alternative_{index}"]
    assert points(got, homework, alternative.notebook) == points(ref, homework, alternative.notebook), \
        (alternative.name, got.cell_scores)


def test_broken_and_hostile_submissions_are_reported(graded):
    results, _, _ = graded
    table = grading.format_table(list(results.values()))
    assert results["attack_invalid_json"].status == "failed"
    assert "not a readable notebook" in results["attack_invalid_json"].reason
    full = points(results["reference"], HW, NB)
    deleted, doubled = results["attack_deleted_cell"], results["attack_duplicated_cell"]
    assert deleted.status == "graded" and "deleted" in deleted.reason, table
    assert points(deleted, HW, NB) == full - 1 and deleted.cell_scores["test_a1_impulse_box"] == 0, table
    assert doubled.status == "graded" and "duplicated" in doubled.reason and points(doubled, HW, NB) == full, table
    assert results["attack_kills_grader"].status == "failed" and "killed" in results["attack_kills_grader"].reason, table
    assert results["attack_gradebook"].status == "failed" and "gradebook" in results["attack_gradebook"].reason, table
    assert results["attack_dead_kernel"].status == "failed" and "kernel died" in results["attack_dead_kernel"].reason, table
    # an endless loop costs its cell, not the submission: the cell is interrupted, the rest graded
    assert results["attack_endless_loop"].status == "graded", table
    assert points(results["attack_endless_loop"], HW, NB) == full, table
    assert "time limit" in results["attack_endless_loop"].reason, table


def test_grades_survive_attacks_feedback_and_export(graded):
    results, workspace, tmp = graded
    # the first student was graded before every attack: its grades are still in the gradebook
    csv_path = grading.export(workspace, tmp / "grades.csv")
    rows = {row["student_id"]: row for row in csv.DictReader(csv_path.open())}
    assert float(rows["aa_early_reference"]["raw_score"]) == results["aa_early_reference"].auto_score
    assert results["aa_early_reference"].auto_score == points(results["reference"], HW, NB)
    assert float(rows["untouched"]["raw_score"]) == 0.0
    files = grading.feedback(workspace, HW)
    students = {f.parent.parent.name for f in files}
    assert {"aa_early_reference", "reference", "untouched"} <= students
    html = (workspace / "feedback" / "reference" / HW / "problem_set.html").read_text()
    assert "test_b2_hidden" in html or "Hidden tests" in html


def test_print_table(graded, graded_hw4):
    """Not a check: the classes' tables, for the log (pytest -s)."""
    print(grading.format_table(list(graded[0].values())))
    print(grading.format_table(list(graded_hw4[0].values())))
