"""Training Basic Pitch / NMP (hw5): Basic Pitch's loss and the loop on cached windows.

* :func:`nmp_loss` -- binary cross-entropy on the contour, note and onset heads with label
  smoothing 0.2, onsets class-balanced with the weight exposed, the contour term optional (the
  "without Yp supervision" ablation).
* :func:`train` -- :func:`course.training.fit` on random windows, an optional per-batch
  augmentation callback (``course.hw5_basic_pitch.augment.batch_augmentation``), validation loss.

The loss, against Basic Pitch's code (basic-pitch 0.4.0, ``basic_pitch/models.py`` and
``train.py``; read, not copied):

* ``loss(label_smoothing=0.2, weighted=False, positive_weight=0.5)``: Keras
  ``binary_crossentropy(..., label_smoothing=0.2)`` on all three heads, targets squeezed towards
  0.5 (``y * 0.8 + 0.1``: positives 0.9, negatives 0.1), the three losses summed.
* Onsets: ``weighted_transcription_loss`` is ``(1 - w) * mean BCE over the negatives + w * mean
  BCE over the positives`` with ``w = positive_weight = 0.5`` (cells split by the *unsmoothed*
  label): the plain mean BCE with every positive cell weighted by ``N_neg / N_pos`` (times a
  constant). ``train.py`` switches it on with ``--weighted-onset-loss`` (default off); here
  ``onset_positive_weight="balanced"`` is that weight per batch, a number a fixed weight and
  ``None`` plain BCE. The default, :data:`~course.hw5_basic_pitch.constants.ONSET_POSITIVE_WEIGHT`
  = 30, was chosen by measurement (``bench/measurements.md``).
* ``--no-contours`` (the code's commented-out ``loss_no_contour``): ``supervise_contour=False``.
* Differences: logits and ``binary_cross_entropy_with_logits`` (Keras clips probabilities at
  1e-7 instead); a batch without any onset gives the positives no weight (nothing to weigh).

Used by: hw5_basic_pitch, ``bench/hw5_basic_pitch.py``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from course.hw5_basic_pitch.constants import HEADS, LABEL_SMOOTHING, ONSET_POSITIVE_WEIGHT
from course.hw5_basic_pitch.data import WindowFeatures, stack_from_log_cqt
from course.profiles import current
from course.training import fit


def sizes(profile_name: str | None = None):
    """The Basic Pitch notebook's sizes of a profile: ``course.profiles.current(name).hw5.nmp``.

    Used by: hw5_basic_pitch, ``bench/hw5_basic_pitch.py``.
    """
    return current(profile_name).hw5.nmp


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
    """Train a :class:`~course.hw5_basic_pitch.model.Transcriber` on random 2-s windows (Adam, Basic Pitch's loss).

    Every step draws ``batch_size`` windows (:class:`WindowFeatures`), applies ``augment`` to
    audio and labels, recomputes the log-CQT of the windows whose audio changed, then runs batch
    norm, stacking and the layers and :func:`nmp_loss`, through :func:`course.training.fit`.

    Args:
        transcriber: front end plus layers; trained in place, left in eval mode.
        train_set: a :class:`data_scripts.multi_dataset.MultiInstrumentDataset` (training split).
        steps, batch_size, lr: optimiser steps, windows per step, Adam's learning rate.
        onset_positive_weight, supervise_contour, label_smoothing: of :func:`nmp_loss`.
        augment: ``augment(batch, rng) -> batch`` on ``{"audio": (B, 43844), "contour",
            "note", "onset"}`` tensors (``course.hw5_basic_pitch.augment.batch_augmentation``); ``None``: clean.
        validation_set: optional dataset; the loss on ``n_validation_windows`` fixed windows
            (seeded) is recorded every ``validate_every`` steps and at the end.
        clip_grad_norm: maximum total gradient norm (``None``: no clipping).
        hop_frames: of :class:`WindowFeatures`.
        seed: seeds the windows and the augmentation (not the weights: seed before building).
        features: reuse the cached windows of an earlier run on the same set and front-end
            settings (the cache holds fixed log-CQTs, so any transcriber may share it).
        desc: progress bar label.

    Returns:
        The history and clock of :func:`course.training.fit` plus ``"features"`` (the :class:`WindowFeatures`, to pass to the next run).

    Used by: hw5_basic_pitch (training, ablations, augmentation), ``bench/hw5_basic_pitch.py``.
    """

    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive; got {steps}, {batch_size}.")
    if not hasattr(transcriber, "front_end") or not hasattr(transcriber, "layers"):
        raise TypeError("train expects a course.hw5_basic_pitch.model.Transcriber(layers, front_end): it trains on cached log-CQTs.")
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
    history = fit(transcriber, batches(), loss_fn, optimizer, steps, clip_grad_norm=clip_grad_norm,
                  validate=validate, validate_every=validate_every, desc=desc)
    history["features"] = features
    return history
