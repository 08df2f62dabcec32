"""hw4_transcription's catalogue: plausible wrong answers, each with the test cells it must lose,
and the files a student hands in beside the notebooks."""
from __future__ import annotations

import pathlib

from autograder.catalogue import Mistake

# The reference's trained checkpoint, made by
#   python -m bench.hw4_transcription --profile cpu --model OnsetsAndFrames --save autograder/reference/hw4_transcription/onsets_and_frames_cpu.pt
HANDED_IN = {"onsets_and_frames.pt": pathlib.Path(__file__).with_name("onsets_and_frames_cpu.pt")}

MISTAKES = [
    Mistake("missing detach", "onsets_and_frames.ipynb", "q3_onf",
            "torch.sigmoid(onset).detach()", "torch.sigmoid(onset)",
            ("test_q3_onf_detach",)),
    Mistake("concatenation on the time axis", "onsets_and_frames.ipynb", "q3_onf",
            "activation], dim=-1)", "activation], dim=1)",
            ("test_q3_onf_public", "test_q3_onf_detach", "test_q3_onf_hidden")),
    Mistake("unidirectional LSTM", "onsets_and_frames.ipynb", "q3_onf",
            "bidirectional=True", "bidirectional=False",
            ("test_q3_onf_public", "test_q3_onf_detach", "test_q3_onf_hidden")),
    Mistake("sigmoid applied twice", "onsets_and_frames.ipynb", "q3_onf",
            "return onset, self.combined_fc(self.combined_rnn(combined)[0])",
            "return torch.sigmoid(onset), torch.sigmoid(self.combined_fc(self.combined_rnn(combined)[0]))",
            ("test_q3_onf_hidden",)),
    Mistake("MaxPool over time", "baseline.ipynb", "q1_shapes",
            "(B, C, T, F1),          # maxpool (1, 2)", "(B, C, T // 2, F1),     # maxpool (1, 2)",
            ("test_q1_shapes_hidden",)),
    Mistake("wrong flatten order", "baseline.ipynb", "q1_shapes",
            "(B, T, 2 * C * F2),     # flatten(2)", "(B, 2 * C, T * F2),     # flatten(2)",
            ("test_q1_shapes_hidden",)),
]
