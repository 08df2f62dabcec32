"""No answers in the student bundle: answering every solution cell from course/ and data_scripts/.

The full check grades that submission (tests/test_pipeline.py: it must score zero); here, what
the bundle could answer at all, and that the probe finds a planted answer.
"""
from autograder.answers import bundle_exports, cheat_source, defined_names


def test_the_probe_finds_a_planted_answer():
    exports = {"median_filter": ["course.features"], "harmonic_shifts": ["course.features"]}
    source = "import torch\n\ndef median_filter(x, k):\n    ...\n\nKERNEL = (5, 1)\n"
    assert defined_names(source) == ["median_filter", "KERNEL"]
    assert cheat_source(defined_names(source), exports) == "from course.features import median_filter"
    assert "harmonic_shifts as _bundle_harmonic_shift" in cheat_source(["harmonic_shift"], exports)
    assert cheat_source(["decode_notes"], exports) is None


def test_the_bundle_exports_the_library_not_the_reference():
    exports = bundle_exports()
    assert "LogMel" in exports and "MaestroDataset" in exports
    for answer in ("decode_notes", "OnsetsAndFrames", "BiLSTMOnly", "ConcatOnly", "notes_from_posteriorgrams",
                   "NMPLayers", "shape_table", "median_filter", "weighted_bce", "equal_vote_pos_weight"):
        assert answer not in exports, f"{answer} is a student's task but the bundle defines it in {exports[answer]}"
