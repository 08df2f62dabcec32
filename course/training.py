"""Training utilities: seeding, device choice, the training loop and its clock, checkpoints.

Used by: every homework that trains a model, and their benchmarks.
"""
from __future__ import annotations

import os
import pathlib
import random
import time
from typing import Callable, Iterable

import numpy as np
import torch


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed python's ``random``, numpy and torch (CPU and CUDA) in one place.

    Same seed, same data files, same grades: every notebook calls this once at the top.

    Returns:
        A ``torch.Generator`` seeded with ``seed``, for data loaders and random crops.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def choose_device(prefer: str | None = None) -> torch.device:
    """``cuda`` where available (or where asked for with ``prefer``), else ``cpu``.

    Raises:
        ValueError: ``prefer="cuda"`` on a machine without CUDA.
    """
    if prefer is not None:
        if prefer.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("CUDA was asked for but torch sees no GPU: use prefer='cpu' or run on a GPU machine.")
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def grading() -> bool:
    """True while nbgrader *autogrades* the notebook (``NBGRADER_EXECUTION=autograde``).

    Not while ``nbgrader validate`` runs it (``NBGRADER_EXECUTION=validate``): a student who
    validates a notebook that trains gets the checkpoint saved, as in a normal run.
    """
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def progress(iterable: Iterable, **kwargs):
    """A tqdm progress bar, silent whenever nbgrader runs the notebook (a test cell that writes
    to stderr scores 0), grading or validating."""
    from tqdm.auto import tqdm

    quiet = bool(os.environ.get("NBGRADER_EXECUTION"))
    return tqdm(iterable, disable=quiet or kwargs.pop("disable", False), **kwargs)


def _infinite(loader):
    while True:
        yield from loader


def fit(
    model: torch.nn.Module,
    loader: Iterable,
    loss_fn: Callable[[torch.nn.Module, object], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    steps: int,
    scheduler=None,
    clip_grad_norm: float | None = None,
    validate: Callable[[torch.nn.Module], dict] | None = None,
    validate_every: int = 0,
    log_every: int = 10,
    desc: str = "training",
) -> dict[str, list]:
    """Train ``model`` for ``steps`` optimiser steps, cycling over ``loader``.

    Args:
        model: the network; put in train mode for steps and eval mode for validation.
        loader: yields batches (any object ``loss_fn`` understands).
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``.
        optimizer: e.g. ``torch.optim.Adam(model.parameters(), lr)``.
        steps: number of optimiser steps.
        scheduler: optional learning-rate scheduler, stepped after every optimiser step.
        clip_grad_norm: optional maximum gradient norm.
        validate: optional ``validate(model) -> {"val_loss": ..., ...}``, run without grad.
        validate_every: validate every that many steps (and at the end); 0 = only at the end.
        log_every: record the mean training loss every that many steps.

    Returns:
        The history: ``{"step": [...], "train_loss": [...], "val_step": [...], "val_<name>": [...]}``
        and the clock: ``"seconds"`` (wall time of the loop, validation included),
        ``"training_seconds"`` (the same without validation) and ``"val_training_seconds"``
        (training seconds so far at each validation, aligned with ``"val_step"``).
    """
    history: dict[str, list] = {"step": [], "train_loss": [], "val_step": [], "val_training_seconds": []}
    batches = _infinite(loader)
    running = []
    start, validating = time.perf_counter(), 0.0
    bar = progress(range(1, steps + 1), desc=desc, leave=False)
    for step in bar:
        model.train()
        loss = loss_fn(model, next(batches))
        if not torch.isfinite(loss):
            raise FloatingPointError(f"The loss became {loss.item()} at step {step}: lower the learning rate.")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        running.append(loss.item())
        if step % log_every == 0 or step == steps:
            history["step"].append(step)
            history["train_loss"].append(float(np.mean(running)))
            running = []
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}")
        if validate is not None and ((validate_every and step % validate_every == 0) or step == steps):
            t0 = time.perf_counter()
            history["val_training_seconds"].append(t0 - start - validating)
            model.eval()
            with torch.no_grad():
                metrics = validate(model)
            history["val_step"].append(step)
            for key, value in metrics.items():
                history.setdefault(key if key.startswith("val_") else f"val_{key}", []).append(float(value))
            validating += time.perf_counter() - t0
    model.eval()
    history["seconds"] = time.perf_counter() - start
    history["training_seconds"] = history["seconds"] - validating
    return history


