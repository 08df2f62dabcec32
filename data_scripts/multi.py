"""Build and read the embedded multi-instrument set: corpus scores played by small GM ensembles.

No download. The pieces are the piano set's (:mod:`data_scripts.corpus`): scores from music21's
corpus, chosen from the same seeded pools, so a piece in one set's test split is never in the
other's training split. Each rendition is performed as in the piano set (random transposition,
tempo, dynamics and timing, :func:`data_scripts.perform.perform_parts`), but every part of the
score gets an instrument of its own, a General MIDI program drawn from :data:`FAMILIES`
(piano, guitar, strings, flute, organ, voice-like), preferring families not yet used in the
piece and programs whose range holds the part. FluidSynth renders it with pretty_midi's
TimGM6mb soundfont (:func:`course.notes.synthesize`), 22050 Hz mono, peak-normalised to 0.9.

Pitch contours that move. Strings, flute and voices sing their sustained notes (at least
:data:`VIBRATO_MIN_S`) with vibrato, 5-6 Hz and +-20-50 cents, faded in after the attack;
voices, strings, flute and guitar sometimes scoop into a note from up to a semitone below
(a guitar slide), glide from the previous note when it is at most 2 semitones away
(portamento), and voices sometimes fall off a note's end. All of it is MIDI pitch bend
(``pretty_midi.Instrument.pitch_bends``, every :data:`BEND_STEP_TICKS` ticks, about 10 ms), with
the bend range written into the file as RPN 0 (+-2 semitones, the GM default). Pitch bend acts
on a whole channel, so every monophonic line has an instrument (a MIDI track) of its own: a
part is split into "lanes", a new lane taking any note that would overlap the lane's previous
note by more than :data:`LANE_OVERLAP_S` (chords inside a part). tests/hw5_basic_pitch/test_multi.py
checks with pYIN that FluidSynth really renders the bends and that the labels follow them.

Splits are by piece; sizes come from the profile (``P.data.multi``). The same
seed gives byte-identical files, whatever the number of worker processes.

Command line (``python -m data_scripts build --profile P`` builds this set and the piano set)::

    python -m data_scripts.multi --profile cpu [--seed 0] [--force] [--root PATH] [--workers N]

The layout and the labels: :mod:`data_scripts.multi_dataset`, the loader.

Used by: hw5_basic_pitch (through the loader), ``bench/hw5_basic_pitch.py``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pathlib
import sys
import zipfile

import numpy as np

from course.constants import AUDIO_SAMPLE_RATE as SAMPLE_RATE
from course.constants import CONTOURS_BINS_PER_SEMITONE, CQT_FRAME_RATE, FFT_HOP, MIN_MIDI, N_FREQ_BINS_CONTOURS
from course.notes import Notes, notes_to_rolls
from data_scripts import maestro
from data_scripts.build import DatasetSpec, command_line, start_rendition, write_rendition
from data_scripts.corpus import read_score
from data_scripts.perform import TICKS_PER_SECOND, perform_parts

# Bump whenever a change alters the files built: a complete set of another version is rebuilt.
BUILDER_VERSION = 1
DATASET_NAME = "multi"

# Pitch bend, on the MIDI grid of data_scripts.perform (TICKS_PER_SECOND).
PITCH_BEND_RANGE = 2.0  # semitones at full bend: the GM default, also written as RPN 0
BEND_STEP_TICKS = 10  # a bend event at most every 10.4 ms: ~17 per vibrato cycle
LANE_OVERLAP_S = 0.05  # a note overlapping its lane's previous one by more opens a new lane

# Expression (ranges each note draws from).
VIBRATO_MIN_S = 0.3  # only sustained notes get vibrato
VIBRATO_RATE_HZ = (5.0, 6.0)
VIBRATO_DEPTH_CENTS = (20.0, 50.0)  # peak deviation
VIBRATO_DELAY_S = (0.08, 0.2)  # steady pitch after the attack ...
VIBRATO_FADE_S = 0.15  # ... then the vibrato fades in
SCOOP_SEMITONES = (0.3, 1.0)  # a scoop (or slide) starts this far below the note
SCOOP_S = (0.05, 0.15)  # and reaches it in this time (at most 40 % of the note)
GLIDE_MAX_SEMITONES = 2  # portamento only within the bend range
GLIDE_MAX_GAP_S = 0.05  # from a previous note that ended at most this long before
FALL_SEMITONES = (0.5, 1.5)
FALL_S = (0.08, 0.2)  # a fall takes the note's last 80-200 ms (at most 30 % of the note)


@dataclasses.dataclass(frozen=True)
class Family:
    """A family of General MIDI instruments and how its players bend pitch.

    Attributes:
        name: e.g. ``"strings"``.
        programs: GM programs (0-based), each with the MIDI range ``(low, high)`` it is given
            parts in (by the part's median pitch).
        vibrato: sustained notes get vibrato.
        scoop: probability that a note starts below pitch and bends up to it.
        glide: probability of a portamento from the previous note (when close enough).
        fall: probability that a note's end falls off.
    """

    name: str
    programs: dict[int, tuple[int, int]]
    vibrato: bool = False
    scoop: float = 0.0
    glide: float = 0.0
    fall: float = 0.0


FAMILIES = (
    Family("piano", {0: (21, 108)}),  # acoustic grand
    Family("guitar", {24: (40, 84), 25: (40, 84)}, scoop=0.15),  # nylon, steel; scoops are slides
    Family(
        "strings",
        {40: (55, 100), 41: (48, 88), 42: (36, 76), 48: (28, 96)},  # violin, viola, cello, ensemble
        vibrato=True, scoop=0.1, glide=0.3,
    ),
    Family("flute", {73: (60, 96)}, vibrato=True, scoop=0.05, glide=0.2),
    Family("organ", {19: (24, 96)}),  # church organ
    Family(
        "voice",
        {52: (43, 81), 53: (43, 81), 54: (36, 84)},  # choir aahs, voice oohs, synth voice
        vibrato=True, scoop=0.25, glide=0.3, fall=0.1,
    ),
)
FAMILY_OF_PROGRAM = {p: f for f in FAMILIES for p in f.programs}


def choose_programs(notes: Notes, parts: np.ndarray, rng: np.random.Generator) -> dict[int, int]:
    """A GM program for every part: several instruments per piece, each in its range.

    Parts are served in order; each takes a family not used yet in the piece where one has a
    program whose range holds the part's median pitch (any family that fits otherwise; the
    piano fits all), in a random family order, then a random fitting program of that family.

    Args:
        notes: the rendition's notes; ``parts``: ``(N,)`` the part of each note.
        rng: the rendition's generator.

    Returns:
        ``{part: program}`` for every part that has notes.
    """
    programs, used = {}, set()
    order = rng.permutation(len(FAMILIES))
    for part in np.unique(parts):
        median = float(np.median(notes.pitches[parts == part]))
        fitting = [
            (f, [p for p, (lo, hi) in f.programs.items() if lo <= median <= hi])
            for f in (FAMILIES[i] for i in order)
        ]
        fitting = [(f, ps) for f, ps in fitting if ps]
        family, candidates = next(((f, ps) for f, ps in fitting if f.name not in used), fitting[0])
        used.add(family.name)
        programs[int(part)] = int(candidates[rng.integers(len(candidates))])
    return programs


def split_lanes(intervals: np.ndarray) -> np.ndarray:
    """Monophonic lanes of one part: a note goes to the first lane free at its onset.

    A lane is free when its last note ends at most :data:`LANE_OVERLAP_S` after the onset (a
    legato overlap stays in the lane; a chord does not).

    Args:
        intervals: ``(N, 2)`` onset and offset times in seconds, sorted by onset.

    Returns:
        ``(N,)`` the lane of each note, 0, 1, ...
    """
    lanes, ends = np.zeros(len(intervals), np.int64), []  # ends[k]: when lane k's last note ends
    for i, (on, off) in enumerate(intervals):
        k = next((k for k, end in enumerate(ends) if end <= on + LANE_OVERLAP_S), len(ends))
        if k == len(ends):
            ends.append(off)
        ends[k] = off
        lanes[i] = k
    return lanes


def _note_expression(t: np.ndarray, duration: float, family: Family, glide_from: float | None,
                     rng: np.random.Generator) -> np.ndarray:
    """Pitch offset in semitones of one note at times ``t`` (seconds since its onset).

    Args:
        t: times inside the note, ``0 <= t < duration``.
        duration: the note's length in seconds.
        family: the instrument's family (which bends it makes, how often).
        glide_from: the previous note's pitch minus this one's when a portamento is possible
            (previous note close in time and pitch), else None.
        rng: the rendition's generator.

    Returns:
        Offsets in semitones, within +-:data:`PITCH_BEND_RANGE`.
    """
    offset = np.zeros(len(t))
    start = None
    if glide_from is not None and rng.random() < family.glide:
        start = glide_from
    elif rng.random() < family.scoop:
        start = -rng.uniform(*SCOOP_SEMITONES)
    if start is not None:
        length = min(rng.uniform(*SCOOP_S), 0.4 * duration)
        # cosine ease from `start` to 0: a bend starts and lands smoothly
        offset += np.where(t < length, start * 0.5 * (1 + np.cos(np.pi * np.minimum(t / length, 1.0))), 0.0)
    if family.vibrato and duration >= VIBRATO_MIN_S:
        rate, depth = rng.uniform(*VIBRATO_RATE_HZ), rng.uniform(*VIBRATO_DEPTH_CENTS) / 100.0
        delay = rng.uniform(*VIBRATO_DELAY_S)
        fade = np.clip((t - delay) / VIBRATO_FADE_S, 0.0, 1.0)
        offset += depth * fade * np.sin(2 * np.pi * rate * np.maximum(t - delay, 0.0))
    if duration >= VIBRATO_MIN_S and rng.random() < family.fall:
        amount, length = rng.uniform(*FALL_SEMITONES), min(rng.uniform(*FALL_S), 0.3 * duration)
        into = np.clip((t - (duration - length)) / length, 0.0, 1.0)
        offset -= amount * into**2
    limit = PITCH_BEND_RANGE * 8191 / 8192  # the largest upward bend MIDI can carry
    return np.clip(offset, -PITCH_BEND_RANGE, limit)


def _lane_bends(notes: Notes, family: Family, rng: np.random.Generator) -> list[tuple[int, int]]:
    """The pitch-bend events of one lane: ``[(tick, value), ...]``, value in -8192..8191.

    Sampled every :data:`BEND_STEP_TICKS` ticks and at every onset and offset; back to 0 outside
    the notes; an event only where the value changes. A later note's bend takes over where
    notes overlap (legato).
    """
    if not (family.vibrato or family.scoop or family.glide or family.fall) or not len(notes):
        return []
    ticks = np.round(notes.intervals * TICKS_PER_SECOND).astype(np.int64)
    grid = np.unique(np.concatenate([np.arange(ticks[0, 0], ticks[:, 1].max(), BEND_STEP_TICKS), ticks.ravel()]))
    semitones = np.zeros(len(grid))
    for i, ((on, off), pitch) in enumerate(zip(ticks, notes.pitches)):
        inside = (grid >= on) & (grid < off)
        glide_from = None
        if i:
            gap = (on - ticks[i - 1, 1]) / TICKS_PER_SECOND
            interval = int(notes.pitches[i - 1] - pitch)
            if gap <= GLIDE_MAX_GAP_S and 0 < abs(interval) <= GLIDE_MAX_SEMITONES:
                glide_from = float(interval)
        t = (grid[inside] - on) / TICKS_PER_SECOND
        semitones[inside] = _note_expression(t, (off - on) / TICKS_PER_SECOND, family, glide_from, rng)
    values = np.clip(np.round(semitones / PITCH_BEND_RANGE * 8192), -8192, 8191).astype(np.int64)
    change = np.ones(len(values), bool)
    change[1:] = values[1:] != values[:-1]
    return [(int(g), int(v)) for g, v in zip(grid[change], values[change])]


def ensemble_midi(notes: Notes, parts: np.ndarray, programs: dict[int, int], rng: np.random.Generator):
    """The rendition's MIDI: one instrument (track) per lane of every part, with its pitch bends.

    Every track starts with RPN 0 = +-2 semitones (the bend range) and a centred bend at time 0:
    pretty_midi renders all tracks on one FluidSynth channel in turn, so no track inherits the
    previous one's bend.

    Args:
        notes: the notes (times on the 1/960 s grid); ``parts``: ``(N,)`` the part of each.
        programs: ``{part: GM program}`` (:func:`choose_programs`).
        rng: the rendition's generator (draws the expression).

    Returns:
        A ``pretty_midi.PrettyMIDI`` at 480 ticks per beat and 120 bpm (960 ticks per second).
    """
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
    semitones = int(PITCH_BEND_RANGE)
    cents = int(round((PITCH_BEND_RANGE - semitones) * 100))
    for part in sorted(programs):
        mine = parts == part
        part_notes = Notes(notes.intervals[mine], notes.pitches[mine], notes.velocities[mine])
        lanes = split_lanes(part_notes.intervals)
        family = FAMILY_OF_PROGRAM[programs[part]]
        for lane in range(lanes.max() + 1):
            sel = lanes == lane
            lane_notes = Notes(part_notes.intervals[sel], part_notes.pitches[sel], part_notes.velocities[sel])
            inst = pretty_midi.Instrument(program=programs[part], name=f"part {part} lane {lane} ({family.name})")
            # RPN 0 (pitch-bend sensitivity): select 101/100 = 0/0, data entry 6 = semitones,
            # 38 = cents, then deselect (127/127) so later data entries change nothing. One tick
            # apart: pretty_midi writes the events of one tick sorted by controller number,
            # which would put the data entry before the selection. All before the lead-in.
            rpn = ((101, 0), (100, 0), (6, semitones), (38, cents), (101, 127), (100, 127))
            for tick, (number, value) in enumerate(rpn):
                inst.control_changes.append(pretty_midi.ControlChange(number, value, tick / TICKS_PER_SECOND))
            inst.pitch_bends.append(pretty_midi.PitchBend(0, 0.0))
            for tick, value in _lane_bends(lane_notes, family, rng):
                inst.pitch_bends.append(pretty_midi.PitchBend(value, tick / TICKS_PER_SECOND))
            for (on, off), p, v in zip(lane_notes.intervals, lane_notes.pitches, lane_notes.velocities):
                inst.notes.append(pretty_midi.Note(int(v), int(p), float(on), float(off)))
            pm.instruments.append(inst)
    return pm


def n_frames_for_samples(n_samples: int) -> int:
    """Label frames of ``n_samples`` of audio: ``1 + n_samples // 256``, the CQT's frame count."""
    return 1 + n_samples // FFT_HOP


