"""Training and evaluating Basic Pitch / NMP (hw5): cached features, the loss, the loop, the scores.

The pieces, in the order the homework meets them:

* :func:`sizes` -- every size of the Basic Pitch notebook, per profile (``P.hw5_nmp`` of
  :mod:`course.profiles`).
* :func:`log_cqt` / :func:`stack_from_log_cqt` -- the front end (:class:`course.nmp.NMPFrontEnd`)
  cut in two at the place where it starts to learn: the normalised log-CQT is fixed signal
  processing, computed once per window and cached; the input batch norm (trainable), harmonic
  stacking and the layers run at every step. ``stack_from_log_cqt(fe, log_cqt(fe, audio))`` is
  ``fe(audio)`` (tests/test_nmp_training.py checks it).
* :class:`WindowFeatures` -- random 2-s training windows of a dataset
  (:class:`data_scripts.multi.MultiInstrumentDataset`) with their labels and cached log-CQTs.
  Window starts lie on a grid of ``hop_frames`` frames (8 frames, 93 ms, by default), so a
  window comes back and its CQT is reused; augmented windows are recomputed.
* :func:`nmp_loss` -- Basic Pitch's loss: binary cross-entropy on the contour, note and onset
  heads with label smoothing 0.2, onsets class-balanced with the weight exposed, the contour
  term optional (the "without Yp supervision" ablation).
* :func:`train` -- the loop: :func:`course.training.fit` on random windows, an optional
  per-batch augmentation callback (``course.augment.batch_augmentation``), validation loss.
* :func:`evaluate` -- whole pieces through :func:`course.nmp.predict_piece`, notes by the
  ``decode`` you pass (the note creation you write), note F with and without offsets and
  multipitch frame accuracy with mir_eval, per piece then averaged.
* :func:`transformed_pieces` -- a degraded (noisy, reverberant) copy of a test split.

The loss, against Basic Pitch's code (basic-pitch 0.4.0, ``basic_pitch/models.py`` and
``train.py``; read, not copied):

* ``loss(label_smoothing=0.2, weighted=False, positive_weight=0.5)``: Keras
  ``binary_crossentropy(..., label_smoothing=0.2)`` on all three heads, targets squeezed towards
  0.5 (``y * 0.8 + 0.1``: positives 0.9, negatives 0.1), the three losses summed.
* Onsets: ``weighted_transcription_loss`` is ``(1 - w) * mean BCE over the negatives + w * mean
  BCE over the positives`` with ``w = positive_weight = 0.5`` (cells split by the *unsmoothed*
  label). Over a batch with ``N_pos`` positives and ``N_neg`` negatives that is the plain mean
  BCE with every positive cell weighted by ``N_neg / N_pos`` (times the constant ``N / (2
  N_neg)``): the problem set's equal-vote weight. ``train.py`` switches it on with
  ``--weighted-onset-loss`` (default off); the paper describes class-balanced onsets, which is
  what the issue asks for, so :func:`nmp_loss` offers ``onset_positive_weight="balanced"`` (the
  equal-vote weight of each batch), a number (a fixed weight) and ``None`` (plain BCE).
* ``--no-contours`` (the code's commented-out ``loss_no_contour``): no loss on ``Yp``; here
  ``supervise_contour=False``.
* Differences: logits and ``binary_cross_entropy_with_logits`` (Keras clips probabilities at
  1e-7 instead); a batch without any onset gives the positives no weight at all (nothing to
  weigh) instead of Keras' NaN-free but undefined mean over an empty set.

Choosing the onset weight (measured 2026-11 on the cpu multi-instrument set, as-released
layers, batch 8, lr 3e-3, decoded with Basic Pitch's thresholds): ``None`` (plain BCE, the
released ``train.py`` default): after 300 steps no onset posterior reaches 0.5, note F 0;
``"balanced"`` (equal vote, about 1200 here: onsets are 0.08 % of the cells): Fno 0.31,
precision 0.21 -- onset posteriors near every true onset pass 0.5 and split notes; ``30``: Fno
0.65, F 0.38 after 200 steps. So :data:`ONSET_POSITIVE_WEIGHT` = 30 is the default of
:func:`train`, :func:`nmp_loss` and the sizes; it is the weight the problem set's sweep is
about, between the two extremes.

Speed (2026-11, this 2-core machine, loaded by other jobs): one step of 8 windows takes about
3.5 s for the paper's layers (the 3x39 convolution's weight gradient is 70 % of it) and 0.8 s
as released; channels-last memory layout (used by :func:`train` from batch 8 up,
:func:`use_channels_last`) makes the paper's model 1.5x faster than the default layout there.
The log-CQT of 8 windows takes 40 ms: caching saves little in training, much in repeated
evaluation.

Used by: hw5_basic_pitch, ``bench/hw5_bench.py``.
"""
from __future__ import annotations