def count_parameters(model: torch.nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; batch-norm running statistics are buffers, not counted.

    Used by: every homework (model sizes in tables), the hidden tests.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def fingerprint(*code, **settings) -> str:
    """A short hash of some code (classes or functions: their source) and settings (plain values).

    Saved in a checkpoint (``save_checkpoint(..., fingerprint=fp)``) it tells whether the model
    was made by the same code and settings as now (:func:`checkpoint_is_fresh`): a notebook then
    reloads it, and otherwise says that it retrains. A class whose source cannot be read as a
    whole (one defined in a notebook cell) is hashed by the source of its methods.

    Example: ``fingerprint(OnsetsAndFrames, train, steps=S.steps, lr=S.lr)``.
    """
    import hashlib
    import inspect
    import json

    def source(item) -> str:
        try:
            return inspect.getsource(item)
        except (OSError, TypeError):
            if inspect.isclass(item):
                return item.__qualname__ + "".join(source(v) for v in vars(item).values() if inspect.isfunction(v))
            return getattr(item, "__qualname__", repr(item))

    parts = [source(item) for item in code]
    parts.append(json.dumps(settings, sort_keys=True, default=repr))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def checkpoint_is_fresh(path: str | os.PathLike, fingerprint: str) -> bool:
    """Whether ``path`` exists and was saved with this ``fingerprint`` (see :func:`fingerprint`)."""
    path = pathlib.Path(path)
    if not path.is_file():
        return False
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True).get("fingerprint")
    except Exception:  # unreadable or foreign file: not ours to reuse
        return False
    return saved == fingerprint


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike, **extra) -> pathlib.Path:
    """Save the model's ``state_dict`` (tensors only, no pickled code) and plain ``extra`` values
    (e.g. ``fingerprint=`` of :func:`fingerprint`)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), **extra}, path)
    return path


def load_checkpoint(model: torch.nn.Module, path: str | os.PathLike, strict: bool = True) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model``.

    Loaded with ``weights_only=True``: a checkpoint can never execute pickled code.

    Returns:
        The checkpoint's other entries (``extra`` of :func:`save_checkpoint`).

    Raises:
        FileNotFoundError: no file at ``path`` (train first, or check the name).
        RuntimeError: the state_dict does not fit the model (torch lists the keys that differ).
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}: train the model first (it saves one there).")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    state = checkpoint.get("state_dict", checkpoint)
    model.load_state_dict(state, strict=strict)
    return {k: v for k, v in checkpoint.items() if k != "state_dict"}


def cached_result(path: str | os.PathLike, compute: Callable[[], dict], rerun: bool = False) -> dict:
    """``compute()``'s JSON result, computed once and then read back from ``path``.

    Long experiments (a training run per grid point) write their result as soon as it exists,
    so an interrupted sweep resumes where it stopped and a notebook re-run costs nothing. The
    result must be JSON-serialisable (numbers, strings, lists, dicts); the file is written
    atomically (a partial write never looks like a result).

    Args:
        path: the JSON file, e.g. ``hw4_runs/<experiment key>.json``.
        compute: makes the result when no file exists (or with ``rerun``).
        rerun: compute again and overwrite.

    Used by: hw4_transcription (sweeps and ablations).
    """
    import json

    path = pathlib.Path(path)
    if path.exists() and not rerun:
        return json.loads(path.read_text())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(result))
    partial.replace(path)
    return json.loads(path.read_text())  # the same types whether computed or read back
