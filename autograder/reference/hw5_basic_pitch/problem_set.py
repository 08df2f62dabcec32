"""Instructor's reference for the hw5 problem set (median filtering, weighted BCE).

Hidden tests of ``solutions/hw5_basic_pitch/problem_set.ipynb`` compare the students' functions
with these. Never shipped to students (the bundle check rejects any file that names this module).
"""
from __future__ import annotations

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F


def median_filter(x: torch.Tensor, kernel_size: tuple[int, int]) -> torch.Tensor:
    """Median over a ``(k_t, k_f)`` window of the last two axes, edges replicated."""
    k_t, k_f = kernel_size
    if k_t % 2 == 0 or k_f % 2 == 0 or k_t < 1 or k_f < 1:
        raise ValueError(f"kernel sizes must be odd and positive, got {kernel_size}")
    shape = x.shape
    flat = x.reshape(-1, 1, *shape[-2:])
    padded = F.pad(flat, (k_f // 2, k_f // 2, k_t // 2, k_t // 2), mode="replicate")
    windows = padded.unfold(2, k_t, 1).unfold(3, k_f, 1)  # (N, 1, T, F, k_t, k_f)
    return windows.reshape(*windows.shape[:4], -1).median(dim=-1).values.reshape(shape)


def median_filter_scipy(x: np.ndarray, kernel_size: tuple[int, int]) -> np.ndarray:
    """The same filter by scipy (``mode="nearest"`` replicates the edges), on the last two axes."""
    size = (1,) * (x.ndim - 2) + tuple(kernel_size)
    return scipy.ndimage.median_filter(x, size=size, mode="nearest")


def weighted_bce(logits: torch.Tensor, targets: torch.Tensor, pos_weight) -> torch.Tensor:
    """Mean of ``-(w * y * log sigmoid(z) + (1 - y) * log sigmoid(-z))``, stable for any logit."""
    return -(pos_weight * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits)).mean()


def equal_vote_pos_weight(targets) -> float:
    """Positive weight giving positives and negatives the same total weight: N_neg / N_pos."""
    targets = np.asarray(targets)
    n_pos = float((targets > 0).sum())
    return (targets.size - n_pos) / n_pos
