"""hw4's given models: the acoustic model (:class:`ConvStack`) and the baseline transcriber.

* :class:`ConvStack` -- Kelz et al. 2016, as used by Hawthorne et al. 2018: three 3x3
  convolutions, pooling over frequency only, one linear layer. Q1 reviews it.
* :class:`BasicOnsetsAndFrames` -- the baseline: one ConvStack and one output layer per target,
  ``model(mel) -> (onset_logits, frame_logits)``, each ``(B, T, 88)``. Q2 trains it. The
  transcribers of Q3 (Onsets and Frames and its ablations) are what students write.

Logits, not probabilities: every ``forward`` returns logits so that the loss can be
``binary_cross_entropy_with_logits`` (numerically safer than a sigmoid followed by
``binary_cross_entropy``, which is what jongwook/onsets-and-frames does).

Differences from the originals, on purpose:

* Velocity and offset heads of the full Onsets and Frames (Hawthorne et al. 2018) are left out,
  as in KAIST GCT634 HW3: two outputs, onsets and frames.
* The third convolution has ``2 * cnn_unit`` channels and the FC ``fc_unit`` outputs, with
  ``cnn_unit`` and ``fc_unit`` free (KAIST HW3's parametrisation); jongwook's code ties them to one
  ``model_complexity``.
* The output biases start at the label priors' log-odds (:func:`init_prior_bias`; both
  originals start them at PyTorch's default, near 0): with a budget of minutes this decides
  whether the LSTM variants learn at all (``bench/measurements.md``).

Used by: hw4_transcription.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from course.hw4_transcription.constants import FRAME_PRIOR, N_KEYS, N_MELS, ONSET_PRIOR


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
