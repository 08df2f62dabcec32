"""Piano transcription with Onsets and Frames: the models, decoding, evaluation and training.

Everything here works on log-mel frames, the output of :class:`course.audio.LogMel`: 16 kHz audio,
hop 512 samples, so ``FRAME_RATE = 31.25`` frames per second and a crop of ``N`` samples has
``T = N // 512`` frames. Shapes use ``B`` (batch), ``T`` (frames), ``229`` (mel bands) and ``88``
(piano keys, key ``k`` is MIDI pitch ``21 + k``).

The pieces, in the order a reader meets them:

* :class:`ConvStack` -- the acoustic model shared by every variant (Kelz et al. 2016, as used by
  Hawthorne et al. 2018): three 3x3 convolutions, pooling over frequency only, one linear layer.
* Four transcribers, all ``model(mel) -> (onset_logits, frame_logits)``, each ``(B, T, 88)``:

  ========================  ============================  ==========================================
  model                     onset branch                  frame branch
  ========================  ============================  ==========================================
  ``BasicOnsetsAndFrames``  ConvStack -> FC                ConvStack -> FC
  ``BiLSTMOnly``            ConvStack -> BiLSTM -> FC      ConvStack -> BiLSTM -> FC
  ``ConcatOnly``            ConvStack -> FC                [sigmoid(FC(ConvStack)), onset probs] -> FC
  ``OnsetsAndFrames``       ConvStack -> BiLSTM -> FC      [sigmoid(FC(ConvStack)), onset probs]
                                                          -> BiLSTM -> FC
  ========================  ============================  ==========================================

  The onset probabilities enter the frame branch *detached* (``torch.Tensor.detach``): the frame
  loss trains the frame branch only and never reaches the onset branch.
* :func:`predict` -- sigmoid probabilities of a whole piece (in chunks for very long ones).
* :func:`decode_notes` -- posteriorgrams to a :class:`~course.notes.Notes` list.
* :func:`evaluate` -- frame F1, note F1 and note-with-offset F1, per piece then averaged.
* :class:`TranscriptionFeatures` and :func:`train` -- log-mels computed once per piece, random
  crops of them, and the training loop (Adam, BCE on onsets + frames, StepLR, gradient clipping).

Logits, not probabilities. Every ``forward`` returns logits so that the loss can be
``binary_cross_entropy_with_logits`` (numerically safer than a sigmoid followed by
``binary_cross_entropy``, which is what jongwook/onsets-and-frames does); :func:`predict` applies
the sigmoid. Inside the two models that concatenate, the frame branch's activation and the onset
probabilities *are* passed through a sigmoid before the concatenation, as in the original.

Differences from the originals, on purpose:

* Velocity and offset heads of the full Onsets and Frames (Hawthorne et al. 2018) are left out,
  as in KAIST GCT634 HW3: two outputs, onsets and frames.
* The third convolution has ``2 * cnn_unit`` channels and the FC ``fc_unit`` outputs, with
  ``cnn_unit`` and ``fc_unit`` free (KAIST HW3's parametrisation); jongwook's code ties them to one
  ``model_complexity`` (48 gives ``cnn_unit=48``, ``fc_unit=768``, BiLSTM 384 per direction).
* Each BiLSTM is one bidirectional layer (the original Onsets and Frames; KAIST HW3 used two).
* Gradients are clipped to a total norm of 3 *before* the optimiser step. jongwook's train.py
  calls ``clip_grad_norm_`` after ``optimizer.step()``, where it has no effect on the update, and
  KAIST HW3 clips each parameter tensor separately.
* The output biases start at the label priors' log-odds (:func:`init_prior_bias`; both
  originals start them at PyTorch's default, near 0). With a budget of minutes this decides
  whether the LSTM variants learn at all; ``prior_init=False`` restores the default.
* :func:`decode_notes` ends a note where a new onset of the same key begins (KAIST HW3 does too;
  jongwook's ``extract_notes`` lets the first note run on over the repeated one).

Used by: hw4_transcription.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.notes import MIN_MIDI, N_KEYS, Notes, notes_to_rolls

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

    def shape_trace(self, mel: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
        """The shape after every layer, for a shape table: ``[(layer, shape), ...]``.

        Starts with ``("input", (B, T, n_mels))`` and ``("unsqueeze(1)", (B, 1, T, n_mels))``
        and ends with the output ``(B, T, fc_unit)``. Runs without gradients, in the current
        train/eval mode.
        """
        trace = [("input", tuple(mel.shape))]
        with torch.no_grad():
            x = mel.unsqueeze(1)
            trace.append(("unsqueeze(1)", tuple(x.shape)))
            for layer in self.cnn:
                x = layer(x)
                trace.append((type(layer).__name__, tuple(x.shape)))
            x = x.transpose(1, 2).flatten(2)
            trace.append(("transpose(1, 2).flatten(2)", tuple(x.shape)))
            for layer in self.fc:
                x = layer(x)
                trace.append((type(layer).__name__, tuple(x.shape)))
        return trace


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


def _bilstm(input_size: int, rnn_unit: int) -> nn.LSTM:
    """One bidirectional LSTM layer, batch first: ``(B, T, input_size) -> (B, T, 2 * rnn_unit)``."""
    return nn.LSTM(input_size, rnn_unit, batch_first=True, bidirectional=True)


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


class BiLSTMOnly(nn.Module):
    """A bidirectional LSTM on top of each CNN, no connection between the two branches.

    ``onset = onset_fc(onset_rnn(onset_stack(mel)))``, the same for frames.

    Attributes:
        onset_stack, frame_stack: :class:`ConvStack`.
        onset_rnn, frame_rnn: ``nn.LSTM(fc_unit, rnn_unit, bidirectional=True)``.
        onset_fc, frame_fc: ``Linear(2 * rnn_unit, 88)``.

    Used by: hw4_transcription.
    """

    def __init__(self, cnn_unit: int = 48, fc_unit: int = 256, rnn_unit: int = 88, prior_init: bool = True):
        super().__init__()
        self.onset_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.onset_rnn = _bilstm(fc_unit, rnn_unit)
        self.onset_fc = nn.Linear(2 * rnn_unit, N_KEYS)
        self.frame_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.frame_rnn = _bilstm(fc_unit, rnn_unit)
        self.frame_fc = nn.Linear(2 * rnn_unit, N_KEYS)
        if prior_init:
            init_prior_bias(self.onset_fc, ONSET_PRIOR)
            init_prior_bias(self.frame_fc, FRAME_PRIOR)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, 229)`` -> ``(onset_logits, frame_logits)``, each ``(B, T, 88)``."""
        onset = self.onset_fc(self.onset_rnn(self.onset_stack(mel))[0])
        frame = self.frame_fc(self.frame_rnn(self.frame_stack(mel))[0])
        return onset, frame


