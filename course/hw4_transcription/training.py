"""hw4's training: the loss, the loop (Adam, StepLR, clipping) and checkpoints without pickled code.

Gradients are clipped to a total norm *before* the optimiser step. jongwook/onsets-and-frames'
train.py calls ``clip_grad_norm_`` after ``optimizer.step()``, where it has no effect on the
update, and KAIST HW3 clips each parameter tensor separately.

Used by: hw4_transcription (Q2 and Q3), ``bench/hw4_transcription.py``.
"""
from __future__ import annotations

import pathlib

import torch
import torch.nn.functional as F
from torch import nn

from course.hw4_transcription.data import features_of
from course.hw4_transcription.evaluation import evaluate
from course.training import load_checkpoint, save_checkpoint


def transcription_loss(model: nn.Module, batch: dict, device=None) -> torch.Tensor:
    """BCE-with-logits of the onsets plus BCE-with-logits of the frames (each a mean).

    Args:
        batch: ``{"mel": (B, F, 229), "onset": (B, F, 88), "frame": (B, F, 88)}``.
    """
    device = device if device is not None else next(model.parameters()).device
    onset_logits, frame_logits = model(batch["mel"].to(device))
    return (F.binary_cross_entropy_with_logits(onset_logits, batch["onset"].to(device))
            + F.binary_cross_entropy_with_logits(frame_logits, batch["frame"].to(device)))


def train(model: nn.Module, train_set, steps: int, batch_size: int, sequence_length: int,
          lr: float = 6e-4, lr_decay_steps: int = 10000, lr_decay_rate: float = 0.98,
          clip_grad_norm: float | None = 3.0, weight_decay: float = 0.0, validation_set=None,
          validation_interval: int = 0, decode=None, device=None, seed: int = 0, log_every: int = 10,
          desc: str = "training") -> dict[str, list]:
    """Train a transcriber on random crops with :func:`course.training.fit`.

    Adam at ``lr``, multiplied by ``lr_decay_rate`` every ``lr_decay_steps`` steps (``StepLR``;
    jongwook/onsets-and-frames: 6e-4, 0.98 every 10 000 steps; KAIST HW3: 0.98 every 1 000), loss
    :func:`transcription_loss`, gradients clipped to a total norm of ``clip_grad_norm`` before
    each step, L2 weight decay ``weight_decay`` (Adam's, added to the gradient).

    Args:
        model: a transcriber (moved to ``device``).
        train_set: a :class:`data_scripts.maestro.MaestroDataset`; its log-mels are computed once
            here (:class:`TranscriptionFeatures`).
        steps: optimiser steps.
        batch_size: crops per step (pieces drawn without replacement within an epoch).
        sequence_length: crop length in samples, a multiple of 512 (102400 = 200 frames).
        validation_set: optional dataset for :func:`evaluate` every ``validation_interval`` steps
            (and at the end); its log-mels are computed once too. The history gets
            ``val_loss``, ``val_frame_f1`` and, with ``decode``, the note F1s.
        decode: the decoder :func:`evaluate` uses for the validation note scores.
        device: default: CUDA if available, else CPU.
        seed: seeds the crop positions and the batch order.

    Returns:
        :func:`course.training.fit`'s history and clock (``"seconds"``, ``"training_seconds"``,
        ``"val_training_seconds"``; the log-mel features are computed before the clock starts).

    Used by: hw4_transcription.
    """
    from course.training import choose_device, fit

    device = torch.device(device) if device is not None else choose_device()
    model.to(device)
    features = features_of(train_set, sequence_length, seed)
    validation = features_of(validation_set) if validation_set is not None else None
    loader = torch.utils.data.DataLoader(
        features, batch_size=batch_size, shuffle=True, drop_last=len(features) >= batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=lr_decay_steps, gamma=lr_decay_rate)
    validate = None
    if validation is not None:
        def validate(m):
            return {k: v for k, v in evaluate(m, validation, decode, device).items() if k == "loss" or k.endswith("f1")}
    return fit(model, loader, lambda m, b: transcription_loss(m, b, device), optimizer, steps,
               scheduler=scheduler, clip_grad_norm=clip_grad_norm, validate=validate,
               validate_every=validation_interval, log_every=log_every, desc=desc)


def save_transcriber(model: nn.Module, path, **config) -> pathlib.Path:
    """Save a transcriber's weights and the sizes needed to rebuild it (no pickled code).

    Args:
        model: the transcriber.
        path: the file, e.g. ``"onsets_and_frames.pt"`` next to the notebook.
        config: plain values to rebuild the model, e.g. ``cnn_unit=8, fc_unit=128, rnn_unit=64``;
            the class name is added as ``model_class``.

    Used by: hw4_transcription (the checkpoint the autograder evaluates).
    """

    return save_checkpoint(model, path, model_class=type(model).__name__, config=dict(config))


def load_transcriber(path, build) -> tuple[nn.Module, dict]:
    """Rebuild a transcriber saved by :func:`save_transcriber` and load its weights strictly.

    Args:
        path: the checkpoint.
        build: ``build(**config) -> nn.Module``, e.g. your ``OnsetsAndFrames`` class.

    Returns:
        ``(model, config)``, the model in eval mode.

    Raises:
        FileNotFoundError: no checkpoint at ``path``.
        RuntimeError: the weights do not fit the model ``build`` makes (the names or shapes of
            the layers differ: torch lists them).
    """

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}: train the model first (the training cell saves it).")
    config = torch.load(path, map_location="cpu", weights_only=True).get("config", {})
    model = build(**config)
    load_checkpoint(model, path, strict=True)
    return model.eval(), config
