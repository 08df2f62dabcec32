"""Piano transcription (hw4): the baseline, features, training, evaluation, checkpoints, sweeps.

Everything here works on log-mel frames, the output of :class:`course.audio.LogMel`: 16 kHz audio,
hop 512 samples, so ``FRAME_RATE = 31.25`` frames per second and a crop of ``L`` samples has
``T = L // 512`` frames. Shapes use ``B`` (batch), ``T`` (frames), ``229`` (mel bands) and ``88``
(piano keys, key ``k`` is MIDI pitch ``21 + k``).

The pieces, in the order the homework meets them:

* :class:`ConvStack` -- the acoustic model (Kelz et al. 2016, as used by Hawthorne et al. 2018):
  three 3x3 convolutions, pooling over frequency only, one linear layer. Q1 reviews it.
* :class:`BasicOnsetsAndFrames` -- the baseline: one ConvStack and one output layer per target,
  ``model(mel) -> (onset_logits, frame_logits)``, each ``(B, T, 88)``. Q2 trains it. The
  transcribers of Q3 (Onsets and Frames and its ablations) and the decoder are what students
  write, so they are not here.
* :func:`predict` -- sigmoid probabilities of a whole piece (in chunks for very long ones).
* :func:`evaluate` -- frame F1 and, given a decoder, note F1 and note-with-offset F1, per piece
  then averaged.
* :class:`TranscriptionFeatures` and :func:`train` -- log-mels computed once per piece, random
  crops of them, and the training loop (Adam, BCE on onsets + frames, StepLR, gradient clipping).
* :func:`save_transcriber` / :func:`load_transcriber` -- checkpoints that load without pickled code.
* :class:`Experiment` and :func:`run_experiments` -- the sweep runner of Q2: each run's result is
  cached as a JSON file, so a grid can be run a piece at a time.

Logits, not probabilities. Every ``forward`` returns logits so that the loss can be
``binary_cross_entropy_with_logits`` (numerically safer than a sigmoid followed by
``binary_cross_entropy``, which is what jongwook/onsets-and-frames does); :func:`predict` applies
the sigmoid.

Differences from the originals, on purpose:

* Velocity and offset heads of the full Onsets and Frames (Hawthorne et al. 2018) are left out,
  as in KAIST GCT634 HW3: two outputs, onsets and frames.
* The third convolution has ``2 * cnn_unit`` channels and the FC ``fc_unit`` outputs, with
  ``cnn_unit`` and ``fc_unit`` free (KAIST HW3's parametrisation); jongwook's code ties them to one
  ``model_complexity`` (48 gives ``cnn_unit=48``, ``fc_unit=768``, BiLSTM 384 per direction).
* Gradients are clipped to a total norm of 3 *before* the optimiser step. jongwook's train.py
  calls ``clip_grad_norm_`` after ``optimizer.step()``, where it has no effect on the update, and
  KAIST HW3 clips each parameter tensor separately.
* The output biases start at the label priors' log-odds (:func:`init_prior_bias`; both
  originals start them at PyTorch's default, near 0). With a budget of minutes this decides
  whether the LSTM variants learn at all.

Used by: hw4_transcription.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import pathlib
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.notes import N_KEYS, notes_to_rolls

SAMPLE_RATE = 16000
HOP_LENGTH = 512
FRAME_RATE = SAMPLE_RATE / HOP_LENGTH  # 31.25 frames per second
N_MELS = 229
SILENCE = math.log(1e-5)  # LogMel of silence (its clamp): the padding value of short crops
# Label priors used to initialise the output biases (prior_init): the fraction of (frame, key)
# cells that are onsets / sounding. Embedded cpu set: 0.0022 and 0.040; MAESTRO is denser.
ONSET_PRIOR = 0.002
FRAME_PRIOR = 0.04


# --------------------------------------------------------------------------------------------
# The acoustic model


class ConvStack(nn.Module):
    """Log-mel frames to one feature vector per frame.

    Shapes for ``cnn_unit = C``, ``fc_unit = F`` (padding 1 everywhere: ``T`` never changes;
    pooling halves the mel axis only, 229 -> 114 -> 57)::

        mel                      (B, T, 229)
        unsqueeze(1)             (B, 1, T, 229)
        conv 3x3 1->C, BN, ReLU  (B, C, T, 229)
        conv 3x3 C->C, BN, ReLU  (B, C, T, 229)
        maxpool (1, 2), dropout  (B, C, T, 114)
        conv 3x3 C->2C, BN, ReLU (B, 2C, T, 114)
        maxpool (1, 2), dropout  (B, 2C, T, 57)
        transpose, flatten       (B, T, 2C * 57)
        linear, dropout 0.5      (B, T, F)

    Args:
        n_mels: mel bands of the input (229).
        cnn_unit: channels ``C`` of the first two convolutions; the third has ``2 * C``.
        fc_unit: output features ``F`` per frame.

    Attributes:
        cnn: the convolutions (``nn.Sequential``, indices 0..15).
        fc: ``nn.Sequential(Linear(2C * (n_mels // 4), F), Dropout(0.5))``.

    Used by: hw4_transcription (every transcriber below).
    """

    def __init__(self, n_mels: int = N_MELS, cnn_unit: int = 48, fc_unit: int = 256):
        super().__init__()
        c = cnn_unit
        self.cnn = nn.Sequential(
            nn.Conv2d(1, c, kernel_size=3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, kernel_size=3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
            nn.Dropout(0.25),
            nn.Conv2d(c, 2 * c, kernel_size=3, padding=1),
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
            nn.Dropout(0.25),
        )
        self.fc = nn.Sequential(nn.Linear(2 * c * (n_mels // 4), fc_unit), nn.Dropout(0.5))
        self.n_mels = n_mels

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """``(B, T, n_mels)`` log-mel -> ``(B, T, fc_unit)``."""
        _check_mel(mel, self.n_mels)
        x = self.cnn(mel.unsqueeze(1))  # (B, 2C, T, n_mels // 4)
        x = x.transpose(1, 2).flatten(2)  # (B, T, 2C * (n_mels // 4))
        return self.fc(x)

def _check_mel(mel: torch.Tensor, n_mels: int) -> None:
    if mel.ndim != 3 or mel.shape[-1] != n_mels:
        raise ValueError(
            f"Expected log-mel frames (B, T, {n_mels}); got shape {tuple(mel.shape)}. Compute them "
            "with course.audio.LogMel (audio (B, N) -> (B, T, 229)); add a batch axis with mel[None]."
        )


def init_prior_bias(layer: nn.Linear, prior: float) -> None:
    """Set a logit layer's bias to the label prior's log-odds, ``log(p / (1 - p))``, in place.

    At initialisation every output is then ``sigmoid(b + small) ~ p``: the model starts from the
    label frequency instead of 0.5 and does not spend its first thousands of Adam steps (each
    moves a bias by about the learning rate) pushing 88 biases down to about -3 (frames) and -6
    (onsets). Without it the LSTM variants sit on a plateau: on the cpu piano set OnsetsAndFrames
    predicted no frame at all after 1500 steps; with it, frames appear within 200 steps.
    """
    with torch.no_grad():
        layer.bias.fill_(math.log(prior / (1.0 - prior)))


# --------------------------------------------------------------------------------------------
# The four transcribers. Each: forward(mel (B, T, 229)) -> (onset_logits, frame_logits), (B, T, 88)


class BasicOnsetsAndFrames(nn.Module):
    """The baseline: two independent CNNs, one for onsets and one for frames.

    ``onset = onset_fc(onset_stack(mel))``, ``frame = frame_fc(frame_stack(mel))``.

    Args:
        cnn_unit, fc_unit: of each :class:`ConvStack`.
        rnn_unit: unused (accepted so that every transcriber takes the same arguments).
        prior_init: start the output biases at the label priors (:func:`init_prior_bias`), as
            every transcriber here does by default; ``False``: PyTorch's default initialisation.

    Attributes:
        onset_stack, frame_stack: :class:`ConvStack`.
        onset_fc, frame_fc: ``Linear(fc_unit, 88)``.

    Used by: hw4_transcription.
    """

    def __init__(self, cnn_unit: int = 48, fc_unit: int = 256, rnn_unit: int = 88, prior_init: bool = True):
        super().__init__()
        self.onset_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.onset_fc = nn.Linear(fc_unit, N_KEYS)
        self.frame_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.frame_fc = nn.Linear(fc_unit, N_KEYS)
        if prior_init:
            init_prior_bias(self.onset_fc, ONSET_PRIOR)
            init_prior_bias(self.frame_fc, FRAME_PRIOR)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, 229)`` -> ``(onset_logits, frame_logits)``, each ``(B, T, 88)``."""
        return self.onset_fc(self.onset_stack(mel)), self.frame_fc(self.frame_stack(mel))



def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --------------------------------------------------------------------------------------------
# Inference and decoding


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


# --------------------------------------------------------------------------------------------
# Features computed once, random crops of them


class TranscriptionFeatures(torch.utils.data.Dataset):
    """Log-mel frames and onset/frame labels of every piece of a dataset, computed once.

    Computing the log-mel of every crop at every step costs more than a small model's step on a
    CPU; here each piece's ``(T, 229)`` log-mel is computed once, at construction, and training
    crops are slices of it. Memory: about 1.1 kB per frame (1 hour = 112 500 frames = 125 MB).

    Each item is a dict:

    * ``mel``: float32 ``(F, 229)``; ``onset``, ``frame``: float32 ``(F, 88)`` in {0, 1};
    * crops (``sequence_length`` given): ``F = sequence_length // 512`` frames from a random
      start (pieces shorter than that are padded with silence and zero labels), plus ``start``
      (the first frame);
    * whole pieces (``sequence_length=None``): ``F = T``, plus ``notes`` (the piece's
      :class:`~course.notes.Notes`) and ``title``.

    Args:
        dataset: a :class:`data_scripts.maestro.MaestroDataset` (any ``sequence_length``: its
            whole pieces are used), or anything with ``__len__``, ``piece(i)`` (an object with
            ``.audio`` (N,) numpy at 16 kHz, ``.notes``, ``.title``) and ``hop_length``.
        sequence_length: crop length in samples (a multiple of 512), ``None`` for whole pieces.
        seed: seeds the crop positions (numpy generator, main process).
        log_mel: the front end; default :class:`course.audio.LogMel` ``()`` (hw4's settings).

    Used by: hw4_transcription (:func:`train`, :func:`evaluate`).
    """

    def __init__(self, dataset, sequence_length: int | None = None, seed: int = 0, log_mel=None):
        from course.audio import LogMel

        hop = getattr(dataset, "hop_length", HOP_LENGTH)
        if sequence_length is not None and (sequence_length <= 0 or sequence_length % hop):
            raise ValueError(
                f"sequence_length must be a positive multiple of {hop} samples (whole frames); got "
                f"{sequence_length}. Try {max(1, round((sequence_length or 0) / hop)) * hop}."
            )
        self.frame_rate = getattr(dataset, "frame_rate", FRAME_RATE)
        self.n_frames = None if sequence_length is None else sequence_length // hop
        self._rng = np.random.default_rng(seed)
        log_mel = log_mel if log_mel is not None else LogMel(hop_length=hop)
        self.mels, self.onsets, self.frames, self.notes, self.titles = [], [], [], [], []
        with torch.no_grad():
            for i in range(len(dataset)):
                piece = dataset.piece(i)
                mel = log_mel(torch.as_tensor(piece.audio, dtype=torch.float32)).contiguous()  # (T, 229)
                rolls = notes_to_rolls(piece.notes, self.frame_rate, n_frames=len(mel))
                self.mels.append(mel)
                self.onsets.append(torch.from_numpy(rolls["onset"]).to(torch.uint8))
                self.frames.append(torch.from_numpy(rolls["frame"]).to(torch.uint8))
                self.notes.append(piece.notes)
                self.titles.append(piece.title)

    def __len__(self) -> int:
        return len(self.mels)

    def __getitem__(self, index: int) -> dict:
        mel, onset, frame = self.mels[index], self.onsets[index], self.frames[index]
        if self.n_frames is None:
            return {"mel": mel, "onset": onset.float(), "frame": frame.float(),
                    "notes": self.notes[index], "title": self.titles[index]}
        n, total = self.n_frames, len(mel)
        start = int(self._rng.integers(0, max(total - n, 0) + 1))
        item = {"mel": torch.full((n, mel.shape[1]), SILENCE), "onset": torch.zeros(n, N_KEYS),
                "frame": torch.zeros(n, N_KEYS), "start": start}
        kept = min(n, total - start)
        item["mel"][:kept] = mel[start : start + kept]
        item["onset"][:kept] = onset[start : start + kept]
        item["frame"][:kept] = frame[start : start + kept]
        return item

    @property
    def total_frames(self) -> int:
        return sum(len(m) for m in self.mels)


def _features(dataset, sequence_length=None, seed=0) -> TranscriptionFeatures:
    if isinstance(dataset, TranscriptionFeatures) and sequence_length is None:
        return dataset
    if isinstance(dataset, TranscriptionFeatures):
        raise ValueError("Pass the MaestroDataset itself: TranscriptionFeatures are built with their own crop length.")
    return TranscriptionFeatures(dataset, sequence_length, seed)


# --------------------------------------------------------------------------------------------
# Evaluation


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
    from course.metrics import frame_scores, note_scores

    features = _features(dataset)
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


# --------------------------------------------------------------------------------------------
# Training


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
        :func:`course.training.fit`'s history, plus ``"seconds"``: ``[wall-clock seconds of the
        loop]`` (validation included, log-mel features excluded: computed before),
        ``"training_seconds"``: ``[the same without validation]`` and, with a validation set,
        ``"val_training_seconds"``: the training seconds (validation excluded) at each
        validation, aligned with ``"val_step"``.

    Used by: hw4_transcription.
    """
    from course.training import choose_device, fit

    device = torch.device(device) if device is not None else choose_device()
    model.to(device)
    features = _features(train_set, sequence_length, seed)
    validation = _features(validation_set) if validation_set is not None else None
    loader = torch.utils.data.DataLoader(
        features, batch_size=batch_size, shuffle=True, drop_last=len(features) >= batch_size,
        generator=torch.Generator().manual_seed(seed),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=lr_decay_steps, gamma=lr_decay_rate)
    validate, spent = None, {"validation": 0.0, "training": []}
    if validation is not None:
        def validate(m):
            t0 = time.perf_counter()
            spent["training"].append(t0 - start - spent["validation"])
            scores = {k: v for k, v in evaluate(m, validation, decode, device).items()
                      if k == "loss" or k.endswith("f1")}
            spent["validation"] += time.perf_counter() - t0
            return scores
    start = time.perf_counter()
    history = fit(model, loader, lambda m, b: transcription_loss(m, b, device), optimizer, steps,
                  scheduler=scheduler, clip_grad_norm=clip_grad_norm, validate=validate,
                  validate_every=validation_interval, log_every=log_every, desc=desc)
    total = time.perf_counter() - start
    history["seconds"] = [total]
    history["training_seconds"] = [total - spent["validation"]]
    if validation is not None:
        history["val_training_seconds"] = spent["training"]
    return history


# --------------------------------------------------------------------------------------------
# Checkpoints


def save_transcriber(model: nn.Module, path, **config) -> pathlib.Path:
    """Save a transcriber's weights and the sizes needed to rebuild it (no pickled code).

    Args:
        model: the transcriber.
        path: the file, e.g. ``"onsets_and_frames.pt"`` next to the notebook.
        config: plain values to rebuild the model, e.g. ``cnn_unit=8, fc_unit=128, rnn_unit=64``;
            the class name is added as ``model_class``.

    Used by: hw4_transcription (the checkpoint the autograder evaluates).
    """
    from course.training import save_checkpoint

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
    from course.training import load_checkpoint

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}: train the model first (the training cell saves it).")
    config = torch.load(path, map_location="cpu", weights_only=True).get("config", {})
    model = build(**config)
    load_checkpoint(model, path, strict=True)
    return model.eval(), config


# --------------------------------------------------------------------------------------------
# Experiments: each run's result cached as JSON, so that a grid can be run a piece at a time


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
    from course.training import cached_result, seed_everything

    validation = _features(validation_set)

    def run(experiment: Experiment) -> dict:
        seed_everything(experiment.seed)
        model = BasicOnsetsAndFrames(experiment.cnn_unit, experiment.fc_unit)
        history = train(model, train_set, experiment.steps, experiment.batch_size, experiment.sequence_length,
                        lr=experiment.lr, lr_decay_steps=lr_decay_steps, lr_decay_rate=lr_decay_rate,
                        clip_grad_norm=clip_grad_norm, weight_decay=experiment.weight_decay,
                        validation_set=validation, validation_interval=max(1, experiment.steps // validations),
                        device=device, seed=experiment.seed, desc=experiment.key)
        return {**dataclasses.asdict(experiment), "key": experiment.key, "parameters": count_parameters(model),
                "seconds": history["training_seconds"][0], "history": history,
                "val_loss": history["val_loss"][-1], "val_frame_f1": history["val_frame_f1"][-1]}

    results = [cached_result(pathlib.Path(cache_dir) / f"{e.key}.json", lambda e=e: run(e), rerun)
               for e in experiments]
    return results
