"""hw5_basic_pitch's catalogue: plausible wrong answers, each with the test cells it must lose."""
from __future__ import annotations

from autograder.catalogue import Mistake

HANDED_IN: dict = {}

MISTAKES = [
    Mistake("inverted equal-vote weight", "problem_set.ipynb", "b1_equal_vote",
            "return (targets.size - n_pos) / n_pos", "return n_pos / (targets.size - n_pos)",
            ("test_b1_function",)),
    Mistake("box filter instead of median", "problem_set.ipynb", "a3_median_filter",
            ".median(dim=-1).values", ".mean(dim=-1)",
            ("test_a3_median_public", "test_a3_median_hidden")),
    Mistake("zero padding instead of replicated edges", "problem_set.ipynb", "a3_median_filter",
            'mode="replicate"', 'mode="constant"',
            ("test_a3_median_public", "test_a3_median_hidden")),
    Mistake("window across pitches", "problem_set.ipynb", "a4_kernel",
            "KERNEL = (5, 1)", "KERNEL = (3, 3)",
            ("test_a4_kernel",)),
    Mistake("weight on the negative terms", "problem_set.ipynb", "b2_weighted_bce",
            "-(pos_weight * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))",
            "-(targets * F.logsigmoid(logits) + pos_weight * (1 - targets) * F.logsigmoid(-logits))",
            ("test_b2_public", "test_b2_hidden", "test_b3_best_weight")),
    Mistake("log of sigmoid (overflows)", "problem_set.ipynb", "b2_weighted_bce",
            "-(pos_weight * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))",
            "-(pos_weight * targets * torch.log(torch.sigmoid(logits)) + (1 - targets) * torch.log(1 - torch.sigmoid(logits)))",
            # training with large weights drives logits far enough to overflow, so B.3 fails too
            ("test_b2_hidden", "test_b3_best_weight")),
    Mistake("skipping the paper's 5x5 block", "basic_pitch.ipynb", "b1_layers",
            "features = self.stack_block(stack) if self.stack_block is not None else stack", "features = stack",
            ("test_b1_public", "test_b1_hidden")),
    Mistake("stride on the time axis", "basic_pitch.ipynb", "b1_layers",
            "stride=(1, 3)", "stride=(3, 1)",
            ("test_b1_public", "test_b1_hidden", "test_b2_released", "test_b2_released_hidden")),
    Mistake("onset head concatenates the contour instead of the notes", "basic_pitch.ipynb", "b1_layers",
            "torch.cat([torch.sigmoid(note), self.onset_conv(stack)], dim=1)",
            "torch.cat([torch.sigmoid(contour), self.onset_conv(stack)], dim=1)",
            ("test_b1_public", "test_b1_hidden", "test_b2_released", "test_b2_released_hidden")),
    Mistake("harmonic shift truncated (off by one bin)", "basic_pitch.ipynb", "a1_shift",
            "int(round(12 * bins_per_semitone * math.log2(h)))", "int(12 * bins_per_semitone * math.log2(h))",
            ("test_a1_shift_hidden",)),
    Mistake("labels not shifted with the audio", "basic_pitch.ipynb", "e_augment",
            "return shifted_audio, moved", "return shifted_audio, dict(labels)",
            ("test_e_public", "test_e_hidden")),
]
