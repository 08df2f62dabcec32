"""hw5 NMP training and scoring: the split front end, the loss, cached windows, the loop, note
creation (the reference students are graded against) and evaluation."""
import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.reference.hw5_basic_pitch.augment import add_noise
from autograder.reference.hw5_basic_pitch.layers import NMPLayers
from autograder.reference.hw5_basic_pitch.notes import notes_from_posteriorgrams
from autograder.reference.hw5_basic_pitch.problem_set import weighted_bce
from course.constants import CQT_FRAME_RATE as FRAME_RATE
from course.hw5_basic_pitch import augment
from course.hw5_basic_pitch import training as nmp_training
from course.hw5_basic_pitch.data import WindowFeatures, log_cqt, stack_from_log_cqt
from course.hw5_basic_pitch.evaluation import evaluate, score_notes, transformed_pieces
from course.hw5_basic_pitch.inference import frame_times
from course.hw5_basic_pitch.model import NMPFrontEnd, Transcriber
from course.hw5_basic_pitch.training import balanced_weight, nmp_loss, sizes, train
from course.notes import Notes


@pytest.fixture(scope="module")
def multi_ci():
    from data_scripts.multi import build_multi_dataset
    from data_scripts.multi_dataset import MultiInstrumentDataset

    build_multi_dataset(profile_name="ci")  # at once when built (run.sh test builds it first)
    root = build_multi_dataset(profile_name="ci")
    return {split: MultiInstrumentDataset(root, split) for split in ("train", "validation", "test")}


def test_sizes_cover_every_profile():
    assert all(sizes(name).steps > 0 for name in ("ci", "cpu", "gpu"))
    assert sizes("ci").steps <= 5 and sizes("cpu").batch_size >= 4
    with pytest.raises(ValueError, match="profile"):
        sizes("laptop")


def test_split_front_end_is_the_front_end():
    torch.manual_seed(0)
    front_end = NMPFrontEnd()
    torch.nn.init.normal_(front_end.batch_norm.weight)  # not the identity, so the test can fail
    audio = torch.randn(2, 43844) * 0.1
    for mode in (front_end.train, front_end.eval):
        mode()
        np.testing.assert_allclose(stack_from_log_cqt(front_end, log_cqt(front_end, audio)).detach(),
                                   front_end(audio).detach(), atol=1e-5)
    one = NMPFrontEnd(1).eval()
    assert stack_from_log_cqt(one, log_cqt(one, audio)).shape == (2, 1, 172, 264)


def test_loss_is_basic_pitchs():
    torch.manual_seed(0)
    logits = {k: torch.randn(2, 172, n) for k, n in (("contour", 264), ("note", 88), ("onset", 88))}
    labels = {k: (torch.rand_like(v) < 0.05).float() for k, v in logits.items()}
    # label smoothing 0.2: 0 -> 0.1, 1 -> 0.9, on every head
    plain = sum(F.binary_cross_entropy_with_logits(logits[k], labels[k] * 0.8 + 0.1) for k in logits)
    assert torch.isclose(nmp_loss(logits, labels, onset_positive_weight=None), plain)
    assert nmp_training.ONSET_POSITIVE_WEIGHT == sizes("cpu").onset_positive_weight
    # the balanced onset loss is Keras' 0.5 * mean(negatives) + 0.5 * mean(positives), rescaled
    z, y = logits["onset"], labels["onset"]
    bce = F.binary_cross_entropy_with_logits(z, y * 0.8 + 0.1, reduction="none")
    keras = 0.5 * bce[y == 0].mean() + 0.5 * bce[y == 1].mean()
    n, n_neg = y.numel(), (y == 0).sum()
    onset = nmp_loss(logits, labels, onset_positive_weight="balanced", return_parts=True)[1]["onset"]
    assert onset == pytest.approx(float(keras * 2 * n_neg / n), rel=1e-5)
    assert float(balanced_weight(y)) == pytest.approx(float(n_neg / (y == 1).sum()))
    # no smoothing + a fixed weight: the problem set's weighted BCE
    part = nmp_loss(logits, labels, label_smoothing=0.0, onset_positive_weight=7.0, return_parts=True)[1]
    assert part["onset"] == pytest.approx(float(weighted_bce(z, y, 7.0)), rel=1e-5)
    # without Yp supervision the contour term is gone
    loss, parts = nmp_loss(logits, labels, supervise_contour=False, return_parts=True)
    assert "contour" not in parts and float(loss) == pytest.approx(parts["note"] + parts["onset"], rel=1e-5)
    # a batch without onsets: finite
    empty = dict(labels, onset=torch.zeros_like(labels["onset"]))
    assert torch.isfinite(nmp_loss(logits, empty))


