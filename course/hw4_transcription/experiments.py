"""hw4's sweep runner (Q2): each run's result cached as JSON, so a grid can be run a piece at a time.

Used by: hw4_transcription (Q2's sweeps).
"""
from __future__ import annotations

import dataclasses
import itertools
import pathlib

from course.hw4_transcription.data import features_of
from course.hw4_transcription.model import BasicOnsetsAndFrames
from course.hw4_transcription.training import train
from course.training import cached_result, count_parameters, seed_everything


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One training run of the baseline (:class:`BasicOnsetsAndFrames`) in a sweep.

    Every field is part of the cache key: change one and the run is a new one.
    """

    sequence_length: int
    cnn_unit: int
    fc_unit: int
    lr: float
    weight_decay: float
    steps: int
    batch_size: int
    seed: int = 0

    @property
    def key(self) -> str:
        """A file-name-safe name, e.g. ``L51200_cnn8_fc128_lr0.001_wd0_s150_b8_seed0``."""
        return (f"L{self.sequence_length}_cnn{self.cnn_unit}_fc{self.fc_unit}_lr{self.lr:g}"
                f"_wd{self.weight_decay:g}_s{self.steps}_b{self.batch_size}_seed{self.seed}")


def experiment_grid(sequence_lengths, cnn_units, fc_units, lrs, weight_decays, steps: int, batch_size: int,
                    subset: str = "full", seed: int = 0) -> list[Experiment]:
    """The runs of a sweep over the product of the given values.

    Args:
        sequence_lengths, cnn_units, fc_units, lrs, weight_decays: the values of each axis.
        steps, batch_size: the same budget for every run.
        subset: ``"full"``: the whole product; ``"axes"``: the centre of the grid (each axis'
            middle value) and the runs that change one axis at a time from it -- the cheapest
            subset that still shows every axis' effect (``1 + sum(n_axis - 1)`` runs).
        seed: the seed of every run.

    Returns:
        The experiments, in a fixed order (the product's order, without repeats).
    """
    axes = {"sequence_length": list(sequence_lengths), "cnn_unit": list(cnn_units), "fc_unit": list(fc_units),
            "lr": list(lrs), "weight_decay": list(weight_decays)}
    if subset == "full":
        combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    elif subset == "axes":
        centre = {name: values[len(values) // 2] for name, values in axes.items()}
        combos = [centre] + [{**centre, name: v} for name, values in axes.items() for v in values if v != centre[name]]
    else:
        raise ValueError(f"subset must be 'full' or 'axes'; got {subset!r}.")
    runs = [Experiment(**combo, steps=steps, batch_size=batch_size, seed=seed) for combo in combos]
    return list(dict.fromkeys(runs))


def run_experiments(experiments, train_set, validation_set, cache_dir="hw4_runs", device=None,
                    lr_decay_steps: int = 10000, lr_decay_rate: float = 0.98, clip_grad_norm: float = 3.0,
                    validations: int = 5, rerun: bool = False) -> list[dict]:
    """Train the baseline once per experiment, or read the result cached by an earlier call.

    Each result is written to ``cache_dir/<experiment.key>.json`` as soon as its run ends, so an
    interrupted sweep resumes where it stopped and a grid can be run a few runs at a time.

    Args:
        experiments: :class:`Experiment` s (e.g. from :func:`experiment_grid`).
        train_set, validation_set: :class:`data_scripts.maestro.MaestroDataset` splits (or
            whole-piece :class:`TranscriptionFeatures` for the validation set).
        cache_dir: where the JSON results live (next to the notebook by default).
        device: default: CUDA if available, else CPU.
        lr_decay_steps, lr_decay_rate, clip_grad_norm: of :func:`train`, the same for every run.
        validations: validation points per run (evenly spaced, the last at the end).
        rerun: train again even where a cached result exists.

    Returns:
        One dict per experiment: its fields, ``"parameters"``, ``"seconds"`` (training only),
        ``"history"`` (:func:`train`'s, with ``val_loss`` and ``val_frame_f1``), and the final
        ``"val_loss"`` and ``"val_frame_f1"``.

    Used by: hw4_transcription (Q2's sweeps).
    """

    validation = features_of(validation_set)

    def run(experiment: Experiment) -> dict:
        seed_everything(experiment.seed)
        model = BasicOnsetsAndFrames(experiment.cnn_unit, experiment.fc_unit)
        history = train(model, train_set, experiment.steps, experiment.batch_size, experiment.sequence_length,
                        lr=experiment.lr, lr_decay_steps=lr_decay_steps, lr_decay_rate=lr_decay_rate,
                        clip_grad_norm=clip_grad_norm, weight_decay=experiment.weight_decay,
                        validation_set=validation, validation_interval=max(1, experiment.steps // validations),
                        device=device, seed=experiment.seed, desc=experiment.key)
        return {**dataclasses.asdict(experiment), "key": experiment.key, "parameters": count_parameters(model),
                "seconds": history["training_seconds"], "history": history,
                "val_loss": history["val_loss"][-1], "val_frame_f1": history["val_frame_f1"][-1]}

    results = [cached_result(pathlib.Path(cache_dir) / f"{e.key}.json", lambda e=e: run(e), rerun)
               for e in experiments]
    return results
