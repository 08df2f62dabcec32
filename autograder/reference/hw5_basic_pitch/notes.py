"""Instructor's reference for hw5_basic_pitch: note creation from Basic Pitch's posteriorgrams.

Students write :func:`notes_from_posteriorgrams` in the notebook; hidden tests compare theirs with
this one on given posteriorgrams, and ``course.hw5_basic_pitch.evaluation.evaluate`` / ``bench/hw5_basic_pitch.py``
use it as the ``decode`` argument. Never shipped to students (the bundle check rejects any file
that names this module).

What it does, and how it relates to Basic Pitch's ``note_creation.output_to_notes_polyphonic``
(basic-pitch 0.4.0; read, not copied):

1. **Onset peaks.** A candidate onset is a strict local maximum *in time* of the onset
   posteriorgram (``onset[t-1] < onset[t] > onset[t+1]``, as ``scipy.signal.argrelmax(onset,
   axis=0)``: never the first or last frame) whose value is at least ``onset_threshold`` (0.5).
2. **Latest first.** Candidates are served from the last frame backwards (within one frame from
   the highest key down), as the original does. Why: a repeated note's later onset claims its
   frames first, so the earlier note grows into frames already taken and stops there. (The brief
   said "longest first"; the original does not sort by length, and this reference follows the
   original.)
3. **Growing.** From onset frame ``t0`` the note grows forward along its key of the note
   posteriorgram. A frame counts as "on" when its *remaining* energy is at least
   ``frame_threshold`` (0.3). Up to ``energy_tolerance - 1`` consecutive frames below the
   threshold are bridged (the original's ``energy_tol = 11``: a dip of up to 10 frames, 116 ms,
   does not end a note); the note ends after its last "on" frame, at the latest at frame
   ``T - 1``. ``energy_tolerance=1`` ends a note at its first frame below the threshold.
4. **Too short.** A note of ``end - t0 <= min_note_frames`` frames is dropped (strictly longer
   than 11 frames, 127.7 ms: the original's ``<=`` test, kept).
5. **Claiming.** A kept note zeroes the remaining energy of its frames on its key *and both
   neighbouring keys* (so a semitone-wide smear is not read as a second note).
6. **Velocity.** ``round(127 * mean(note[t0:end, key]))``, at least 1 (MIDI velocity).

Options the original has, here **off by default** (the released ``predict()`` turns both on):

* ``infer_onsets``: also treat sharp rises of the note posteriorgram as onsets (the minimum of
  its 1- and 2-frame differences, rescaled to the onset posteriorgram's maximum).
* ``melodia_trick``: after the onset-driven notes, repeatedly take the strongest remaining frame
  above ``frame_threshold``, grow a note from it forwards *and* backwards (same tolerance), keep
  it when longer than ``min_note_frames`` (notes without an onset: a slow bowed or sung attack).

Off by default because the homework's decoder is the onset-driven one the paper describes,
whose every note has an onset the model predicted; ``bench/hw5_basic_pitch.py`` also reports the
released model with the original's full settings.

Times. ``frame_rate=None`` means the posteriorgrams are a whole piece stitched by
``course.hw5_basic_pitch.inference.predict_piece``: frame ``j`` is at ``course.hw5_basic_pitch.inference.frame_times(T)[j]`` (the windows'
frames are not evenly spaced). A number means evenly spaced frames, frame ``t`` at
``t / frame_rate`` seconds (one 2-s window, or labels: ``22050 / 256``). A note ``[t0, end)``
lasts from the time of frame ``t0`` to the time of frame ``end``.
"""
from __future__ import annotations

import numpy as np

from course.notes import MIN_MIDI, N_KEYS, Notes

ONSET_THRESHOLD = 0.5
FRAME_THRESHOLD = 0.3
MIN_NOTE_FRAMES = 11  # round(127.70 ms * 22050 / 256 / 1000): the released predict()'s default
ENERGY_TOLERANCE = 11