def test_window_cache_and_training_recompute_only_augmented_windows(multi_ci):
    torch.manual_seed(0)
    model = Transcriber(NMPLayers(paper_block=False))
    features = WindowFeatures(multi_ci["train"], model.front_end, hop_frames=16)
    batch = features.batch(3, np.random.default_rng(0))
    assert batch["cqt"].shape == (3, 172, model.front_end.n_cqt_bins) and batch["audio"].shape == (3, 43844)
    fresh = log_cqt(model.front_end, batch["audio"])
    np.testing.assert_allclose(batch["cqt"], fresh, atol=2e-3)  # float16 cache of values in [0, 1]
    cached = len(features.cache)
    again = features.windows(batch["key"])
    assert len(features.cache) == cached and torch.equal(again["cqt"], batch["cqt"])

    computed = []
    compute = features.compute
    features.compute = lambda audio: computed.append(len(audio)) or compute(audio)
    # one transform that always changes the audio, at probability 1/2 per window
    noisy = augment.batch_augmentation([augment.noise_transform(add_noise, (20, 20))], probability=0.5)
    calls = []

    def spy(batch, rng):
        out = noisy(batch, rng)
        calls.append(sum(not torch.equal(a, b) for a, b in zip(out["audio"], batch["audio"])))
        return out

    history = train(model, multi_ci["train"], steps=3, batch_size=4, lr=1e-3, augment=spy,
                    validation_set=multi_ci["validation"], n_validation_windows=2, features=features)
    assert len(history["train_loss"]) >= 1 and np.isfinite(history["train_loss"]).all()
    assert len(history["val_loss"]) == 1 and history["features"] is features
    # new CQTs: the windows drawn for the first time plus exactly the augmented ones
    assert sum(computed) >= sum(calls) and sum(calls) > 0
    assert not model.training


def test_training_learns_on_one_window(multi_ci):
    """A few steps on one repeated batch lower the loss (the loop's plumbing is right)."""
    torch.manual_seed(0)
    model = Transcriber(NMPLayers(paper_block=False, n_harmonics=1), NMPFrontEnd(1))
    features = WindowFeatures(multi_ci["train"], model.front_end)
    fixed = features.batch(2, np.random.default_rng(0))
    features.batch = lambda batch_size, rng=None: fixed
    history = train(model, multi_ci["train"], steps=12, batch_size=2, lr=1e-2, features=features,
                    supervise_contour=False)
    first, last = history["train_loss"][0], history["train_loss"][-1]
    assert last < first


