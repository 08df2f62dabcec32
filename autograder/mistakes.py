"""Plausible wrong answers, per homework: each must lose the points of the cells it names.

The demo class of the main job submits one of them; the pipeline tests grade all of them and
check that each loses exactly the points listed (tests/test_pipeline.py). A submission is every
notebook of the homework plus the files a student hands in beside them (:data:`HANDED_IN`, such as
hw4's trained checkpoint); :func:`write_submission` writes one, with or without a mistake.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import pathlib

from autograder.config import REPO


@dataclasses.dataclass(frozen=True)
class Mistake:
    name: str
    notebook: str  # file name inside solutions/<homework>/
    cell: str  # grade_id of the solution cell that holds the mistake
    old: str  # text of the reference solution replaced ...
    new: str  # ... by this
    loses: tuple[str, ...]  # grade_ids of the test cells that must score 0


# Files a reference student hands in beside the notebooks: name in the submission -> source.
# hw4's checkpoint is the reference Onsets and Frames trained in the cpu profile by
#   python -m bench.hw4_train --profile cpu --model OnsetsAndFrames --save autograder/reference/hw4_onsets_and_frames_cpu.pt
HANDED_IN: dict[str, dict[str, pathlib.Path]] = {
    "hw4_transcription": {"onsets_and_frames.pt": REPO / "autograder" / "reference" / "hw4_onsets_and_frames_cpu.pt"},
}

MISTAKES: dict[str, list[Mistake]] = {
    "hw4_transcription": [
        Mistake("missing detach", "onsets_and_frames.ipynb", "q3_onf",
                "torch.sigmoid(onset).detach()", "torch.sigmoid(onset)",
                ("test_q3_onf_detach",)),
        Mistake("concatenation on the time axis", "onsets_and_frames.ipynb", "q3_onf",
                "activation], dim=-1)", "activation], dim=1)",
                ("test_q3_onf_public", "test_q3_onf_detach", "test_q3_onf_hidden")),
        Mistake("unidirectional LSTM", "onsets_and_frames.ipynb", "q3_onf",
                "bidirectional=True", "bidirectional=False",
                ("test_q3_onf_public", "test_q3_onf_detach", "test_q3_onf_hidden")),
        Mistake("sigmoid applied twice", "onsets_and_frames.ipynb", "q3_onf",
                "return onset, self.combined_fc(self.combined_rnn(combined)[0])",
                "return torch.sigmoid(onset), torch.sigmoid(self.combined_fc(self.combined_rnn(combined)[0]))",
                ("test_q3_onf_hidden",)),
        Mistake("MaxPool over time", "baseline.ipynb", "q1_shapes",
                "(B, C, T, F1),          # maxpool (1, 2)", "(B, C, T // 2, F1),     # maxpool (1, 2)",
                ("test_q1_shapes_hidden",)),
        Mistake("wrong flatten order", "baseline.ipynb", "q1_shapes",
                "(B, T, 2 * C * F2),     # flatten(2)", "(B, 2 * C, T * F2),     # flatten(2)",
                ("test_q1_shapes_hidden",)),
    ],
    "hw5_basic_pitch": [
        Mistake("inverted equal-vote weight", "problem_set.ipynb", "b1_equal_vote",
                "return (targets.size - n_pos) / n_pos", "return n_pos / (targets.size - n_pos)",
                ("test_b1_function",)),
        Mistake("box filter instead of median", "problem_set.ipynb", "a3_median_filter",
                ".median(dim=-1).values", ".mean(dim=-1)",
                ("test_a3_median_public", "test_a3_median_hidden")),
        Mistake("zero padding instead of replicated edges", "problem_set.ipynb", "a3_median_filter",
                'mode="replicate"', 'mode="constant"',
                ("test_a3_median_public", "test_a3_median_hidden")),
        Mistake("window across pitches", "problem_set.ipynb", "a4_kernel",
                "KERNEL = (5, 1)", "KERNEL = (3, 3)",
                ("test_a4_kernel",)),
        Mistake("weight on the negative terms", "problem_set.ipynb", "b2_weighted_bce",
                "-(pos_weight * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))",
                "-(targets * F.logsigmoid(logits) + pos_weight * (1 - targets) * F.logsigmoid(-logits))",
                ("test_b2_public", "test_b2_hidden", "test_b3_best_weight")),
        Mistake("log of sigmoid (overflows)", "problem_set.ipynb", "b2_weighted_bce",
                "-(pos_weight * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))",
                "-(pos_weight * targets * torch.log(torch.sigmoid(logits)) + (1 - targets) * torch.log(1 - torch.sigmoid(logits)))",
                # training with large weights drives logits far enough to overflow, so B.3 fails too
                ("test_b2_hidden", "test_b3_best_weight")),
        Mistake("skipping the paper's 5x5 block", "basic_pitch.ipynb", "b1_layers",
                "features = self.stack_block(stack) if self.stack_block is not None else stack", "features = stack",
                ("test_b1_public", "test_b1_hidden")),
        Mistake("stride on the time axis", "basic_pitch.ipynb", "b1_layers",
                "stride=(1, 3)", "stride=(3, 1)",
                ("test_b1_public", "test_b1_hidden", "test_b2_released", "test_b2_released_hidden")),
        Mistake("onset head concatenates the contour instead of the notes", "basic_pitch.ipynb", "b1_layers",
                "torch.cat([torch.sigmoid(note), self.onset_conv(stack)], dim=1)",
                "torch.cat([torch.sigmoid(contour), self.onset_conv(stack)], dim=1)",
                ("test_b1_public", "test_b1_hidden", "test_b2_released", "test_b2_released_hidden")),
        Mistake("harmonic shift truncated (off by one bin)", "basic_pitch.ipynb", "a1_shift",
                "int(round(12 * bins_per_semitone * math.log2(h)))", "int(12 * bins_per_semitone * math.log2(h))",
                ("test_a1_shift_hidden",)),
        Mistake("labels not shifted with the audio", "basic_pitch.ipynb", "e_augment",
                "return shifted_audio, moved", "return shifted_audio, dict(labels)",
                ("test_e_public", "test_e_hidden")),
    ],
}


def write_submission(homework: str, dest: pathlib.Path, mistake: Mistake | None = None,
                     only: str | None = None) -> pathlib.Path:
    """A submission of ``homework`` in ``dest``: the reference's notebooks and :data:`HANDED_IN`
    files, with ``mistake`` made in its notebook when one is given.

    Args:
        only: the one notebook (file name) taken from the reference (``mistake``'s, when given);
            the homework's other notebooks are then the untouched release, which grades in
            seconds -- the pipeline tests use this to grade many submissions of one notebook.
            ``None``: every notebook from the reference.
    """
    import shutil

    only = mistake.notebook if mistake is not None and only is not None else only
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted((REPO / "solutions" / homework).glob("*.ipynb")):
        source = nb if only in (None, nb.name) else REPO / "assignments" / homework / nb.name
        shutil.copy2(source, dest / nb.name)
    if mistake is not None:
        apply(mistake, homework, dest)
    for name, source in HANDED_IN.get(homework, {}).items():
        shutil.copy2(source, dest / name)
    return dest


def notebook_of(homework: str) -> dict[str, str]:
    """``{grade_id: notebook file name}`` of every graded cell of a homework's source notebooks."""
    owner = {}
    for path in sorted((REPO / "solutions" / homework).glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                owner[grade_id] = path.name
    return owner


def apply(mistake: Mistake, homework: str, dest: pathlib.Path) -> pathlib.Path:
    """Write the reference notebook with ``mistake`` made into ``dest`` (a folder)."""
    source = REPO / "solutions" / homework / mistake.notebook
    nb = json.loads(source.read_text())
    wrong = copy.deepcopy(nb)
    for cell in wrong["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == mistake.cell:
            text = "".join(cell["source"])
            if mistake.old not in text:
                raise ValueError(f"mistake {mistake.name!r}: {mistake.old!r} not in cell {mistake.cell}")
            cell["source"] = text.replace(mistake.old, mistake.new)
            break
    else:
        raise ValueError(f"mistake {mistake.name!r}: no cell {mistake.cell} in {source}")
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / mistake.notebook
    path.write_text(json.dumps(wrong, indent=1))
    return path
