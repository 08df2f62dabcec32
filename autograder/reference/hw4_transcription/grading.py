"""Scores the trusted grader computes for hw4's hidden tests (``#| trusted:`` directives).

Runs in the grader's own process, never in the student's kernel: the handed-in checkpoint is
loaded with ``weights_only`` into the reference Onsets and Frames and scored on the hidden split.
"""
from __future__ import annotations

import functools
import pathlib

CHECKPOINT = "onsets_and_frames.pt"


@functools.lru_cache(maxsize=8)
def _scores(path: str, mtime_ns: int) -> dict:
    from autograder.reference.hw4_transcription.models import OnsetsAndFrames, decode_notes
    from course.hw4_transcription.data import TranscriptionFeatures
    from course.hw4_transcription.evaluation import evaluate
    from course.hw4_transcription.training import load_transcriber
    from course.paths import dataset_dir
    from data_scripts.maestro import MaestroDataset

    model, _ = load_transcriber(path, OnsetsAndFrames)  # weights only: no pickled code runs
    hidden = TranscriptionFeatures(MaestroDataset(dataset_dir("piano", "ci"), "test"))
    scores = evaluate(model, hidden, decode_notes, "cpu")
    return {k: round(float(v), 6) for k, v in scores.items()}


def checkpoint_scores(folder: pathlib.Path) -> dict:
    """Frame and note scores of ``folder/onsets_and_frames.pt`` on the hidden split.

    Returns:
        :func:`course.hw4_transcription.evaluation.evaluate`'s scores (``note_f1``, ...), or
        ``{"error": why}`` when the checkpoint is missing or does not fit the model.
    """
    path = pathlib.Path(folder) / CHECKPOINT
    if not path.is_file():
        return {"error": f"no {CHECKPOINT} was handed in beside the notebook: train the model and hand in the file"}
    try:
        return _scores(str(path), path.stat().st_mtime_ns)
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        return {"error": f"{CHECKPOINT} does not load into Onsets and Frames ({type(e).__name__}: {str(e)[:300]})"}