import dataclasses
import time
import types
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from course.cqt import AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, FFT_HOP
from course.notes import MAX_MIDI, MIN_MIDI, Notes, notes_to_rolls

FRAME_RATE = AUDIO_SAMPLE_RATE / FFT_HOP  # 86.13 label frames per second
LABEL_SMOOTHING = 0.2  # basic_pitch/models.py: loss(label_smoothing=0.2)
# Onsets' positive weight for training (module docstring: "Choosing the onset weight").
ONSET_POSITIVE_WEIGHT = 30.0
HEADS = ("contour", "note", "onset")


# ---- sizes ------------------------------------------------------------------------------------


def sizes(profile_name: str | None = None):
    """The Basic Pitch notebook's sizes of a profile: ``course.profiles.current(name).hw5_nmp``.

    Used by: hw5_basic_pitch, ``bench/hw5_bench.py``.
    """
    from course.profiles import current

    return current(profile_name).hw5_nmp


# ---- the front end in two halves ---------------------------------------------------------------


def log_cqt(front_end, audio: torch.Tensor) -> torch.Tensor:
    """The fixed half of :class:`course.nmp.NMPFrontEnd`: ``(B, N)`` audio -> normalised log-CQT
    ``(B, T, n_cqt_bins)`` (nothing in it learns; cache it). ``front_end.log_cqt``.

    Used by: :class:`WindowFeatures`, hw5_basic_pitch.
    """
    return front_end.log_cqt(audio)


def stack_from_log_cqt(front_end, cqt: torch.Tensor) -> torch.Tensor:
    """The trainable half: input batch norm and harmonic stacking, ``(B, T, bins)`` ->
    ``(B, H, T, 264)``, what the layers read. ``front_end.stack``.

    Used by: :func:`train`, hw5_basic_pitch.
    """
    return front_end.stack(cqt)


# ---- training windows --------------------------------------------------------------------------


class WindowFeatures:
    """Random 2-s windows of a dataset with labels and cached normalised log-CQTs.

    Args:
        dataset: has ``len()`` and ``window(index, start_frame)`` returning ``{"audio": (43844,),
            "contour": (172, 264), "note": (172, 88), "onset": (172, 88)}`` tensors, and
            ``piece(index).note`` ``(T, 88)`` (``data_scripts.multi.MultiInstrumentDataset``).
        front_end: the transcriber's :class:`course.nmp.NMPFrontEnd` (its CQT and bin count).
        hop_frames: window starts lie on multiples of this many frames (a window fits inside its
            piece; a piece shorter than a window has one, at 0).
        seed: seeds :meth:`batch`'s default generator.

    Attributes:
        starts: ``[(index, start_frame), ...]`` every window that can be drawn.
        cache: ``{(index, start_frame): (172, bins) float16 tensor}``, filled as windows are drawn
            (float16: half the memory, 3 significant digits of a value in [0, 1]).

    Used by: :func:`train`, hw5_basic_pitch.
    """

    def __init__(self, dataset, front_end, hop_frames: int = 8, seed: int = 0):
        from course.cqt import ANNOT_N_FRAMES

        if not hasattr(dataset, "window"):
            raise TypeError(
                f"WindowFeatures needs a dataset with window(index, start_frame) (MultiInstrumentDataset); got "
                f"{type(dataset).__name__}."
            )
        if hop_frames < 1:
            raise ValueError(f"hop_frames must be a positive number of frames; got {hop_frames}.")
        self.dataset, self.front_end, self.hop_frames = dataset, front_end, int(hop_frames)
        self.starts = [
            (i, s) for i in range(len(dataset))
            for s in range(0, max(len(dataset.piece(i).note) - ANNOT_N_FRAMES, 0) + 1, self.hop_frames)
        ]
        self.cache: dict[tuple[int, int], torch.Tensor] = {}
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.starts)

    def compute(self, audio: torch.Tensor) -> torch.Tensor:
        """Log-CQTs of ``(B, N)`` audio on the front end's device, no gradient: ``(B, T, bins)``."""
        device = self.front_end.batch_norm.weight.device
        with torch.no_grad():
            return log_cqt(self.front_end, audio.to(device)).cpu()

    def windows(self, keys) -> dict:
        """The windows ``keys = [(index, start_frame), ...]``: audio, labels and log-CQTs.

        Returns:
            ``{"audio": (B, 43844), "contour", "note", "onset": (B, 172, bins), "cqt": (B, 172,
            n_cqt_bins) float32, "key": [...]}``.
        """
        items = [self.dataset.window(i, s) for i, s in keys]
        batch = {k: torch.stack([it[k] for it in items]) for k in ("audio",) + HEADS}
        missing = [n for n, key in enumerate(keys) if key not in self.cache]
        if missing:
            fresh = self.compute(batch["audio"][missing])
            for n, cqt in zip(missing, fresh):
                self.cache[keys[n]] = cqt.to(torch.float16)
        batch["cqt"] = torch.stack([self.cache[key] for key in keys]).float()
        batch["key"] = list(keys)
        return batch

    def batch(self, batch_size: int, rng: np.random.Generator | None = None) -> dict:
        """``batch_size`` windows drawn uniformly from :attr:`starts` (longer pieces more often)."""
        rng = self._rng if rng is None else rng
        picks = rng.integers(len(self.starts), size=batch_size)
        return self.windows([self.starts[p] for p in picks])