def test_notes_from_posteriorgrams_follows_basic_pitch():
    T = 120
    note, onset = np.zeros((T, 88)), np.zeros((T, 88))
    # A4: onset peak at 10, frames 10..39 on, a dip of 10 frames (bridged), on again to 59
    onset[9:12, 48] = [0.4, 0.9, 0.4]
    note[10:40, 48] = 0.8
    note[50:60, 48] = 0.8
    # C4: too short (11 frames: dropped, the original keeps only > 11)
    onset[20, 39] = 0.9
    note[20:31, 39] = 0.9
    # E4: peak below the onset threshold: no note
    onset[30, 43] = 0.45
    note[30:80, 43] = 0.9
    # G4: a re-struck note: two onsets, one continuous run of frames -> two notes
    onset[[70, 90], 46] = 0.8
    note[70:110, 46] = 0.7
    notes = notes_from_posteriorgrams(note, onset, frame_rate=FRAME_RATE)
    got = sorted((int(p), round(a * FRAME_RATE), round(b * FRAME_RATE)) for (a, b), p in zip(notes.intervals, notes.pitches))
    assert got == [(67, 70, 90), (67, 90, 110), (69, 10, 60)]
    assert notes.velocities[notes.pitches == 69][0] == round(127 * note[10:60, 48].mean())
    # a dip of 11 frames ends the note; energy_tolerance=1 ends it at the first frame below
    note2 = note.copy()
    note2[40:51, 48] = 0
    ends = {round(b * FRAME_RATE) for (a, b), p in zip(notes_from_posteriorgrams(note2, onset, FRAME_RATE).intervals,
                                                        notes_from_posteriorgrams(note2, onset, FRAME_RATE).pitches) if p == 69}
    assert ends == {40}
    strict = notes_from_posteriorgrams(note, onset, FRAME_RATE, energy_tolerance=1)
    assert strict.intervals[strict.pitches == 69][0, 1] * FRAME_RATE == pytest.approx(40)
    # the melodia trick finds the E4 that has no onset peak above threshold
    melodia = notes_from_posteriorgrams(note, onset, FRAME_RATE, melodia_trick=True)
    assert 64 in melodia.pitches.tolist() and 64 not in notes.pitches.tolist()
    # whole pieces: times of the stitched frames; torch input works too
    piece = notes_from_posteriorgrams(torch.from_numpy(note), torch.from_numpy(onset))
    np.testing.assert_allclose(np.sort(piece.intervals[:, 0]), np.sort(frame_times(T)[[10, 70, 90]]))
    assert len(notes_from_posteriorgrams(np.zeros((5, 88)), np.zeros((5, 88)))) == 0
    with pytest.raises(ValueError, match="88"):
        notes_from_posteriorgrams(note.T, onset.T)


def test_decoding_the_labels_recovers_the_notes(multi_ci):
    piece = multi_ci["test"].piece(0)
    notes = notes_from_posteriorgrams(piece.note, piece.onset, frame_rate=FRAME_RATE, min_note_frames=0)
    scores = score_notes(piece.notes, notes, len(piece.note))
    assert scores["note_f1"] > 0.95 and scores["frame_accuracy"] > 0.9


def test_evaluate_released_model_and_degraded_copy(multi_ci):
    from course.hw5_basic_pitch.released import OriginalBasicPitch, load_released

    test = multi_ci["test"]
    original = evaluate(OriginalBasicPitch(), test, notes_from_posteriorgrams, max_pieces=1)
    course_model = evaluate(load_released(Transcriber(NMPLayers(paper_block=False))), test,
                            notes_from_posteriorgrams, max_pieces=1)
    for key in ("note_f1", "note_with_offsets_f1", "frame_accuracy"):
        assert 0.0 <= original[key] <= 1.0
        assert course_model[key] == pytest.approx(original[key], abs=0.02), key
    assert original["note_f1"] > 0.2 and original["n_pieces"] == 1
    noisy = transformed_pieces([test.piece(0)], lambda a, rng: add_noise(augment.reverb(a), 0.0, rng))
    degraded = evaluate(OriginalBasicPitch(), noisy, functools.partial(notes_from_posteriorgrams))
    assert degraded["note_f1"] < original["note_f1"]


def test_evaluate_resamples_a_16khz_dataset():
    from course.hw5_basic_pitch.released import OriginalBasicPitch
    from course.notes import synthesize

    notes = Notes([[0.5, 1.5], [1.0, 2.0], [2.2, 3.0]], [60, 64, 67], [90, 90, 90])
    pieces = {}
    for rate in (16000, 22050):
        audio = synthesize(notes.to_pretty_midi(), sample_rate=rate)
        pieces[rate] = type("Set", (), {"sample_rate": rate, "__len__": lambda self: 1,
                                        "piece": lambda self, i, a=audio: type("P", (), {"audio": a, "notes": notes})()})()
    model = OriginalBasicPitch()
    at16 = evaluate(model, pieces[16000], notes_from_posteriorgrams)
    at22 = evaluate(model, pieces[22050], notes_from_posteriorgrams)
    assert at16["note_f1"] == pytest.approx(at22["note_f1"], abs=0.2) and at22["note_f1"] > 0.6