def labels_from_midi(pm, n_frames: int) -> dict[str, np.ndarray]:
    """Basic Pitch's three targets of a rendition, from its MIDI (notes and pitch bends).

    Args:
        pm: a ``pretty_midi.PrettyMIDI`` (as written by the builder: bend range
            +-:data:`PITCH_BEND_RANGE`); drums are ignored.
        n_frames: ``T``, frames at :data:`CQT_FRAME_RATE` (:func:`n_frames_for_samples`).

    Returns:
        ``{"contour": (T, 264), "note": (T, 88), "onset": (T, 88)}`` uint8 arrays in {0, 1}
        (conventions in the module docstring).
    """
    notes = Notes.from_midi(pm)
    rolls = notes_to_rolls(notes, CQT_FRAME_RATE, n_frames=n_frames)
    contour = np.zeros((n_frames, N_FREQ_BINS_CONTOURS), np.uint8)
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        bends = sorted((b.time, b.pitch) for b in inst.pitch_bends)
        bend_times = np.array([b[0] for b in bends], np.float64)
        bend_values = np.array([b[1] for b in bends] + [0], np.float64)  # index -1: no bend yet
        for note in inst.notes:
            # the note's frames, exactly as notes_to_rolls marks them
            first = int(round(note.start * CQT_FRAME_RATE))
            last = min(max(int(round(note.end * CQT_FRAME_RATE)), first + 1), n_frames)
            frames = np.arange(first, last)
            # the bend at each frame's time, clamped into the note (a frame rounded to just
            # before the onset hears the note's first pitch, not the previous note's)
            t = np.clip(frames / CQT_FRAME_RATE, note.start, np.nextafter(note.end, note.start))
            bend = bend_values[np.searchsorted(bend_times, t, side="right") - 1]
            midi = note.pitch + bend / 8192 * PITCH_BEND_RANGE
            bins = np.clip(np.round(CONTOURS_BINS_PER_SEMITONE * (midi - MIN_MIDI)), 0, N_FREQ_BINS_CONTOURS - 1).astype(np.int64)
            contour[frames, bins] = 1
    return {"contour": contour, "note": rolls["frame"].astype(np.uint8), "onset": rolls["onset"].astype(np.uint8)}


