"""Metrics: thin wrappers over mir_eval and scikit-learn with the course's conventions.

Used by: hw1_tagging and hw2_genre (ROC-AUC), hw3_chords (majmin accuracy),
hw4_transcription and hw5_basic_pitch (note F1, multipitch frame F1).
"""
from __future__ import annotations

import warnings

import numpy as np

from course.notes import MIN_MIDI, Notes


def note_scores(reference: Notes, estimate: Notes, with_offsets: bool = False,
                onset_tolerance: float = 0.05) -> dict[str, float]:
    """Note-level precision, recall and F1 (``mir_eval.transcription``).

    A note matches when its pitch is within 50 cents and its onset within ``onset_tolerance``
    (50 ms, mir_eval's default); ``with_offsets=True`` also asks its offset to lie within 20 % of
    the reference note's duration (at least 50 ms) -- the "note with offset" F1.

    Returns:
        ``{"precision", "recall", "f1"}``; an empty reference and estimate score 1.0.
    """
    import mir_eval

    if len(reference) == 0 and len(estimate) == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    if len(reference) == 0 or len(estimate) == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        reference.intervals, reference.pitches_hz(), estimate.intervals, estimate.pitches_hz(),
        onset_tolerance=onset_tolerance, offset_ratio=0.2 if with_offsets else None,
    )
    return {"precision": float(p), "recall": float(r), "f1": float(f)}


def note_f1(reference: Notes, estimate: Notes, with_offsets: bool = False) -> float:
    """Note F1 of :func:`note_scores`."""
    return note_scores(reference, estimate, with_offsets)["f1"]


def _roll_to_multipitch(roll: np.ndarray, frame_rate: float):
    times = np.arange(len(roll)) / frame_rate
    freqs = [440.0 * 2.0 ** ((np.flatnonzero(row) + MIN_MIDI - 69) / 12.0) for row in np.asarray(roll) > 0]
    return times, freqs


def frame_scores(reference_roll: np.ndarray, estimate_roll: np.ndarray, frame_rate: float) -> dict[str, float]:
    """Multipitch frame precision, recall, F1 and accuracy (``mir_eval.multipitch``).

    Both rolls are ``(T, 88)`` binary arrays on the same frame grid. F1 is computed from
    mir_eval's frame precision and recall, summed over all frames of the piece.

    Returns:
        ``{"precision", "recall", "f1", "accuracy"}``.
    """
    import mir_eval

    if np.shape(reference_roll) != np.shape(estimate_roll):
        raise ValueError(
            f"Rolls must share one frame grid: reference {np.shape(reference_roll)}, "
            f"estimate {np.shape(estimate_roll)}. Crop or pad the estimate to the reference."
        )
    ref_t, ref_f = _roll_to_multipitch(reference_roll, frame_rate)
    est_t, est_f = _roll_to_multipitch(estimate_roll, frame_rate)
    with warnings.catch_warnings():  # mir_eval warns on empty frames, which are normal here
        warnings.simplefilter("ignore")
        scores = mir_eval.multipitch.evaluate(ref_t, ref_f, est_t, est_f)
    p, r = scores["Precision"], scores["Recall"]
    return {"precision": float(p), "recall": float(r), "f1": float(2 * p * r / (p + r)) if p + r else 0.0,
            "accuracy": float(scores["Accuracy"])}


def chord_majmin(reference_intervals, reference_labels, estimated_intervals, estimated_labels) -> float:
    """Duration-weighted major/minor chord accuracy (``mir_eval.chord.majmin``), for hw3_chords."""
    import mir_eval

    est_i, est_l = mir_eval.util.adjust_intervals(
        np.asarray(estimated_intervals), list(estimated_labels),
        np.asarray(reference_intervals).min(), np.asarray(reference_intervals).max(),
        mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD,
    )
    intervals, ref, est = mir_eval.util.merge_labeled_intervals(
        np.asarray(reference_intervals), list(reference_labels), est_i, est_l)
    durations = mir_eval.util.intervals_to_durations(intervals)
    return float(mir_eval.chord.weighted_accuracy(mir_eval.chord.majmin(ref, est), durations))


def roc_auc(targets: np.ndarray, scores: np.ndarray, average: str = "macro") -> float:
    """ROC-AUC of multi-label predictions (``sklearn.metrics.roc_auc_score``), for hw1/hw2.

    Args:
        targets: ``(N, C)`` binary tags.
        scores: ``(N, C)`` predicted scores.
        average: ``"macro"`` (mean over tags, as in Dieleman & Schrauwen 2014) or ``"micro"``.
            Tags with only one class among ``targets`` are skipped (AUC is undefined for them).
    """
    from sklearn.metrics import roc_auc_score

    targets, scores = np.asarray(targets), np.asarray(scores)
    if targets.shape != scores.shape:
        raise ValueError(f"targets {targets.shape} and scores {scores.shape} must have the same shape (N, C).")
    keep = (targets.min(axis=0) != targets.max(axis=0)) if targets.ndim == 2 else slice(None)
    return float(roc_auc_score(targets[:, keep] if targets.ndim == 2 else targets,
                               scores[:, keep] if scores.ndim == 2 else scores, average=average))


def binary_scores(targets: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of binary predictions against binary targets (any shape)."""
    t, p = np.asarray(targets) > 0, np.asarray(predictions) > 0
    tp, fp, fn = float((t & p).sum()), float((~t & p).sum()), float((t & ~p).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
