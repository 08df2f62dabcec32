"""The simulated performer: a score's notes played with a tempo, dynamics, accents and uneven timing.

Each rendition draws from its own generator (:func:`data_scripts.build.rendition_rng`) a random
tempo, an overall dynamic with a slow swell, accents on strong beats, a singing top voice,
per-note velocity noise, slightly uneven onsets and a little early release, then cuts the
rendition after ``max_seconds`` and puts every time on the MIDI tick grid.

Used by: ``data_scripts.piano`` (:func:`perform`) and ``data_scripts.multi`` (:func:`perform_parts`).
"""
from __future__ import annotations

import numpy as np

from course.constants import MAX_MIDI, MIN_MIDI
from course.notes import Notes
from data_scripts.corpus import ScoreNotes

# The simulated pianist: ranges each rendition draws from.
TRANSPOSE_SEMITONES = 4  # -4..+4
TEMPO_QPM = (60.0, 120.0)  # quarter notes per minute
PIECE_VELOCITY = (45.0, 85.0)  # the rendition's overall dynamic
VELOCITY_LIMITS = (30, 120)
ACCENT = 12.0  # velocity added to a downbeat (music21 beat strength 1); weaker beats get less
TOP_VOICE_ACCENT = 6.0  # the highest note of a chord carries the tune: play it a bit louder
VELOCITY_JITTER = 5.0  # std of the per-note velocity noise
ONSET_JITTER_S = 0.004  # std of onset timing noise; chords are not perfectly together
ONSET_JITTER_LIMIT_S = 0.012
LEAD_IN_S = (0.2, 0.5)  # silence before the first note, as in a recording
RELEASE_S = (0.02, 0.06)  # a note is released this much before its notated end (articulation)
RESTRIKE_GAP_S = 0.01  # a repeated key is released at least this long before it is struck again
MIN_NOTE_S = 0.01  # shorter notes (after cutting and rounding) are dropped
# Notes.to_pretty_midi writes 480 ticks per beat at 120 bpm: times are rounded to this grid
# first so that the MIDI file holds exactly the times used for the labels.
TICKS_PER_SECOND = 960


def _end_at_next_onset(onsets: np.ndarray, offsets: np.ndarray, pitches: np.ndarray, gap: float) -> np.ndarray:
    """Offsets shortened so that a key is released ``gap`` before it is struck again.

    A piano key cannot sound twice: where two voices share a key, the earlier note ends when the
    later one starts.
    """
    offsets = offsets.copy()
    order = np.lexsort((onsets, pitches))  # by pitch, then onset
    for a, b in zip(order[:-1], order[1:]):
        if pitches[a] == pitches[b]:
            offsets[a] = min(offsets[a], onsets[b] - gap)
    return offsets


def perform(score: ScoreNotes, rng: np.random.Generator, transpose: int, max_seconds: float) -> Notes:
    """One rendition of a score: the simulated pianist's notes.

    Args:
        score: the score's notes (:func:`read_score`).
        rng: the rendition's random generator (tempo, dynamics, timing).
        transpose: semitones to transpose by; notes leaving A0..C8 are moved by octaves.
        max_seconds: notes starting at or after this time are dropped, the others end by it.

    Returns:
        The notes, times on the MIDI tick grid (1/960 s), velocities in 30..120, no two notes of
        one key overlapping.
    """
    return _perform(score, rng, transpose, max_seconds, by_part=False)[0]


def perform_parts(
    score: ScoreNotes, rng: np.random.Generator, transpose: int, max_seconds: float
) -> tuple[Notes, np.ndarray]:
    """One rendition of a score played by an ensemble: every part on an instrument of its own.

    The same performer as :func:`perform` (tempo, transposition, dynamics, timing, drawn from
    ``rng`` in the same order), except that parts are kept apart: two parts in unison are two
    notes, and a key is released before it is struck again only within one part.

    Args:
        score: the score's notes (:func:`read_score`).
        rng: the rendition's random generator.
        transpose: semitones to transpose by; notes leaving A0..C8 are moved by octaves.
        max_seconds: notes starting at or after this time are dropped, the others end by it.

    Returns:
        ``(notes, parts)``: the notes (times on the 1/960 s MIDI grid) and ``(N,)`` the part
        index of each, in the order of ``notes``.

    Used by: ``data_scripts.multi`` (the hw5_basic_pitch multi-instrument set).
    """
    return _perform(score, rng, transpose, max_seconds, by_part=True)