class ConcatOnly(nn.Module):
    """The onset-to-frame connection without any LSTM.

    ``onset = onset_fc(onset_stack(mel))``;
    ``frame = combined_fc([sigmoid(onset).detach(), sigmoid(frame_fc(frame_stack(mel)))])``.

    Attributes:
        onset_stack, frame_stack: :class:`ConvStack`.
        onset_fc, frame_fc: ``Linear(fc_unit, 88)``.
        combined_fc: ``Linear(2 * 88, 88)``.

    Used by: hw4_transcription.
    """

    def __init__(self, cnn_unit: int = 48, fc_unit: int = 256, rnn_unit: int = 88, prior_init: bool = True):
        super().__init__()
        self.onset_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.onset_fc = nn.Linear(fc_unit, N_KEYS)
        self.frame_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.frame_fc = nn.Linear(fc_unit, N_KEYS)
        self.combined_fc = nn.Linear(2 * N_KEYS, N_KEYS)
        if prior_init:  # frame_fc feeds a sigmoid inside the model: left at PyTorch's default
            init_prior_bias(self.onset_fc, ONSET_PRIOR)
            init_prior_bias(self.combined_fc, FRAME_PRIOR)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, 229)`` -> ``(onset_logits, frame_logits)``, each ``(B, T, 88)``."""
        onset = self.onset_fc(self.onset_stack(mel))
        activation = torch.sigmoid(self.frame_fc(self.frame_stack(mel)))
        combined = torch.cat([torch.sigmoid(onset).detach(), activation], dim=-1)  # (B, T, 176)
        return onset, self.combined_fc(combined)


class OnsetsAndFrames(nn.Module):
    """Onsets and Frames (Hawthorne et al. 2018) without its offset and velocity heads.

    ::

        onset      = onset_fc(onset_rnn(onset_stack(mel)))                    (B, T, 88) logits
        activation = sigmoid(frame_fc(frame_stack(mel)))                     (B, T, 88)
        combined   = cat([sigmoid(onset).detach(), activation], dim=-1)      (B, T, 176)
        frame      = combined_fc(combined_rnn(combined))                     (B, T, 88) logits

    Args:
        cnn_unit, fc_unit: of each :class:`ConvStack`.
        rnn_unit: hidden units per direction of each BiLSTM.
        prior_init: start ``onset_fc`` and ``combined_fc``'s biases at the label priors
            (:func:`init_prior_bias`).

    Attributes:
        onset_stack, frame_stack: :class:`ConvStack`.
        onset_rnn: ``nn.LSTM(fc_unit, rnn_unit, bidirectional=True)``.
        onset_fc: ``Linear(2 * rnn_unit, 88)``.
        frame_fc: ``Linear(fc_unit, 88)``.
        combined_rnn: ``nn.LSTM(2 * 88, rnn_unit, bidirectional=True)``.
        combined_fc: ``Linear(2 * rnn_unit, 88)``.

    Used by: hw4_transcription.
    """

    def __init__(self, cnn_unit: int = 48, fc_unit: int = 256, rnn_unit: int = 88, prior_init: bool = True):
        super().__init__()
        self.onset_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.onset_rnn = _bilstm(fc_unit, rnn_unit)
        self.onset_fc = nn.Linear(2 * rnn_unit, N_KEYS)
        self.frame_stack = ConvStack(N_MELS, cnn_unit, fc_unit)
        self.frame_fc = nn.Linear(fc_unit, N_KEYS)
        self.combined_rnn = _bilstm(2 * N_KEYS, rnn_unit)
        self.combined_fc = nn.Linear(2 * rnn_unit, N_KEYS)
        if prior_init:  # frame_fc feeds a sigmoid inside the model: left at PyTorch's default
            init_prior_bias(self.onset_fc, ONSET_PRIOR)
            init_prior_bias(self.combined_fc, FRAME_PRIOR)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, 229)`` -> ``(onset_logits, frame_logits)``, each ``(B, T, 88)``."""
        onset = self.onset_fc(self.onset_rnn(self.onset_stack(mel))[0])
        activation = torch.sigmoid(self.frame_fc(self.frame_stack(mel)))
        combined = torch.cat([torch.sigmoid(onset).detach(), activation], dim=-1)  # (B, T, 176)
        return onset, self.combined_fc(self.combined_rnn(combined)[0])