def write_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` without its clock: every member stamped 1980-01-01, so equal
    arrays give equal bytes (``np.load`` reads it as usual)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue())


def _render_piece(task) -> list[dict]:
    """Render every rendition of one piece (audio, MIDI, labels); returns their csv rows."""
    score = read_score(task.piece.corpus_path)
    rows = []
    for r in range(task.n_renditions):
        rng, transpose, stem = start_rendition(task, r)
        notes, parts = perform_parts(score, rng, transpose, task.max_seconds)
        programs = choose_programs(notes, parts, rng)
        pm = ensemble_midi(notes, parts, programs, rng)
        written, audio = write_rendition(pm, task.out_dir, stem, SAMPLE_RATE)
        labels = labels_from_midi(written, n_frames_for_samples(len(audio)))
        labels["programs"] = np.array([inst.program for inst in written.instruments], np.int16)
        write_npz(pathlib.Path(task.out_dir) / f"{stem}.npz", labels)
        rows.append(maestro.metadata_row(task.piece, task.split, stem, len(audio), SAMPLE_RATE, len(notes)))
    return rows


MULTI = DatasetSpec(DATASET_NAME, BUILDER_VERSION, SAMPLE_RATE, _render_piece, maestro.write_metadata,
                    str(maestro.YEAR))


# Build the set (or find it built): build_multi_dataset(root=None, profile_name=None, seed=0, force=False,
# workers=None) -> its folder, data/<profile>/multi by default; a set of an older builder version
# is rebuilt (data_scripts.build.build_dataset).
build_multi_dataset = MULTI.build


def main(argv: list[str] | None = None) -> None:
    command_line(MULTI, "Build the embedded multi-instrument set (hw5_basic_pitch).", argv)


if __name__ == "__main__":
    main(sys.argv[1:])
