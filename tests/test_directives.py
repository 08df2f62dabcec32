"""Hidden tests receive instructor code only by directive, expanded by the trusted grader."""
import nbformat
import pytest

from autograder.directives import expand, expand_notebook


def run(source, folder=None):
    namespace = {}
    exec(compile(expand(source, folder), "<test cell>", "exec"), namespace)
    return namespace


def test_reference_is_bound_for_the_cell_only():
    ns = run("#| reference: hw5_basic_pitch.problem_set as ref\n"
             "#| reference: hw4_transcription.models import shape_table, decode_notes as rd\n"
             "assert callable(ref.median_filter) and callable(shape_table) and callable(rd)\n")
    assert not [k for k in ns if not k.startswith("__")]  # nothing is left for a later cell


def test_trusted_value_is_computed_by_the_grader(tmp_path):
    ns = run("#| trusted: hw4_transcription.grading.checkpoint_scores as hidden\nRESULT = hidden\n"
             "globals()['LEAK'] = hidden\n", tmp_path)
    assert "no onsets_and_frames.pt" in ns["LEAK"]["error"]  # missing checkpoint: the reason, not a crash


def test_source_without_directives_is_untouched():
    assert expand("x = 1\n# an ordinary comment\n", None) == "x = 1\n# an ordinary comment\n"


def test_unknown_reference_is_an_error():
    with pytest.raises(ValueError, match="no reference module"):
        expand("#| reference: hw9_none.module as ref\n", None)


def test_only_test_cells_are_expanded(tmp_path):
    directive = "#| reference: hw5_basic_pitch.problem_set as ref\n"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(directive, metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "mine"}}),
        nbformat.v4.new_code_cell(directive, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t",
                                                                     "points": 1}}),
    ])
    expand_notebook(nb, tmp_path)
    assert nb.cells[0].source == directive  # a student's own cell: a comment, nothing more
    assert "median_filter" in nb.cells[1].source


def test_the_grader_runs_the_expansion_before_execution():
    from autograder.config import make_config
    from autograder.directives import ExpandDirectives

    preprocessors = make_config("/tmp").Autograde.autograde_preprocessors
    assert preprocessors[0] is ExpandDirectives and ExpandDirectives().enabled  # nbconvert skips disabled ones
