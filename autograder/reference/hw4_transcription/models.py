"""Instructor's reference for hw4_transcription: the parts students write, and the shape table.

Hidden tests of ``solutions/hw4_transcription/*.ipynb`` compare the students' code with these:
a student's module must load this module's ``state_dict`` strictly (same names, same shapes) and
give the same outputs on a fixed input; ``decode_notes`` must give the same notes on random
posteriorgrams; ``shape_table`` answers Q1's table for any sizes. The benchmark
(``bench/hw4_transcription.py``) trains these models. Never shipped to students (the bundle check
rejects any file that names this module).

What students get instead lives in :mod:`course.hw4_transcription`: the baseline's
:class:`~course.hw4_transcription.model.ConvStack` and :class:`~course.hw4_transcription.model.BasicOnsetsAndFrames`,
features, training, evaluation, checkpoints and the sweep runner.

  ========================  ============================  ==========================================
  model                     onset branch                  frame branch
  ========================  ============================  ==========================================
  ``BasicOnsetsAndFrames``  ConvStack -> FC                ConvStack -> FC
  ``BiLSTMOnly``            ConvStack -> BiLSTM -> FC      ConvStack -> BiLSTM -> FC
  ``ConcatOnly``            ConvStack -> FC                [sigmoid(FC(ConvStack)), onset probs] -> FC
  ``OnsetsAndFrames``       ConvStack -> BiLSTM -> FC      [sigmoid(FC(ConvStack)), onset probs]
                                                          -> BiLSTM -> FC
  ========================  ============================  ==========================================

Every ``forward`` returns logits ``(onset_logits, frame_logits)``, each ``(B, T, 88)``; the onset
probabilities enter the frame branch detached. Each BiLSTM is one bidirectional layer.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course.hw4_transcription.constants import FRAME_PRIOR, FRAME_RATE, HOP_LENGTH, N_MELS, ONSET_PRIOR
from course.hw4_transcription.model import BasicOnsetsAndFrames, ConvStack, init_prior_bias
from course.notes import MIN_MIDI, N_KEYS, Notes

# ---- Q1: the baseline's shapes and size ----------------------------------------------------------

SHAPE_STEPS = (
    "audio", "log-mel", "unsqueeze(1)", "conv1 + BN + ReLU", "conv2 + BN + ReLU", "maxpool (1, 2)",
    "dropout", "conv3 + BN + ReLU", "maxpool (1, 2)", "dropout", "transpose(1, 2)", "flatten(2)",
    "linear (fc)", "dropout", "linear (88)", "sigmoid",
)


def shape_table(B: int, L: int, C: int, C_fc: int, n_mels: int = N_MELS) -> list[tuple[int, ...]]:
    """The shape after each of :data:`SHAPE_STEPS` for one branch of the baseline.

    ``T = L // 512`` frames (the log-mel keeps whole hops only); pooling halves the mel axis with
    floor division (229 -> 114 -> 57) and never touches time.
    """
    T = L // HOP_LENGTH
    F1, F2 = n_mels // 2, n_mels // 4
    return [
        (B, L), (B, T, n_mels), (B, 1, T, n_mels), (B, C, T, n_mels), (B, C, T, n_mels),
        (B, C, T, F1), (B, C, T, F1), (B, 2 * C, T, F1), (B, 2 * C, T, F2), (B, 2 * C, T, F2),
        (B, T, 2 * C, F2), (B, T, 2 * C * F2), (B, T, C_fc), (B, T, C_fc), (B, T, N_KEYS), (B, T, N_KEYS),
    ]


def baseline_parameters(C: int, C_fc: int, n_mels: int = N_MELS) -> int:
    """Trainable parameters of :class:`~course.hw4_transcription.model.BasicOnsetsAndFrames` (two branches)."""
    convs = (9 * 1 * C + C) + (9 * C * C + C) + (9 * C * 2 * C + 2 * C)  # weights + biases
    norms = 2 * (C + C + 2 * C)  # BatchNorm's scale and shift per channel
    fc = 2 * C * (n_mels // 4) * C_fc + C_fc
    out = C_fc * N_KEYS + N_KEYS
    return 2 * (convs + norms + fc + out)


# ---- Q3.2-3.3: the transcribers students write ---------------------------------------------------


def _bilstm(input_size: int, rnn_unit: int) -> nn.LSTM:
    """One bidirectional LSTM layer, batch first: ``(B, T, input_size) -> (B, T, 2 * rnn_unit)``."""
    return nn.LSTM(input_size, rnn_unit, batch_first=True, bidirectional=True)


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


# ---- Q3.1: decoding ------------------------------------------------------------------------------


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


