"""Plausible wrong answers, per homework: each must lose the points of the cells it names.

The demo class of the main job submits one of them; the pipeline tests grade all of them and
check that each loses exactly the points listed (tests/test_pipeline.py). A submission is every
notebook of the homework plus the files a student hands in beside them (:data:`HANDED_IN`, such as
hw4's trained checkpoint); :func:`write_submission` writes one, with or without a mistake.
"""
from __future__ import annotations

import pathlib

from autograder import cells
from autograder.catalogue import Mistake
from autograder.config import REPO
from autograder.reference.hw4_transcription import mistakes as hw4_mistakes
from autograder.reference.hw5_basic_pitch import mistakes as hw5_mistakes

_CATALOGUES = {"hw4_transcription": hw4_mistakes, "hw5_basic_pitch": hw5_mistakes}
# Every homework's catalogue of mistakes, and the files its reference student hands in beside the
# notebooks (name in the submission -> source), e.g. hw4's trained checkpoint.
MISTAKES: dict[str, list[Mistake]] = {hw: module.MISTAKES for hw, module in _CATALOGUES.items()}
# Correct answers written differently from the reference: each must lose nothing.
ALTERNATIVES: dict[str, list[Mistake]] = {hw: getattr(module, "ALTERNATIVES", []) for hw, module in _CATALOGUES.items()}
HANDED_IN: dict[str, dict[str, pathlib.Path]] = {hw: module.HANDED_IN for hw, module in _CATALOGUES.items()}


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
    return {g: path.name for path in sorted((REPO / "solutions" / homework).glob("*.ipynb"))
            for g in cells.grade_ids(cells.read(path))}


def apply(mistake: Mistake, homework: str, dest: pathlib.Path) -> pathlib.Path:
    """Write the reference notebook with ``mistake`` made into ``dest`` (a folder)."""
    import nbformat

    source = REPO / "solutions" / homework / mistake.notebook
    nb = cells.read(source)
    try:
        cell = cells.find(nb, mistake.cell)
    except KeyError:
        raise ValueError(f"mistake {mistake.name!r}: no cell {mistake.cell} in {source}") from None
    if mistake.old not in cell.source:
        raise ValueError(f"mistake {mistake.name!r}: {mistake.old!r} not in cell {mistake.cell}")
    cell.source = cell.source.replace(mistake.old, mistake.new)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / mistake.notebook
    nbformat.write(nb, str(path))
    return path