# ---- the loss ----------------------------------------------------------------------------------


def smooth_labels(labels: torch.Tensor, label_smoothing: float = LABEL_SMOOTHING) -> torch.Tensor:
    """Keras' label smoothing: ``labels * (1 - s) + s / 2`` (0 -> 0.1, 1 -> 0.9 for s = 0.2)."""
    return labels * (1.0 - label_smoothing) + 0.5 * label_smoothing


def balanced_weight(labels: torch.Tensor) -> torch.Tensor:
    """The equal-vote positive weight ``N_neg / N_pos`` of a batch of 0/1 labels (0 without
    positives), as a tensor (no gradient)."""
    positive = labels > 0.5
    n_pos = positive.sum()
    return torch.where(n_pos > 0, (labels.numel() - n_pos) / n_pos.clamp_min(1), torch.zeros((), device=labels.device))


def head_loss(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = LABEL_SMOOTHING,
              positive_weight=None) -> torch.Tensor:
    """Mean BCE-with-logits against smoothed labels; every cell whose *unsmoothed* label is 1
    weighted by ``positive_weight`` (``None``: 1; ``"balanced"``: :func:`balanced_weight`; or a
    number / tensor).

    Without smoothing and with a number this is the problem set's ``weighted_bce``.

    Used by: :func:`nmp_loss`.
    """
    if logits.shape != labels.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} differ: both (B, T, bins). Did the "
            "model return probabilities of another head, or the channel axis (B, 1, T, bins)?"
        )
    labels = labels.to(logits.dtype)
    target = smooth_labels(labels, label_smoothing)
    if positive_weight is None:
        return F.binary_cross_entropy_with_logits(logits, target)
    weight = balanced_weight(labels) if isinstance(positive_weight, str) else positive_weight
    if isinstance(positive_weight, str) and positive_weight != "balanced":
        raise ValueError(f"positive_weight must be None, 'balanced' or a number; got {positive_weight!r}.")
    cell_weight = torch.where(labels > 0.5, torch.as_tensor(weight, dtype=logits.dtype, device=logits.device),
                              torch.ones((), dtype=logits.dtype, device=logits.device))
    return F.binary_cross_entropy_with_logits(logits, target, weight=cell_weight)


def nmp_loss(outputs: dict, labels: dict, label_smoothing: float = LABEL_SMOOTHING,
             onset_positive_weight=ONSET_POSITIVE_WEIGHT, supervise_contour: bool = True,
             return_parts: bool = False):
    """Basic Pitch's training loss: the sum of the three heads' BCE (module docstring).

    Args:
        outputs: the layers' **logits** (``forward(stack, logits=True)``): ``{"contour": (B, T,
            264), "note": (B, T, 88), "onset": (B, T, 88)}``.
        labels: the same keys, 0/1 labels.
        label_smoothing: 0.2 as released; 0 for plain BCE.
        onset_positive_weight: onsets' positive weight: a number (default 30, see "Choosing
            the onset weight"), ``"balanced"`` (the equal-vote weight ``N_neg / N_pos`` of the
            batch, the released code's weighted loss) or ``None`` (plain BCE).
        supervise_contour: ``False`` drops the contour term (ablation "without Yp supervision").
        return_parts: also return ``{"contour", "note", "onset"}`` (floats) for logging.

    Returns:
        The scalar loss, or ``(loss, parts)``.

    Used by: :func:`train`, hw5_basic_pitch.
    """
    missing = [k for k in HEADS if k not in outputs or k not in labels]
    if missing:
        raise KeyError(f"nmp_loss needs {list(HEADS)} in outputs and labels; missing {missing}.")
    parts = {
        "contour": head_loss(outputs["contour"], labels["contour"], label_smoothing) if supervise_contour else None,
        "note": head_loss(outputs["note"], labels["note"], label_smoothing),
        "onset": head_loss(outputs["onset"], labels["onset"], label_smoothing, onset_positive_weight),
    }
    loss = sum(v for v in parts.values() if v is not None)
    if return_parts:
        return loss, {k: float(v) for k, v in parts.items() if v is not None}
    return loss


