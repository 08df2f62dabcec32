"""Instructor's reference for hw5_basic_pitch: the NMP layers (Bittner et al., ICASSP 2022).

Hidden tests load this module's ``state_dict`` strictly into the student's layers and compare
outputs, and load Spotify's released weights (``course.hw5_basic_pitch.released``) into ``NMPLayers(paper_block=
False)`` to compare with the original ONNX model. Never shipped to students (the bundle check
rejects any file that names this module).

The contract the notebook states (attribute names are what ``state_dict`` keys are made of)::

    NMPLayers(n_harmonics=8, paper_block=True)
      stack_block   Sequential(Conv2d(H, 32, 5x5, "same"), BatchNorm2d(32), ReLU)
                    only with paper_block=True (else None): the paper's block after stacking
      contour_head  Sequential(Conv2d(C, 8, (3, 39), "same"), BatchNorm2d(8), ReLU,
                               Conv2d(8, 1, 5x5, "same"))          -> contour logits
                    C = 32 (reads stack_block) with paper_block, else H (reads the stack)
      note_head     Sequential(Conv2d(1, 32, 7x7, stride (1, 3), "same"), ReLU,
                               Conv2d(32, 1, (7, 3), "same"))      -> note logits
                    reads the contour *probabilities* (B, 1, T, 264)
      onset_conv    Sequential(Conv2d(H, 32, 5x5, stride (1, 3), "same"), BatchNorm2d(32), ReLU)
                    reads the stack
      onset_out     Conv2d(33, 1, 3x3, "same")                   -> onset logits
                    reads cat([note probabilities, onset_conv(stack)], dim=1): notes first

    forward(stack, logits=False): stack (B, H, T, 264) ->
        {"contour": (B, T, 264), "note": (B, T, 88), "onset": (B, T, 88)}
        probabilities (sigmoid, like the original), or the pre-sigmoid logits with logits=True.

Batch norms use Keras' ``eps=1e-3``; "same" is TensorFlow's rule (:func:`course.hw5_basic_pitch.model.same_padding`),
symmetric for every kernel here, so it is ``Conv2d``'s own ``padding``. Heads chain through
probabilities, as the original does (the note head sees ``sigmoid(contour)``), so ``logits=True``
changes only what is returned, never what the next head reads.
"""
from __future__ import annotations

import torch
from torch import nn

from course.constants import ANNOT_N_FRAMES, N_FREQ_BINS_CONTOURS
from course.hw5_basic_pitch.constants import BATCH_NORM_EPS, N_HARMONICS, NOTE_STRIDE
from course.hw5_basic_pitch.model import same_padding

N_FILTERS_STACK = 32  # the paper's 5x5 block after harmonic stacking
N_FILTERS_CONTOUR = 8
N_FILTERS_NOTES = 32
N_FILTERS_ONSETS = 32


def _conv(c_in: int, c_out: int, kernel: tuple[int, int], stride: tuple[int, int] = (1, 1)) -> nn.Conv2d:
    """Conv2d with TensorFlow's "same" padding on (time, frequency)."""
    # With stride 1 "same" padding does not depend on the input's size; the strided convolutions
    # all read the 264 contour bins.
    pads = [same_padding(k, s, size) for k, s, size in zip(kernel, stride, (ANNOT_N_FRAMES, N_FREQ_BINS_CONTOURS))]
    if any(before != after for before, after in pads):
        raise ValueError(f"asymmetric 'same' padding for kernel {kernel}, stride {stride}: pad with F.pad first")
    return nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=tuple(before for before, _ in pads))


class NMPLayers(nn.Module):
    """Basic Pitch's layers after harmonic stacking (see the module docstring for the contract).

    Args:
        n_harmonics: channels of the input stack (8; 1 for the ablation without stacking).
        paper_block: ``True``: the paper's 5x5 conv (32) + BN + ReLU after stacking feeds the
            contour head (45 740 parameters with 8 harmonics); ``False``: as released, the
            contour head reads the stack directly (16 780 parameters, the paper's "about 17 k").

    Used by: hw5_basic_pitch hidden tests, tests/hw5_basic_pitch/test_nmp.py, bench/.
    """

    def __init__(self, n_harmonics: int = N_HARMONICS, paper_block: bool = True):
        super().__init__()
        self.n_harmonics = n_harmonics
        self.paper_block = paper_block
        self.stack_block = (
            nn.Sequential(
                _conv(n_harmonics, N_FILTERS_STACK, (5, 5)),
                nn.BatchNorm2d(N_FILTERS_STACK, eps=BATCH_NORM_EPS),
                nn.ReLU(),
            )
            if paper_block
            else None
        )
        self.contour_head = nn.Sequential(
            _conv(N_FILTERS_STACK if paper_block else n_harmonics, N_FILTERS_CONTOUR, (3, 39)),
            nn.BatchNorm2d(N_FILTERS_CONTOUR, eps=BATCH_NORM_EPS),
            nn.ReLU(),
            _conv(N_FILTERS_CONTOUR, 1, (5, 5)),
        )
        self.note_head = nn.Sequential(
            _conv(1, N_FILTERS_NOTES, (7, 7), stride=(1, NOTE_STRIDE)), nn.ReLU(), _conv(N_FILTERS_NOTES, 1, (7, 3))
        )
        self.onset_conv = nn.Sequential(
            _conv(n_harmonics, N_FILTERS_ONSETS, (5, 5), stride=(1, NOTE_STRIDE)),
            nn.BatchNorm2d(N_FILTERS_ONSETS, eps=BATCH_NORM_EPS),
            nn.ReLU(),
        )
        self.onset_out = _conv(N_FILTERS_ONSETS + 1, 1, (3, 3))

    def forward(self, stack: torch.Tensor, logits: bool = False) -> dict[str, torch.Tensor]:
        if stack.ndim != 4 or stack.shape[1] != self.n_harmonics or stack.shape[-1] != N_FREQ_BINS_CONTOURS:
            raise ValueError(
                f"NMPLayers expects a harmonic stack (B, {self.n_harmonics}, T, {N_FREQ_BINS_CONTOURS}); got "
                f"{tuple(stack.shape)}. Keras' (B, T, F, H) layout: stack.permute(0, 3, 1, 2)."
            )
        features = self.stack_block(stack) if self.stack_block is not None else stack
        contour = self.contour_head(features)  # (B, 1, T, 264) logits
        note = self.note_head(torch.sigmoid(contour))  # (B, 1, T, 88)
        onset = self.onset_out(torch.cat([torch.sigmoid(note), self.onset_conv(stack)], dim=1))
        out = {"contour": contour[:, 0], "note": note[:, 0], "onset": onset[:, 0]}
        return out if logits else {key: torch.sigmoid(value) for key, value in out.items()}

