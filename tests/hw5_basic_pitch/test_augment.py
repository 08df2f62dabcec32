"""hw5 augmentation: the given effects (course.hw5_basic_pitch.augment) and the reference of the students' parts.

Properties the hidden tests also check: transposition goes the right way for audio and labels
alike, lengths and dtypes are kept, the SNR is exact, and noise, reverb, EQ and mixing leave the
labels alone.
"""
import numpy as np
import pytest
import torch

from autograder.reference.hw5_basic_pitch import augment as ref
from course.constants import AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE
from course.hw5_basic_pitch import augment
from course.notes import Notes

SR = AUDIO_SAMPLE_RATE


def tone(freq=440.0, n=AUDIO_N_SAMPLES, harmonics=3, dtype=np.float32):
    t = np.arange(n) / SR
    x = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))
    return (0.3 * x).astype(dtype)


def peak_hz(x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * SR / len(x)


def labels_for(midi: int, n_frames=172):
    """One note held through the window: contour bin 3 * (midi - 21), key midi - 21."""
    labels = {"contour": np.zeros((n_frames, 264), np.float32), "note": np.zeros((n_frames, 88), np.float32),
              "onset": np.zeros((n_frames, 88), np.float32)}
    labels["contour"][:, 3 * (midi - 21)] = 1
    labels["note"][:, midi - 21] = 1
    labels["onset"][0, midi - 21] = 1
    return labels


@pytest.mark.parametrize("semitones", [2, -3])
def test_transpose_moves_audio_and_labels_the_same_way(semitones):
    x, labels = tone(440.0), labels_for(69)  # A4
    y, moved = ref.transpose(x, labels, semitones)
    # the audio: the spectral peak moved by the same interval (within 1 %)
    assert peak_hz(y) == pytest.approx(440.0 * 2 ** (semitones / 12), rel=0.01)
    # the labels: the key and the contour bin of the shifted pitch, nothing else
    key = 69 - 21 + semitones
    assert np.flatnonzero(moved["note"][5]) .tolist() == [key]
    assert np.flatnonzero(moved["onset"][0]).tolist() == [key]
    assert np.flatnonzero(moved["contour"][5]).tolist() == [3 * key]
    # and the spectrum's peak agrees with the label's pitch
    assert 12 * np.log2(peak_hz(y) / 440.0) + 69 == pytest.approx(key + 21, abs=0.2)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert all(moved[k].shape == labels[k].shape and moved[k].dtype == labels[k].dtype for k in labels)


def test_transpose_zero_fills_at_the_edges_and_keeps_dtype():
    labels = labels_for(108)  # C8, the top key: shifted up, it leaves the piano
    _, up = ref.transpose(tone(dtype=np.float64), labels, 1)
    assert up["note"].sum() == 0 and up["contour"].sum() == 0
    _, down = ref.transpose(tone(), labels, -1)
    assert down["note"][:, 86].all() and down["note"][:, 87].sum() == 0
    shifted = ref.shift_labels({k: torch.from_numpy(v) for k, v in labels_for(60).items()}, 2)
    assert torch.is_tensor(shifted["note"]) and shifted["note"][0, 41] == 1  # torch tensors too
    y, _ = ref.transpose(tone(dtype=np.float64), labels, 2)
    assert y.dtype == np.float64
    with pytest.raises(ValueError, match="whole"):
        ref.transpose(tone(), labels, 0.5)


def test_add_noise_hits_the_snr_exactly_and_keeps_length_dtype():
    x = tone()
    for snr in (0.0, 10.0, 23.5):
        y = ref.add_noise(x, snr, np.random.default_rng(1))
        noise = y.astype(np.float64) - x
        measured = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(noise**2))
        assert measured == pytest.approx(snr, abs=1e-3)
        assert y.shape == x.shape and y.dtype == x.dtype
    silent = np.zeros(100, np.float32)
    assert np.array_equal(ref.add_noise(silent, 10.0, np.random.default_rng(0)), silent)


