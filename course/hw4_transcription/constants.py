"""hw4's constants: the log-mel grid (shared, from :mod:`course.constants`) and the label priors.

Shapes in hw4 use ``B`` (batch), ``T`` (frames at :data:`FRAME_RATE`), ``229`` (mel bands) and
``88`` (piano keys: key ``k`` is MIDI pitch ``21 + k``). A crop of ``L`` samples has ``T = L // 512``.
"""
from __future__ import annotations

from course.constants import FRAME_RATE, HOP_LENGTH, N_KEYS, N_MELS, SAMPLE_RATE, SILENCE

__all__ = ["SAMPLE_RATE", "HOP_LENGTH", "FRAME_RATE", "N_MELS", "N_KEYS", "SILENCE", "ONSET_PRIOR", "FRAME_PRIOR"]

# Label priors used to initialise the output biases (prior_init): the fraction of (frame, key)
# cells that are onsets / sounding in the embedded cpu set (MAESTRO is denser).
ONSET_PRIOR = 0.002
FRAME_PRIOR = 0.04
