"""hw4's inference and scores: probabilities of whole pieces, frame and note F1 per piece.

Used by: hw4_transcription (validation during training, the test scores), the grader.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.hw4_transcription.data import features_of
from course.metrics import frame_scores, note_scores


def predict(model: nn.Module, mel: torch.Tensor, chunk_frames: int | None = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Onset and frame probabilities of log-mel frames, in eval mode and without gradients.

    Args:
        model: a transcriber (``forward`` returns logits); left in eval mode.
        mel: ``(T, 229)`` or ``(B, T, 229)``, on the model's device.
        chunk_frames: run at most this many frames at a time (4096 frames = 131 s) and
            concatenate, so that a long recording fits in memory; the LSTMs do not see across a
            chunk boundary. ``None``: the whole input at once.

    Returns:
        ``(onset_probs, frame_probs)``, the shape of ``mel`` with 88 in place of 229, on the CPU.
    """
    single = mel.ndim == 2
    mel = mel[None] if single else mel
    model.eval()
    step = chunk_frames or mel.shape[1]
    onsets, frames = [], []
    with torch.no_grad():
        for start in range(0, mel.shape[1], step):
            onset, frame = model(mel[:, start : start + step])
            onsets.append(torch.sigmoid(onset).cpu())
            frames.append(torch.sigmoid(frame).cpu())
    onset, frame = torch.cat(onsets, 1), torch.cat(frames, 1)
    return (onset[0], frame[0]) if single else (onset, frame)


def evaluate(model: nn.Module, dataset, decode=None, device=None, onset_threshold: float = 0.5,
             frame_threshold: float = 0.5, chunk_frames: int | None = 4096) -> dict[str, float]:
    """Transcribe whole pieces and score them; every score is computed per piece, then averaged.

    * ``loss``: the training loss (BCE of onsets plus BCE of frames) over the whole pieces.
    * ``frame_*``: multipitch precision / recall / F1 (:func:`course.metrics.frame_scores`,
      mir_eval.multipitch) of the thresholded frame probabilities ``frame_probs >=
      frame_threshold`` against the label frame roll -- the frame output itself, before note
      decoding (KAIST HW3's frame metric).
    * ``note_*``: note precision / recall / F1 with onsets only (onset within 50 ms, pitch
      exact), :func:`course.metrics.note_scores`, of the notes ``decode`` finds against the
      piece's true notes (from its MIDI file, not re-quantised to frames). Only with ``decode``.
    * ``note_with_offsets_*``: the same, also requiring the offset within 20 % of the note's
      duration (at least 50 ms).

    Args:
        model: a transcriber; left in eval mode.
        dataset: a :class:`data_scripts.maestro.MaestroDataset` (its whole pieces) or whole-piece
            :class:`TranscriptionFeatures` (faster when evaluating more than once).
        decode: ``decode(onset_probs, frame_probs, onset_threshold, frame_threshold, frame_rate)
            -> Notes`` with ``(T, 88)`` probabilities (the decoder you write in Q3.1); ``None``:
            frame scores and loss only.
        device: where to run the model; default: the model's.
        onset_threshold, frame_threshold: of the frame scores and of ``decode``.
        chunk_frames: of :func:`predict`.

    Returns:
        ``{"loss", "frame_precision", "frame_recall", "frame_f1"}`` and, with ``decode``,
        ``"note_precision", "note_recall", "note_f1", "note_with_offsets_precision",
        "note_with_offsets_recall", "note_with_offsets_f1"``: means over the pieces.

    Used by: hw4_transcription (validation during :func:`train`, the test scores).
    """
    features = features_of(dataset)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.to(device)
    per_piece: dict[str, list[float]] = {}
    for item in features:
        onset_probs, frame_probs = predict(model, item["mel"].to(device), chunk_frames)
        scores = {"loss": float(_bce(onset_probs, item["onset"]) + _bce(frame_probs, item["frame"]))}
        for k, v in frame_scores(item["frame"].numpy(), (frame_probs >= frame_threshold).numpy(),
                                 features.frame_rate).items():
            scores[f"frame_{k}"] = v
        if decode is not None:
            notes = decode(onset_probs, frame_probs, onset_threshold, frame_threshold, features.frame_rate)
            for k, v in note_scores(item["notes"], notes).items():
                scores[f"note_{k}"] = v
            for k, v in note_scores(item["notes"], notes, with_offsets=True).items():
                scores[f"note_with_offsets_{k}"] = v
        for k, v in scores.items():
            if k == "loss" or k.endswith(("precision", "recall", "f1")):
                per_piece.setdefault(k, []).append(v)
    model.train(was_training)
    return {k: float(np.mean(v)) for k, v in per_piece.items()}


def _bce(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities, clamped away from 0 and 1 (no infinite loss)."""
    return F.binary_cross_entropy(probs.clamp(1e-7, 1 - 1e-7), labels.float())