def test_mix_adds_the_other_at_the_gain_looped_to_length():
    x, other = tone(), np.ones(1000, np.float32)
    y = ref.mix(x, other, -20.0)
    assert y.shape == x.shape and y.dtype == x.dtype
    np.testing.assert_allclose(y - x, 0.1, atol=1e-6)
    with pytest.raises(ValueError):
        ref.mix(x, np.zeros((2, 10), np.float32), 0.0)


def test_given_effects_keep_length_and_dtype_and_change_the_sound():
    x = tone()
    drums = augment.drum_loop(len(x), np.random.default_rng(0), bpm=120)
    assert drums.shape == x.shape and drums.dtype == np.float32 and np.abs(drums).max() == pytest.approx(0.9)
    outputs = {
        "reverb": augment.reverb(x, room_size=0.8, wet_level=0.5),
        "eq": augment.equalize(x, low_shelf_db=6, peak_db=-9, high_shelf_db=6),
        "pitch": augment.pitch_shift(x, 1),
    }
    for name, y in outputs.items():
        assert y.shape == x.shape and y.dtype == x.dtype, name
        assert not np.allclose(y, x), name
    assert augment.pitch_shift(x.astype(np.float64), 1).dtype == np.float64
    # an EQ boost at the tone's frequency raises it by about the gain (a biquad peak at 440 Hz)
    pure = tone(harmonics=1)
    boosted = augment.equalize(pure, peak_db=6.0, peak_hz=440.0)
    assert 20 * np.log10(np.std(boosted[4000:]) / np.std(pure[4000:])) == pytest.approx(6.0, abs=0.5)
    with pytest.raises(ValueError, match="mono"):
        augment.reverb(np.zeros((2, 100), np.float32))


def test_label_preserving_transforms_leave_labels_untouched():
    """Noise, reverb, EQ and mixing through batch_augmentation: audio changes, labels do not."""
    rng = np.random.default_rng(0)
    batch = {"audio": torch.from_numpy(np.stack([tone(440.0), tone(330.0)]))}
    batch.update({k: torch.from_numpy(np.stack([labels_for(69)[k], labels_for(64)[k]])) for k in augment.LABEL_BINS_PER_SEMITONE})
    transforms = [augment.random_reverb(), augment.random_eq(), augment.noise_transform(ref.add_noise),
                  augment.mix_transform(ref.mix)]
    out = augment.batch_augmentation(transforms, probability=1.0)(batch, rng)
    assert out["audio"].shape == batch["audio"].shape and out["audio"].dtype == torch.float32
    assert not torch.equal(out["audio"], batch["audio"])
    for key in augment.LABEL_BINS_PER_SEMITONE:
        assert torch.equal(out[key], batch[key]), key
    # transposition through the same callback moves the labels with the audio
    moved = augment.batch_augmentation([augment.transpose_transform(ref.transpose, 1)], 1.0)(batch, rng)
    shift = int(np.flatnonzero(moved["note"][0, 5].numpy())[0]) - (69 - 21)
    assert shift in (-1, 1)
    assert peak_hz(moved["audio"][0].numpy()) == pytest.approx(440 * 2 ** (shift / 12), rel=0.01)
    # probability 0: the very same batch values (the trainer then reuses every cached CQT)
    same = augment.batch_augmentation(transforms, probability=0.0)(batch, rng)
    assert all(torch.equal(same[k], batch[k]) for k in batch)


def test_masking_a_notes_middle_makes_two_notes_of_one():
    x = tone(n=2 * SR)
    notes = Notes([[0.1, 1.9]], [69], [80])
    masked, heard = augment.mask_note_middle(x, notes, 0, fraction=0.3)
    assert masked.shape == x.shape and masked.dtype == x.dtype
    assert len(notes) == 1 and len(heard) == 2  # the labels say one note; the audio holds two
    gap = (heard.intervals[0, 1], heard.intervals[1, 0])
    assert gap == pytest.approx((1.0 - 0.27, 1.0 + 0.27))
    inside = masked[int(gap[0] * SR) + 1 : int(gap[1] * SR) - 1]
    assert np.abs(inside).max() == 0
    before = masked[int(gap[0] * SR) - 1000 : int(gap[0] * SR) - 200]
    assert np.allclose(before, x[int(gap[0] * SR) - 1000 : int(gap[0] * SR) - 200])