def _as_array(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, on any device
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != N_KEYS:
        raise ValueError(
            f"{name} must be a (T, {N_KEYS}) posteriorgram of one piece; got shape {x.shape}. For a batch "
            f"of windows decode each one (x[i]); for (88, T) transpose it (x.T)."
        )
    return x


def _frame_times(n_frames: int, frame_rate: float | None) -> np.ndarray:
    from course.hw5_basic_pitch.inference import frame_times

    if frame_rate is None:
        return frame_times(n_frames)
    if not frame_rate > 0:
        raise ValueError(f"frame_rate must be positive (22050 / 256 for Basic Pitch's frames); got {frame_rate}.")
    return np.arange(n_frames) / float(frame_rate)


def inferred_onsets(onset: np.ndarray, note: np.ndarray, n_diff: int = 2) -> np.ndarray:
    """The onset posteriorgram, raised where the note posteriorgram rises sharply.

    The rise at ``t`` is ``min over d = 1..n_diff of note[t] - note[t - d]`` (zero before the
    piece; negative rises and the first ``n_diff`` frames set to 0), rescaled so that its maximum
    equals the onset posteriorgram's, then the element-wise maximum with ``onset``.
    """
    padded = np.concatenate([np.zeros((n_diff, note.shape[1])), note])
    rise = np.min([padded[n_diff:] - padded[n_diff - d : len(padded) - d] for d in range(1, n_diff + 1)], axis=0)
    rise = np.maximum(rise, 0.0)
    rise[:n_diff] = 0.0
    top = rise.max()
    if top > 0:
        rise = rise * (onset.max() / top)
    return np.maximum(onset, rise)


def _grow(energy: np.ndarray, start: int, key: int, step: int, stop: int, frame_threshold: float,
          energy_tolerance: int, clear: bool) -> int:
    """Walk from ``start + step`` towards ``stop`` (excluded) while fewer than ``energy_tolerance``
    consecutive frames are below the threshold; return the first frame past the last "on" one
    (forwards) or the last frame before the first "on" one (backwards). ``clear`` zeroes every
    visited frame on the key and its neighbours (the melodia trick does, as the original)."""
    i, below = start + step, 0
    while (i < stop if step > 0 else i > stop) and below < energy_tolerance:
        below = below + 1 if energy[i, key] < frame_threshold else 0
        if clear:
            energy[i, max(key - 1, 0) : key + 2] = 0.0
        i += step
    return i - step * below


def notes_from_posteriorgrams(
    note,
    onset,
    frame_rate: float | None = None,
    onset_threshold: float = ONSET_THRESHOLD,
    frame_threshold: float = FRAME_THRESHOLD,
    min_note_frames: int = MIN_NOTE_FRAMES,
    energy_tolerance: int = ENERGY_TOLERANCE,
    infer_onsets: bool = False,
    melodia_trick: bool = False,
) -> Notes:
    """Notes of Basic Pitch's note and onset posteriorgrams (see the module docstring).

    Args:
        note: ``(T, 88)`` note posteriorgram ``Yn`` (probabilities), numpy or torch.
        onset: ``(T, 88)`` onset posteriorgram ``Yo``.
        frame_rate: ``None`` for a whole piece from ``course.hw5_basic_pitch.inference.predict_piece`` (times from
            ``course.hw5_basic_pitch.inference.frame_times``); frames per second for evenly spaced frames.
        onset_threshold: smallest onset peak that starts a note (0.5).
        frame_threshold: smallest note probability that keeps a note going (0.3).
        min_note_frames: notes of at most this many frames are dropped (11, 127.7 ms).
        energy_tolerance: consecutive frames below ``frame_threshold`` that end a note (11).
        infer_onsets: also start notes at sharp rises of ``note`` (the original's option).
        melodia_trick: also make notes from strong frames without an onset (the original's option).

    Returns:
        :class:`course.notes.Notes`, sorted by onset; velocities from the mean note probability.

    Used by: hw5_basic_pitch (the students write it), ``course.hw5_basic_pitch.evaluation.evaluate`` (as
    ``decode``), ``bench/hw5_basic_pitch.py``, the hidden tests.
    """
    frames = _as_array(note, "note")
    onsets = _as_array(onset, "onset")
    if frames.shape != onsets.shape:
        raise ValueError(f"note {frames.shape} and onset {onsets.shape} must have the same (T, 88) shape.")
    n_frames = len(frames)
    times = _frame_times(n_frames, frame_rate)
    if infer_onsets:
        onsets = inferred_onsets(onsets, frames)

    # strict local maxima in time, above the threshold (argrelmax never picks the first/last frame)
    peak = np.zeros(onsets.shape, bool)
    if n_frames >= 3:
        mid = onsets[1:-1]
        peak[1:-1] = (mid > onsets[:-2]) & (mid > onsets[2:]) & (mid >= onset_threshold)
    rows, keys = np.nonzero(peak)  # row-major: time, then key, ascending

    energy = frames.copy()  # what later notes may still claim
    found = []  # (start frame, end frame, key)
    for t0, key in zip(rows[::-1], keys[::-1]):  # latest onset first
        if t0 >= n_frames - 1:
            continue
        end = _grow(energy, t0, key, +1, n_frames - 1, frame_threshold, energy_tolerance, clear=False)
        if end - t0 <= min_note_frames:
            continue
        energy[t0:end, max(key - 1, 0) : key + 2] = 0.0
        found.append((t0, end, key))

    if melodia_trick:
        while n_frames and energy.max() > frame_threshold:
            t_mid, key = np.unravel_index(np.argmax(energy), energy.shape)
            energy[t_mid, key] = 0.0
            end = _grow(energy, t_mid, key, +1, n_frames - 1, frame_threshold, energy_tolerance, clear=True)
            start = _grow(energy, t_mid, key, -1, 0, frame_threshold, energy_tolerance, clear=True)
            # the original's bounds: the forward walk stops before T - 1, the backward one after 0
            end -= 1
            start += 1
            if end - start <= min_note_frames:
                continue
            found.append((start, end, key))

    if not found:
        return Notes.empty()
    starts, ends, keys = (np.array(column) for column in zip(*found))
    velocity = [np.mean(frames[s:e, k]) for s, e, k in found]
    return Notes(
        np.stack([times[starts], times[ends]], axis=1),
        keys + MIN_MIDI,
        np.clip(np.round(127 * np.array(velocity)), 1, 127).astype(int),
    )