# ---- training ----------------------------------------------------------------------------------


def use_channels_last(batch_size: int, device) -> bool:
    """Whether :func:`train` lays the layers' tensors out channels-last.

    Only the memory layout changes, never a value or a state_dict key. Measured on this 2-core
    CPU (paper layers, forward + backward): batch 8, 3.5 s channels-last vs 5.9 s default;
    batch 2, 30 s (a pathological oneDNN weight-gradient kernel) vs 1.1 s. So: on the CPU from
    batch 8 up; never on a GPU (not measured).
    """
    return torch.device(device).type == "cpu" and batch_size >= 8


def layer_outputs(transcriber, cqt: torch.Tensor, logits: bool = True, channels_last: bool = False) -> dict:
    """The transcriber's outputs from cached log-CQTs ``(B, T, bins)``: batch norm, stacking,
    layers (what ``transcriber(audio, logits)`` computes after its CQT).

    Used by: :func:`train`, hw5_basic_pitch.
    """
    stack = stack_from_log_cqt(transcriber.front_end, cqt)
    if channels_last:
        stack = stack.contiguous(memory_format=torch.channels_last)
    return transcriber.layers(stack, logits=logits)


def train(transcriber, train_set, steps: int, batch_size: int, lr: float = 1e-3,
          onset_positive_weight=ONSET_POSITIVE_WEIGHT, supervise_contour: bool = True,
          label_smoothing: float = LABEL_SMOOTHING, augment: Callable | None = None,
          validation_set=None, n_validation_windows: int = 16, validate_every: int = 0,
          clip_grad_norm: float | None = 3.0, hop_frames: int = 8, seed: int = 0,
          features: WindowFeatures | None = None, desc: str = "training NMP") -> dict:
    """Train a :class:`course.nmp.Transcriber` on random 2-s windows (Adam, Basic Pitch's loss).

    Every step draws ``batch_size`` windows (:class:`WindowFeatures`), applies ``augment`` to
    audio and labels, recomputes the log-CQT of the windows whose audio changed, then runs batch
    norm, stacking and the layers and :func:`nmp_loss`, through :func:`course.training.fit`.

    Args:
        transcriber: front end plus layers; trained in place, left in eval mode.
        train_set: a :class:`data_scripts.multi.MultiInstrumentDataset` (training split).
        steps, batch_size, lr: optimiser steps, windows per step, Adam's learning rate.
        onset_positive_weight, supervise_contour, label_smoothing: of :func:`nmp_loss`.
        augment: ``augment(batch, rng) -> batch`` on ``{"audio": (B, 43844), "contour",
            "note", "onset"}`` tensors (``course.augment.batch_augmentation``); ``None``: clean.
        validation_set: optional dataset; the loss on ``n_validation_windows`` fixed windows
            (seeded) is recorded every ``validate_every`` steps and at the end.
        clip_grad_norm: maximum total gradient norm (``None``: no clipping).
        hop_frames: of :class:`WindowFeatures`.
        seed: seeds the windows and the augmentation (not the weights: seed before building).
        features: reuse the cached windows of an earlier run on the same set and front-end
            settings (the cache holds fixed log-CQTs, so any transcriber may share it).
        desc: progress bar label.

    Returns:
        The history of :func:`course.training.fit` plus ``"seconds"`` (wall time) and
        ``"features"`` (the :class:`WindowFeatures`, to pass to the next run).

    Used by: hw5_basic_pitch (training, ablations, augmentation), ``bench/hw5_bench.py``.
    """
    from course.training import fit

    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive; got {steps}, {batch_size}.")
    if not hasattr(transcriber, "front_end") or not hasattr(transcriber, "layers"):
        raise TypeError("train expects a course.nmp.Transcriber(layers, front_end): it trains on cached log-CQTs.")
    features = features or WindowFeatures(train_set, transcriber.front_end, hop_frames, seed)
    if features.front_end.n_cqt_bins != transcriber.front_end.n_cqt_bins:
        raise ValueError(
            f"The cached windows hold {features.front_end.n_cqt_bins}-bin log-CQTs but this front end reads "
            f"{transcriber.front_end.n_cqt_bins} bins (another number of harmonics): pass features=None, or the "
            "features of a run with the same n_harmonics."
        )
    rng = np.random.default_rng(seed)
    device = transcriber.front_end.batch_norm.weight.device
    channels_last = use_channels_last(batch_size, device)
    transcriber.layers.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)

    def batches():
        while True:
            batch = features.batch(batch_size, rng)
            if augment is not None:
                clean = batch["audio"]
                batch = augment(batch, rng)
                changed = [n for n in range(len(clean)) if not torch.equal(batch["audio"][n], clean[n])]
                if changed:  # only the augmented windows pay for a new CQT
                    batch["cqt"] = batch["cqt"].clone()
                    batch["cqt"][changed] = features.compute(batch["audio"][changed])
            yield batch

    def loss_fn(model, batch):
        outputs = layer_outputs(model, batch["cqt"].to(device), channels_last=channels_last)
        labels = {k: batch[k].to(device) for k in HEADS}
        return nmp_loss(outputs, labels, label_smoothing, onset_positive_weight, supervise_contour)

    validate = None
    if validation_set is not None:
        val_features = WindowFeatures(validation_set, transcriber.front_end, hop_frames, seed + 1)
        val_batch = val_features.batch(n_validation_windows, np.random.default_rng(seed + 1))

        def validate(model):
            return {"loss": float(loss_fn(model, val_batch))}

    optimizer = torch.optim.Adam(transcriber.parameters(), lr=lr)
    start = time.perf_counter()
    history = fit(transcriber, batches(), loss_fn, optimizer, steps, clip_grad_norm=clip_grad_norm,
                  validate=validate, validate_every=validate_every, desc=desc)
    history["seconds"] = time.perf_counter() - start
    history["features"] = features
    return history