MODELS = {cls.__name__: cls for cls in (BasicOnsetsAndFrames, BiLSTMOnly, ConcatOnly, OnsetsAndFrames)}


def build_model(name: str, cnn_unit: int, fc_unit: int, rnn_unit: int, prior_init: bool = True) -> nn.Module:
    """One of :data:`MODELS` by name, e.g. ``build_model("OnsetsAndFrames", 24, 64, 64)``."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}: expected one of {', '.join(MODELS)}.")
    return MODELS[name](cnn_unit=cnn_unit, fc_unit=fc_unit, rnn_unit=rnn_unit, prior_init=prior_init)


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


def decode_notes(onset_probs, frame_probs, onset_threshold: float = 0.5, frame_threshold: float = 0.5,
                 frame_rate: float = FRAME_RATE, velocity: int = 80) -> Notes:
    """Notes of onset and frame posteriorgrams (the Onsets-and-Frames decoding rule).

    For each key:

    * an *onset* is the first frame of a run of consecutive frames with
      ``onset_prob >= onset_threshold`` (a run of several onset frames is one note);
    * the note starts at that frame and lasts while the key stays active, active meaning
      ``frame_prob >= frame_threshold`` or inside the onset run, so every note lasts at least one
      frame; it ends at the first inactive frame, or where the key's next onset run begins (a
      repeated note ends the previous one), or at the end of the posteriorgram;
    * frame ``t`` is at ``t / frame_rate`` seconds; an onset at frame ``s`` and end at frame
      ``e`` make the interval ``[s / frame_rate, e / frame_rate]``.

    Frames that are active without an onset before them make no note: an onset is required.

    Args:
        onset_probs, frame_probs: ``(T, 88)`` probabilities (numpy or torch).
        onset_threshold, frame_threshold: the thresholds.
        frame_rate: frames per second (31.25 for 16 kHz and hop 512).
        velocity: velocity given to every note (the models here predict none).

    Returns:
        :class:`~course.notes.Notes`, sorted by onset then pitch.

    Used by: hw4_transcription (:func:`evaluate`, listening to transcriptions).
    """
    onset_probs, frame_probs = _as_numpy(onset_probs), _as_numpy(frame_probs)
    if onset_probs.shape != frame_probs.shape or onset_probs.ndim != 2 or onset_probs.shape[1] != N_KEYS:
        raise ValueError(
            f"decode_notes needs onset and frame posteriorgrams of one shape (T, {N_KEYS}); got "
            f"{onset_probs.shape} and {frame_probs.shape}. Drop the batch axis (probs[0])."
        )
    n = len(onset_probs)
    onset = onset_probs >= onset_threshold
    before = np.zeros_like(onset)
    before[1:] = onset[:-1]
    starts = onset & ~before  # first frame of each onset run
    active = onset | (frame_probs >= frame_threshold)
    # A note begun at s ends at the first frame e > s that is inactive or starts a new onset run.
    stops = ~active | starts
    stop_at = np.where(stops, np.arange(n)[:, None], n)  # (T, 88): t where frame t stops a note
    next_stop = np.minimum.accumulate(stop_at[::-1], axis=0)[::-1]  # first stop at or after t
    next_stop = np.vstack([next_stop, np.full((1, N_KEYS), n)])  # row T: the end
    frame_index, key = np.nonzero(starts)
    end = next_stop[frame_index + 1, key]
    return Notes(
        np.stack([frame_index, end], axis=1) / frame_rate,
        key + MIN_MIDI,
        np.full(len(key), velocity),
    )


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


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


def evaluate(model: nn.Module, dataset, device=None, onset_threshold: float = 0.5,
             frame_threshold: float = 0.5, chunk_frames: int | None = 4096) -> dict[str, float]:
    """Transcribe whole pieces and score them; every score is computed per piece, then averaged.

    * ``frame_*``: multipitch precision / recall / F1 (:func:`course.metrics.frame_scores`,
      mir_eval.multipitch) of the thresholded frame probabilities ``frame_probs >=
      frame_threshold`` against the label frame roll -- the frame output itself, before note
      decoding (KAIST HW3's frame metric).
    * ``note_*``: note precision / recall / F1 with onsets only (onset within 50 ms, pitch
      exact), :func:`course.metrics.note_scores`, of :func:`decode_notes` against the piece's
      true notes (from its MIDI file, not re-quantised to frames).
    * ``note_with_offsets_*``: the same, also requiring the offset within 20 % of the note's
      duration (at least 50 ms).

    Args:
        model: a transcriber; left in eval mode.
        dataset: a :class:`data_scripts.maestro.MaestroDataset` (its whole pieces) or whole-piece
            :class:`TranscriptionFeatures` (faster when evaluating more than once).
        device: where to run the model; default: the model's.
        onset_threshold, frame_threshold: of :func:`decode_notes`.
        chunk_frames: of :func:`predict`.

    Returns:
        ``{"frame_precision", "frame_recall", "frame_f1", "note_precision", "note_recall",
        "note_f1", "note_with_offsets_precision", "note_with_offsets_recall",
        "note_with_offsets_f1"}``: means over the pieces.

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
        notes = decode_notes(onset_probs, frame_probs, onset_threshold, frame_threshold, features.frame_rate)
        scores = {}
        for k, v in frame_scores(item["frame"].numpy(), (frame_probs >= frame_threshold).numpy(),
                                 features.frame_rate).items():
            scores[f"frame_{k}"] = v
        for k, v in note_scores(item["notes"], notes).items():
            scores[f"note_{k}"] = v
        for k, v in note_scores(item["notes"], notes, with_offsets=True).items():
            scores[f"note_with_offsets_{k}"] = v
        for k, v in scores.items():
            if k.endswith(("precision", "recall", "f1")):
                per_piece.setdefault(k, []).append(v)
    model.train(was_training)
    return {k: float(np.mean(v)) for k, v in per_piece.items()}


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
          clip_grad_norm: float | None = 3.0, validation_set=None, validation_interval: int = 0,
          device=None, seed: int = 0, log_every: int = 10, desc: str = "training") -> dict[str, list]:
    """Train a transcriber on random crops with :func:`course.training.fit`.

    Adam at ``lr``, multiplied by ``lr_decay_rate`` every ``lr_decay_steps`` steps (``StepLR``;
    jongwook/onsets-and-frames: 6e-4, 0.98 every 10 000 steps; KAIST HW3: 0.98 every 1 000), loss
    :func:`transcription_loss`, gradients clipped to a total norm of ``clip_grad_norm`` before
    each step.

    Args:
        model: a transcriber (moved to ``device``).
        train_set: a :class:`data_scripts.maestro.MaestroDataset`; its log-mels are computed once
            here (:class:`TranscriptionFeatures`).
        steps: optimiser steps.
        batch_size: crops per step (pieces drawn without replacement within an epoch).
        sequence_length: crop length in samples, a multiple of 512 (102400 = 200 frames).
        validation_set: optional dataset for :func:`evaluate` every ``validation_interval`` steps
            (and at the end); its log-mels are computed once too.
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
    optimizer = torch.optim.Adam(model.parameters(), lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=lr_decay_steps, gamma=lr_decay_rate)
    validate, spent = None, {"validation": 0.0, "training": []}
    if validation is not None:
        def validate(m):
            t0 = time.perf_counter()
            spent["training"].append(t0 - start - spent["validation"])
            scores = {k: v for k, v in evaluate(m, validation, device).items() if k.endswith("f1")}
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