def _perform(
    score: ScoreNotes, rng: np.random.Generator, transpose: int, max_seconds: float, by_part: bool
) -> tuple[Notes, np.ndarray]:
    """The performer of :func:`perform` and :func:`perform_parts`; returns notes and their parts."""
    pitches = score.pitches + transpose
    pitches = np.where(pitches < MIN_MIDI, pitches + 12 * ((MIN_MIDI - pitches + 11) // 12), pitches)
    pitches = np.where(pitches > MAX_MIDI, pitches - 12 * ((pitches - MAX_MIDI + 11) // 12), pitches)
    # What cannot sound twice at once: a piano key, or with by_part a key of one part's instrument.
    keys = pitches + 128 * score.parts if by_part else pitches

    # Doubled voices (two parts on one key at one time) are one key press: keep the longer note.
    onsets, durations, strengths, parts = score.onsets, score.durations, score.beat_strengths, score.parts
    order = np.lexsort((-durations, onsets, keys))
    keep = np.ones(len(order), bool)
    keep[1:] = (keys[order][1:] != keys[order][:-1]) | (onsets[order][1:] != onsets[order][:-1])
    idx = np.sort(order[keep])
    pitches, onsets, durations, strengths = pitches[idx], onsets[idx], durations[idx], strengths[idx]
    keys, parts = keys[idx], parts[idx]
    ends = _end_at_next_onset(onsets, onsets + durations, keys, gap=0.0)

    # Dynamics: an overall level with a slow swell, accents on strong beats, the top voice
    # singing out, and per-note noise.
    seconds_per_quarter = 60.0 / rng.uniform(*TEMPO_QPM)
    lead_in = rng.uniform(*LEAD_IN_S)
    on_s = lead_in + onsets * seconds_per_quarter
    level = rng.uniform(*PIECE_VELOCITY)
    swell_depth, swell_period, swell_phase = rng.uniform(0, 10), rng.uniform(6, 16), rng.uniform(0, 2 * np.pi)
    top = np.zeros(len(pitches), bool)
    for t in np.unique(onsets):
        at = np.flatnonzero(onsets == t)
        top[at[np.argmax(pitches[at])]] = True
    velocity = (
        level
        + swell_depth * np.sin(2 * np.pi * on_s / swell_period + swell_phase)
        + ACCENT * strengths
        + TOP_VOICE_ACCENT * top
        + rng.normal(0, VELOCITY_JITTER, len(pitches))
    )
    velocity = np.clip(np.round(velocity), *VELOCITY_LIMITS).astype(np.int64)

    # Timing: uneven onsets, and each note released a little early so repeated notes re-strike.
    jitter = np.clip(rng.normal(0, ONSET_JITTER_S, len(pitches)), -ONSET_JITTER_LIMIT_S, ONSET_JITTER_LIMIT_S)
    on_s = on_s + jitter
    notated_s = (ends - onsets) * seconds_per_quarter
    release = np.minimum(rng.uniform(*RELEASE_S), 0.25 * notated_s)
    off_s = on_s + notated_s - release
    off_s = _end_at_next_onset(on_s, off_s, keys, gap=RESTRIKE_GAP_S)

    # Cut after max_seconds and put every time on the MIDI tick grid.
    inside = on_s < max_seconds
    on_s, off_s = on_s[inside], np.minimum(off_s[inside], max_seconds)
    pitches, velocity, parts = pitches[inside], velocity[inside], parts[inside]
    on_s = np.round(on_s * TICKS_PER_SECOND) / TICKS_PER_SECOND
    off_s = np.round(off_s * TICKS_PER_SECOND) / TICKS_PER_SECOND
    ok = off_s - on_s >= MIN_NOTE_S
    on_s, off_s, pitches, velocity, parts = on_s[ok], off_s[ok], pitches[ok], velocity[ok], parts[ok]
    # Notes sorts by onset, then pitch (a stable sort): sort the parts the same way first.
    order = np.lexsort((pitches, on_s))
    notes = Notes(np.stack([on_s, off_s], axis=1)[order], pitches[order], velocity[order])
    return notes, parts[order]