# ---- evaluation --------------------------------------------------------------------------------


def _pieces(dataset):
    for i in range(len(dataset)):
        yield dataset.piece(i) if hasattr(dataset, "piece") else dataset[i]


def _piece_audio(piece, sample_rate: int) -> np.ndarray:
    from course.audio import resample

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

    Used by: :func:`evaluate`, ``bench/hw5_bench.py``.
    """
    from course.metrics import frame_scores, note_scores

    scores = {f"note_{k}": v for k, v in note_scores(reference, estimate).items()}
    scores.update({f"note_with_offsets_{k}": v for k, v in note_scores(reference, estimate, with_offsets=True).items()})
    ref_roll = notes_to_rolls(_on_piano(reference), FRAME_RATE, n_frames)["frame"]
    est_roll = notes_to_rolls(_on_piano(estimate), FRAME_RATE, n_frames)["frame"]
    scores.update({f"frame_{k}": v for k, v in frame_scores(ref_roll, est_roll, FRAME_RATE).items()})
    return scores


def evaluate(transcriber, dataset, decode: Callable, max_pieces: int | None = None,
             batch_size: int = 8, return_per_piece: bool = False) -> dict:
    """Transcribe whole pieces and score them, per piece then averaged.

    Each piece is resampled to 22050 Hz when the dataset is at another rate (its
    ``sample_rate`` attribute, e.g. a 16-kHz :class:`data_scripts.maestro.MaestroDataset`),
    run through :func:`course.nmp.predict_piece`, decoded to notes by ``decode(note, onset)``
    (times of the stitched frames, ``course.nmp.frame_times``), and scored against the piece's
    notes (:func:`score_notes`).

    Args:
        transcriber: a :class:`course.nmp.Transcriber`, :class:`course.released.OriginalBasicPitch`
            or anything :func:`course.nmp.predict_piece` runs.
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

    Used by: hw5_basic_pitch (test scores, robustness), ``bench/hw5_bench.py``.
    """
    from course.nmp import predict_piece

    sample_rate = getattr(dataset, "sample_rate", AUDIO_SAMPLE_RATE)
    per_piece = []
    for n, piece in enumerate(_pieces(dataset)):
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

    Used by: hw5_basic_pitch (robustness), ``bench/hw5_bench.py``.
    """
    from course.augment import check_audio

    rng = np.random.default_rng(seed)
    out = []
    for piece in _pieces(dataset):
        audio = np.asarray(piece.audio, np.float32)
        new = check_audio(transform(audio, rng), "the transformed audio")
        if new.shape != audio.shape:
            raise ValueError(f"transform changed a piece's length from {len(audio)} to {len(new)} samples.")
        out.append(types.SimpleNamespace(audio=new.astype(np.float32), notes=piece.notes,
                                         title=getattr(piece, "title", "")))
    return out
