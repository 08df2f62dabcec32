"""Scoring hw5's transcribers: whole pieces, notes by the decoder you pass, note F and frame accuracy.

Used by: hw5_basic_pitch (test scores, robustness), ``bench/hw5_basic_pitch.py``.
"""
from __future__ import annotations

import types
from typing import Callable

import numpy as np
import torch

from course.audio import check_audio, resample
from course.constants import AUDIO_SAMPLE_RATE, CQT_FRAME_RATE, FFT_HOP, MAX_MIDI, MIN_MIDI
from course.datasets import iter_pieces
from course.hw5_basic_pitch.inference import predict_piece
from course.metrics import frame_scores, note_scores
from course.notes import Notes, notes_to_rolls


def _piece_audio(piece, sample_rate: int) -> np.ndarray:
    audio = piece.audio.detach().cpu().numpy() if torch.is_tensor(piece.audio) else np.asarray(piece.audio)
    return resample(audio.astype(np.float32, copy=False), sample_rate, AUDIO_SAMPLE_RATE)


def _on_piano(notes: Notes) -> Notes:
    keep = (notes.pitches >= MIN_MIDI) & (notes.pitches <= MAX_MIDI)
    return Notes(notes.intervals[keep], notes.pitches[keep], notes.velocities[keep])


def score_notes(reference: Notes, estimate: Notes, n_frames: int) -> dict[str, float]:
    """Note F (with offsets), Fno (onsets only) and multipitch frame scores of one piece.

    Frames: both note lists rendered as rolls on the label grid (frame ``t`` at ``t * 256 /
    22050`` s, ``n_frames`` frames, :func:`course.notes.notes_to_rolls`), then
    ``mir_eval.multipitch`` (:func:`course.metrics.frame_scores`); ``frame_accuracy`` is its
    ``Accuracy`` (TP / (TP + FP + FN), the paper's "Acc").

    Returns:
        ``note_f1`` (Fno), ``note_with_offsets_f1`` (F), their precisions and recalls, and
        ``frame_precision``, ``frame_recall``, ``frame_f1``, ``frame_accuracy``.

    Used by: :func:`evaluate`, ``bench/hw5_basic_pitch.py``.
    """

    scores = {f"note_{k}": v for k, v in note_scores(reference, estimate).items()}
    scores.update({f"note_with_offsets_{k}": v for k, v in note_scores(reference, estimate, with_offsets=True).items()})
    ref_roll = notes_to_rolls(_on_piano(reference), CQT_FRAME_RATE, n_frames)["frame"]
    est_roll = notes_to_rolls(_on_piano(estimate), CQT_FRAME_RATE, n_frames)["frame"]
    scores.update({f"frame_{k}": v for k, v in frame_scores(ref_roll, est_roll, CQT_FRAME_RATE).items()})
    return scores


def evaluate(transcriber, dataset, decode: Callable, max_pieces: int | None = None,
             batch_size: int = 8, return_per_piece: bool = False) -> dict:
    """Transcribe whole pieces and score them, per piece then averaged.

    Each piece is resampled to 22050 Hz when the dataset is at another rate (its
    ``sample_rate`` attribute, e.g. a 16-kHz :class:`data_scripts.maestro.MaestroDataset`),
    run through :func:`~course.hw5_basic_pitch.inference.predict_piece`, decoded to notes by ``decode(note, onset)``
    (times of the stitched frames, ``course.hw5_basic_pitch.inference.frame_times``), and scored against the piece's
    notes (:func:`score_notes`).

    Args:
        transcriber: a :class:`~course.hw5_basic_pitch.model.Transcriber`, :class:`~course.hw5_basic_pitch.released.OriginalBasicPitch`
            or anything :func:`~course.hw5_basic_pitch.inference.predict_piece` runs.
        dataset: has ``len()`` and ``piece(i)`` (or ``[i]``) with ``.audio`` ``(N,)`` and
            ``.notes``; or a list of such pieces (:func:`transformed_pieces`).
        decode: ``decode(note (T, 88), onset (T, 88)) -> Notes`` with the stitched frames' times,
            e.g. your ``notes_from_posteriorgrams`` (its defaults are Basic Pitch's).
        max_pieces: score only the first that many pieces (``None`` or 0: all).
        batch_size: windows per forward pass.
        return_per_piece: also return the list of per-piece scores (with ``"title"``).

    Returns:
        Means over the pieces: ``note_f1`` (Fno), ``note_with_offsets_f1`` (F),
        ``frame_accuracy``, and their precisions, recalls and F1s; plus ``"n_pieces"``; with
        ``return_per_piece``, ``(means, per_piece)``.

    Used by: hw5_basic_pitch (test scores, robustness), ``bench/hw5_basic_pitch.py``.
    """

    sample_rate = getattr(dataset, "sample_rate", AUDIO_SAMPLE_RATE)
    per_piece = []
    for n, piece in enumerate(iter_pieces(dataset)):
        if max_pieces and n >= max_pieces:
            break
        audio = _piece_audio(piece, sample_rate)
        outputs = predict_piece(transcriber, audio, batch_size=batch_size)
        estimate = decode(outputs["note"], outputs["onset"])
        if not isinstance(estimate, Notes):
            raise TypeError(f"decode must return course.notes.Notes; got {type(estimate).__name__}.")
        scores = score_notes(piece.notes, estimate, 1 + len(audio) // FFT_HOP)
        scores["title"] = getattr(piece, "title", str(n))
        per_piece.append(scores)
    if not per_piece:
        raise ValueError("evaluate got no pieces: the dataset is empty.")
    keys = [k for k in per_piece[0] if k != "title"]
    means = {k: float(np.mean([s[k] for s in per_piece])) for k in keys}
    means["n_pieces"] = len(per_piece)
    return (means, per_piece) if return_per_piece else means


def transformed_pieces(dataset, transform: Callable, seed: int = 0) -> list:
    """A copy of a split with every piece's audio transformed (a noisy, reverberant test set).

    Args:
        dataset: pieces with ``.audio`` at 22050 Hz and ``.notes`` (``len()`` and ``piece(i)``).
        transform: ``transform(audio (N,), rng) -> (N,)``, e.g. reverb then the students'
            ``add_noise``; it must not move notes in time or pitch (the notes are kept).
        seed: seeds the generator passed to ``transform`` (one for the whole copy).

    Returns:
        A list of pieces (``.audio``, ``.notes``, ``.title``) that :func:`evaluate` accepts.

    Used by: hw5_basic_pitch (robustness), ``bench/hw5_basic_pitch.py``.
    """

    rng = np.random.default_rng(seed)
    out = []
    for piece in iter_pieces(dataset):
        audio = np.asarray(piece.audio, np.float32)
        new = check_audio(transform(audio, rng), "the transformed audio")
        if new.shape != audio.shape:
            raise ValueError(f"transform changed a piece's length from {len(audio)} to {len(new)} samples.")
        out.append(types.SimpleNamespace(audio=new.astype(np.float32), notes=piece.notes,
                                         title=getattr(piece, "title", "")))
    return out
