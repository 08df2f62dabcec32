"""course.notes: note lists <-> piano rolls, and FluidSynth rendering."""
import numpy as np
import pytest

from course.notes import N_KEYS, Notes, notes_to_rolls, roll_to_notes, sonify_roll, synthesize


def random_notes(seed=0, n=40, frame_rate=31.25):
    """Notes on the frame grid, never two at once on one key (so the round trip is exact)."""
    rng = np.random.default_rng(seed)
    intervals, pitches, free_at = [], [], {}
    for _ in range(n):
        p = int(rng.integers(21, 109))
        start = max(free_at.get(p, 0), int(rng.integers(0, 300)))
        length = int(rng.integers(1, 20))
        intervals.append((start / frame_rate, (start + length) / frame_rate))
        pitches.append(p)
        free_at[p] = start + length + 1  # one silent frame before the key plays again
    return Notes(np.array(intervals), np.array(pitches), np.full(n, 64))


def test_roll_round_trip_is_exact():
    fr = 31.25
    notes = random_notes()
    rolls = notes_to_rolls(notes, fr)
    back = roll_to_notes(rolls["frame"], fr, onset_roll=rolls["onset"], velocity=64)
    assert np.allclose(back.intervals, notes.intervals) and np.array_equal(back.pitches, notes.pitches)


def test_rolls_mark_onsets_offsets_and_velocity():
    notes = Notes([[0.0, 0.1], [0.1, 0.3]], [60, 60], [127, 64])
    rolls = notes_to_rolls(notes, 100.0, n_frames=40)
    k = 60 - 21
    assert rolls["frame"][:, k].sum() == 30
    assert np.flatnonzero(rolls["onset"][:, k]).tolist() == [0, 10]
    assert np.flatnonzero(rolls["offset"][:, k]).tolist() == [10, 30]
    assert rolls["velocity"][0, k] == 1.0 and np.isclose(rolls["velocity"][10, k], 64 / 127)
    # without the onset roll the repeated note merges into one run; with it, it is kept apart
    assert len(roll_to_notes(rolls["frame"], 100.0)) == 1
    assert len(roll_to_notes(rolls["frame"], 100.0, onset_roll=rolls["onset"])) == 2


def test_short_note_keeps_one_frame_and_bad_pitch_raises():
    rolls = notes_to_rolls(Notes([[0.0, 0.001]], [21], [80]), 31.25)
    assert rolls["frame"][:, 0].sum() == 1
    with pytest.raises(ValueError, match="piano"):
        notes_to_rolls(Notes([[0, 1]], [12], [80]), 31.25)
    with pytest.raises(ValueError, match=r"\(T, 88\)"):
        roll_to_notes(np.zeros((10, 12)), 31.25)


def test_synthesis_is_deterministic_and_audible():
    notes = Notes([[0.0, 0.5], [0.25, 0.75]], [60, 64], [90, 70])
    a, b = synthesize(notes, 16000), synthesize(notes, 16000)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert np.isclose(np.abs(a).max(), 0.9, atol=1e-6) and len(a) >= 0.75 * 16000
    # the sonified roll is as long as the roll and silent where the roll is empty
    roll = notes_to_rolls(notes, 31.25, n_frames=60)["frame"]
    audio = sonify_roll(roll, 31.25, 16000)
    assert len(audio) == int(np.ceil(60 / 31.25 * 16000))
    assert np.abs(sonify_roll(np.zeros((30, N_KEYS)), 31.25, 16000)).max() == 0
