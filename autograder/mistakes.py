"""Plausible wrong answers, per homework: each must lose the points of the cells it names.

The demo class of the main job submits one of them; the pipeline tests grade all of them and
check that each loses exactly the points listed (tests/test_pipeline.py).
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


MISTAKES: dict[str, list[Mistake]] = {
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
    ],
}


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
