"""course.metrics (mir_eval / scikit-learn wrappers) and course.training."""
import numpy as np
import pytest
import torch

from course.metrics import binary_scores, chord_majmin, frame_scores, note_f1, note_scores, roc_auc
from course.notes import Notes, notes_to_rolls
from course.training import fit, load_checkpoint, save_checkpoint, seed_everything


def test_note_f1_onsets_and_offsets():
    ref = Notes([[0.0, 1.0], [1.0, 2.0]], [60, 64], [80, 80])
    good_onsets_bad_offsets = Notes([[0.02, 0.3], [1.01, 2.0]], [60, 64], [80, 80])
    assert note_f1(ref, ref) == 1.0
    assert note_f1(ref, good_onsets_bad_offsets) == 1.0
    assert note_f1(ref, good_onsets_bad_offsets, with_offsets=True) == pytest.approx(2 / 3 * 0.75, abs=0.26)
    assert note_scores(ref, Notes([[0.0, 1.0]], [61], [80]))["f1"] == 0.0
    assert note_f1(Notes.empty(), Notes.empty()) == 1.0


def test_frame_scores_count_frames():
    ref = notes_to_rolls(Notes([[0.0, 1.0]], [60], [80]), 10.0, n_frames=20)["frame"]
    est = ref.copy()
    est[5:10, 39] = 0          # 5 of 10 frames missed
    est[0:5, 50] = 1           # 5 false frames
    s = frame_scores(ref, est, 10.0)
    assert s["recall"] == pytest.approx(0.5) and s["precision"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="frame grid"):
        frame_scores(ref, est[:10], 10.0)


def test_chords_auc_binary():
    intervals = np.array([[0.0, 2.0], [2.0, 4.0]])
    assert chord_majmin(intervals, ["C:maj", "A:min"], intervals, ["C:maj", "A:min"]) == 1.0
    assert chord_majmin(intervals, ["C:maj", "A:min"], intervals, ["C:maj", "C:maj"]) == pytest.approx(0.5)
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    assert roc_auc(y, y * 0.9 + 0.05) == 1.0
    assert binary_scores([1, 0, 1, 0], [1, 1, 0, 0]) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_seed_fit_checkpoint(tmp_path):
    seed_everything(3)
    a = torch.rand(3)
    seed_everything(3)
    assert torch.equal(a, torch.rand(3))
    model = torch.nn.Linear(4, 1)
    x = torch.randn(64, 4); y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    loader = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    history = fit(model, loader, lambda m, b: torch.mean((m(b[0])[:, 0] - b[1]) ** 2),
                  torch.optim.Adam(model.parameters(), lr=0.1), steps=200,
                  validate=lambda m: {"loss": torch.mean((m(x)[:, 0] - y) ** 2)}, validate_every=50)
    assert history["train_loss"][-1] < 0.1 * history["train_loss"][0]
    assert history["val_step"] == [50, 100, 150, 200] and len(history["val_loss"]) == 4
    path = save_checkpoint(model, tmp_path / "m.pt", step=200)
    fresh = torch.nn.Linear(4, 1)
    assert load_checkpoint(fresh, path) == {"step": 200}
    assert torch.equal(fresh.weight, model.weight)
    with pytest.raises(FileNotFoundError, match="train"):
        load_checkpoint(fresh, tmp_path / "missing.pt")
