"""Build and read the embedded multi-instrument set: corpus scores played by small GM ensembles.

Used by: hw5_basic_pitch (training and evaluating Basic Pitch / NMP) and ``bench/``.

No download. The pieces are the piano set's (:mod:`data_scripts.piano`): scores from music21's
corpus, chosen from the same seeded pools, so a piece in one set's test split is never in the
other's training split. Each rendition is performed as in the piano set (random transposition,
tempo, dynamics and timing, :func:`data_scripts.piano.perform_parts`), but every part of the
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
note by more than :data:`LANE_OVERLAP_S` (chords inside a part). tests/test_multi.py checks
with pYIN that FluidSynth really renders the bends and that the labels follow them.

Layout (MAESTRO v3's, as the piano set, so :class:`data_scripts.maestro.MaestroDataset` can
read the audio and notes too, plus the labels beside each rendition)::

    <root>/maestro-v3.0.0.csv        canonical_composer, canonical_title, split, year,
    <root>/maestro-v3.0.0.json           midi_filename, audio_filename, duration
    <root>/2026/bach_bwv1.6_r0.midi   one track per lane: GM program, notes, pitch bends, RPN 0
    <root>/2026/bach_bwv1.6_r0.wav    22050 Hz mono PCM_16
    <root>/2026/bach_bwv1.6_r0.npz    the labels (below), zip-deflated with fixed timestamps
    <root>/manifest.json             profile, seed, builder version, sha256 of every file

Labels (``.npz``, uint8 arrays in {0, 1}, all computed from the MIDI file as written):

* ``contour`` ``(T, 264)``: the sounding fundamental of every note, bends and vibrato
  included, at 3 bins per semitone from A0: bin ``round(3 * (midi - 21))`` where ``midi`` is the
  note's pitch plus its lane's bend at the frame's time (clamped into the note);
* ``note`` ``(T, 88)`` and ``onset`` ``(T, 88)``: the notes' nominal pitches
  (:func:`course.notes.notes_to_rolls`: a note covers frames ``round(on * fr) <= t <
  max(round(off * fr), round(on * fr) + 1)``, its onset frame ``round(on * fr)``);
* ``programs`` ``(L,)`` int16: the GM program of each lane, in track order.

Frames. ``fr = 22050 / 256`` frames per second; frame ``t`` is at ``t * 256 / 22050`` s, the
centre of Basic Pitch's CQT frame ``t`` (``course.cqt.BasicPitchCQT``), and a rendition of ``N``
samples has ``T = 1 + N // 256`` frames, the CQT's count. A 2-s training window of
``AUDIO_N_SAMPLES = 43844`` samples starting at sample ``256 * f`` has the label frames
``f .. f + 171`` (``ANNOT_N_FRAMES = 172``).

How this differs from Basic Pitch's own data pipeline (spotify/basic-pitch,
``basic_pitch/data/datasets/*.py`` through mirdata's ``to_sparse_index``):

* its labels are on a grid of ``ANNOTATIONS_FPS = 22050 // 256 = 86`` frames per second (rounded
  down from 86.13), and a window's labels start at frame ``round(86 * t0)``; the CQT's frames
  drift from that grid by 3 ms (a quarter frame) over a 2-s window. Here labels are on the CQT's
  exact grid.
* mirdata marks a note from the frame nearest its onset through the frame nearest its offset,
  both included; here the offset's frame is excluded (as in hw4), a note is one frame shorter.
* contour targets are binary there too: one bin per sounding f0, the bin nearest in log
  frequency (``closest_index`` over ``FREQ_BINS_CONTOURS = 27.5 * 2 ** (k / 36)``), no blur of
  neighbouring bins in the data. The softening is in the loss, label smoothing 0.2
  (``basic_pitch/models.py: loss``). For note-only sets (MAESTRO, Slakh) its contour is the
  nominal pitch of the notes; here it is the rendered f0, as for its f0-annotated sets
  (GuitarSet, MedleyDB-Pitch, iKala).

Splits are by piece; sizes come from the profile (``course.profiles``: ``P.multi``). The same
seed gives byte-identical files, whatever the number of worker processes.

Command line (``python -m data_scripts build --profile P`` builds this set and the piano set)::

    python -m data_scripts.multi --profile cpu [--seed 0] [--force] [--root PATH] [--workers N]
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import pathlib
import sys
import zipfile

import numpy as np

from course.notes import MIN_MIDI, N_KEYS, Notes, notes_to_rolls
from course.profiles import PROFILE_NAMES
from data_scripts import piano
from data_scripts.paths import CSV_NAME, INCOMPLETE_MARKER, MANIFEST_NAME, SPLITS, dataset_dir, is_partial_name

# Bump whenever a change alters the files built: a complete set of another version is rebuilt.
BUILDER_VERSION = 1
DATASET_NAME = "multi"

# Basic Pitch's signal constants (course.cqt: AUDIO_SAMPLE_RATE, FFT_HOP, N_FREQ_BINS_CONTOURS,
# AUDIO_N_SAMPLES, ANNOT_N_FRAMES; tests/test_multi.py checks they agree). Not imported from
# there: course.cqt imports torch, which every spawned build worker would then load.
SAMPLE_RATE = 22050
HOP_LENGTH = 256
FRAME_RATE = SAMPLE_RATE / HOP_LENGTH  # 86.13 frames per second
BINS_PER_SEMITONE = 3
N_CONTOUR_BINS = N_KEYS * BINS_PER_SEMITONE  # 264, from A0 (MIDI 21)
WINDOW_SAMPLES = 2 * SAMPLE_RATE - HOP_LENGTH  # 43844: a 2-s window less one hop ...
WINDOW_FRAMES = 1 + WINDOW_SAMPLES // HOP_LENGTH  # ... gives 172 CQT frames

# Pitch bend. Notes.to_pretty_midi's grid: 480 ticks per beat at 120 bpm = 960 ticks per second.
TICKS_PER_SECOND = piano.TICKS_PER_SECOND
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
    return 1 + n_samples // HOP_LENGTH


def labels_from_midi(pm, n_frames: int) -> dict[str, np.ndarray]:
    """Basic Pitch's three targets of a rendition, from its MIDI (notes and pitch bends).

    Args:
        pm: a ``pretty_midi.PrettyMIDI`` (as written by the builder: bend range
            +-:data:`PITCH_BEND_RANGE`); drums are ignored.
        n_frames: ``T``, frames at :data:`FRAME_RATE` (:func:`n_frames_for_samples`).

    Returns:
        ``{"contour": (T, 264), "note": (T, 88), "onset": (T, 88)}`` uint8 arrays in {0, 1}
        (conventions in the module docstring).
    """
    notes = Notes.from_midi(pm)
    rolls = notes_to_rolls(notes, FRAME_RATE, n_frames=n_frames)
    contour = np.zeros((n_frames, N_CONTOUR_BINS), np.uint8)
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        bends = sorted((b.time, b.pitch) for b in inst.pitch_bends)
        bend_times = np.array([b[0] for b in bends], np.float64)
        bend_values = np.array([b[1] for b in bends] + [0], np.float64)  # index -1: no bend yet
        for note in inst.notes:
            # the note's frames, exactly as notes_to_rolls marks them
            first = int(round(note.start * FRAME_RATE))
            last = min(max(int(round(note.end * FRAME_RATE)), first + 1), n_frames)
            frames = np.arange(first, last)
            # the bend at each frame's time, clamped into the note (a frame rounded to just
            # before the onset hears the note's first pitch, not the previous note's)
            t = np.clip(frames / FRAME_RATE, note.start, np.nextafter(note.end, note.start))
            bend = bend_values[np.searchsorted(bend_times, t, side="right") - 1]
            midi = note.pitch + bend / 8192 * PITCH_BEND_RANGE
            bins = np.clip(np.round(BINS_PER_SEMITONE * (midi - MIN_MIDI)), 0, N_CONTOUR_BINS - 1).astype(np.int64)
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
    score = piano.read_score(task.piece.corpus_path)
    rows = []
    for r in range(task.n_renditions):
        rng, transpose, stem = piano.start_rendition(task, r)
        notes, parts = piano.perform_parts(score, rng, transpose, task.max_seconds)
        programs = choose_programs(notes, parts, rng)
        pm = ensemble_midi(notes, parts, programs, rng)
        written, audio = piano.write_rendition(pm, task.out_dir, stem, SAMPLE_RATE)
        labels = labels_from_midi(written, n_frames_for_samples(len(audio)))
        labels["programs"] = np.array([inst.program for inst in written.instruments], np.int16)
        write_npz(pathlib.Path(task.out_dir) / f"{stem}.npz", labels)
        rows.append(piano.metadata_row(task, stem, len(audio), SAMPLE_RATE, len(notes)))
    return rows


MULTI = piano.DatasetSpec(DATASET_NAME, BUILDER_VERSION, SAMPLE_RATE, _render_piece)


def build_multi_dataset(
    root: str | os.PathLike | None = None,
    profile_name: str | None = None,
    seed: int = 0,
    force: bool = False,
    workers: int | None = None,
) -> pathlib.Path:
    """Build the embedded multi-instrument set (or find it already built).

    Args:
        root: destination folder; by default ``data_root()/<profile>/multi``.
        profile_name: ``ci``, ``cpu`` or ``gpu`` (sizes: ``course.profiles``, ``P.multi``); by
            default the current profile.
        seed: chooses the pieces (the piano set's pools) and every rendition's performance,
            instruments and bends.
        force: rebuild even where ``root`` already holds a complete set, replacing it.
        workers: rendering processes; by default the profile's ``num_workers``. The files do
            not depend on it.

    Returns:
        ``root``, holding a complete set (at once when it already did, for this profile, seed and
        builder version; a set of an older builder version is rebuilt).

    Raises:
        FileExistsError: ``root`` holds another set (profile, seed) and ``force`` is False.
        RuntimeError: FluidSynth is missing.
    """
    return piano.build_dataset(MULTI, root, profile_name, seed, force, workers)


# ---- the loader ------------------------------------------------------------------------------


def _build_command(root: pathlib.Path) -> str:
    """The command that (re)builds the set at ``root``: with its manifest's profile and seed."""
    if is_partial_name(root):  # a build in progress: name the folder it becomes
        root = root.with_name(root.name.rsplit(".partial-", 1)[0])
    profile, seed, custom = root.parent.name, 0, True
    manifest = root / MANIFEST_NAME
    if manifest.is_file():
        m = json.loads(manifest.read_text())
        profile, seed = m.get("profile", profile), m.get("seed", seed)
    if profile in PROFILE_NAMES:
        custom = root != dataset_dir(DATASET_NAME, profile)
    where = f" --root {root}" if custom else ""
    profile = profile if profile in PROFILE_NAMES else "<ci|cpu|gpu>"
    return f"python -m data_scripts.multi --profile {profile} --seed {seed} --force{where}"


@dataclasses.dataclass
class MultiPiece:
    """One rendition of the multi-instrument set.

    Attributes:
        audio: ``(N,)`` float32 mono audio at 22050 Hz.
        notes: its notes (nominal pitches; the bends are in ``contour``).
        contour: ``(T, 264)`` float32 in {0, 1}, ``T = 1 + N // 256``.
        note: ``(T, 88)`` float32 in {0, 1}.
        onset: ``(T, 88)`` float32 in {0, 1}.
        title: the piece (csv ``canonical_title``).
        programs: the GM program of each track (one per lane of each part).
        path: the audio file.
    """

    audio: np.ndarray
    notes: Notes
    contour: np.ndarray
    note: np.ndarray
    onset: np.ndarray
    title: str
    programs: tuple[int, ...]
    path: str

    @property
    def instruments(self) -> list[str]:
        """The families playing, in track order, e.g. ``["voice", "strings", "strings"]``."""
        return [FAMILY_OF_PROGRAM[p].name if p in FAMILY_OF_PROGRAM else f"program {p}" for p in self.programs]


class MultiInstrumentDataset:
    """The embedded multi-instrument set: whole renditions, and random 2-s training windows.

    Used by: hw5_basic_pitch (training, validation, evaluation of NMP).

    Attributes:
        sample_rate: 22050 (Hz); hop_length: 256 (samples per label frame); frame_rate:
            ``sample_rate / hop_length`` = 86.13 frames per second.
        window_samples: 43844 (``course.cqt.AUDIO_N_SAMPLES``); window_frames: 172
            (``course.cqt.ANNOT_N_FRAMES``).
        rows: the csv rows of the split (MAESTRO's columns).
    """

    sample_rate = SAMPLE_RATE
    hop_length = HOP_LENGTH
    frame_rate = FRAME_RATE
    window_samples = WINDOW_SAMPLES
    window_frames = WINDOW_FRAMES

    def __init__(self, root: str | os.PathLike | None = None, split: str = "train", seed: int = 0, cache: bool = True):
        """
        Args:
            root: the set's folder; by default the current profile's (``data/<profile>/multi``).
            split: ``"train"``, ``"validation"`` or ``"test"``.
            seed: seeds :meth:`random_windows`.
            cache: decode every rendition now and keep it in memory (the embedded set is small).

        Raises:
            FileNotFoundError: the set is missing or incomplete, or a listed file is missing
                (the message gives the command that builds it).
            ValueError: an unknown or empty split.
        """
        from data_scripts.maestro import IncompleteDatasetError, read_metadata

        self.root = pathlib.Path(root) if root is not None else dataset_dir(DATASET_NAME)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")
        if is_partial_name(self.root) or (self.root / INCOMPLETE_MARKER).exists() or (
            self.root.is_dir() and any(self.root.iterdir()) and not (self.root / MANIFEST_NAME).is_file()
        ):
            raise IncompleteDatasetError(
                f"{self.root} is a multi-instrument set whose build has not finished (or crashed): "
                f"its files may be missing or half written, so it is not read. Rebuild it: "
                f"{_build_command(self.root)}"
            )
        if not (self.root / CSV_NAME).is_file():
            raise FileNotFoundError(
                f"No multi-instrument set at {self.root} (expected {CSV_NAME} and manifest.json "
                f"there). Build it: python -m data_scripts build --profile <ci|cpu|gpu> (or "
                f"`bash run.sh data`), or {_build_command(self.root)}"
            )
        self.rows = [r for r in read_metadata(self.root) if r["split"] == split]
        if not self.rows:
            raise ValueError(
                f"{self.root} has no renditions in split {split!r}. Rebuild it: {_build_command(self.root)}"
            )
        for row in self.rows:  # fail now, not in the middle of an epoch
            for name in (row["audio_filename"], row["midi_filename"], self._labels_name(row)):
                if not (self.root / name).is_file():
                    raise FileNotFoundError(
                        f"{self.root / name} is missing from the multi-instrument set (listed in "
                        f"{CSV_NAME}). Rebuild it: {_build_command(self.root)}"
                    )
        self.split = split
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._pieces = [self._decode(i) for i in range(len(self.rows))] if cache else None

    @staticmethod
    def _labels_name(row: dict) -> str:
        return row["audio_filename"][: -len(".wav")] + ".npz"

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> MultiPiece:
        return self.piece(index)

    def _decode(self, index: int) -> MultiPiece:
        from course.audio import load_audio
        from data_scripts.maestro import load_notes

        row = self.rows[index]
        audio_path = self.root / row["audio_filename"]
        audio, _ = load_audio(audio_path, SAMPLE_RATE, mono=True)  # names the file on error
        audio = np.asarray(audio, np.float32)
        with np.load(self.root / self._labels_name(row)) as z:
            labels = {k: z[k] for k in ("contour", "note", "onset", "programs")}
        n_frames = n_frames_for_samples(len(audio))
        if labels["contour"].shape != (n_frames, N_CONTOUR_BINS) or labels["note"].shape != (n_frames, N_KEYS):
            raise ValueError(
                f"{self.root / self._labels_name(row)} holds labels of {labels['note'].shape[0]} frames but "
                f"its audio ({len(audio)} samples) has {n_frames}: the set is corrupt or from another "
                f"builder. Rebuild it: {_build_command(self.root)}"
            )
        return MultiPiece(
            audio=audio,
            notes=load_notes(self.root / row["midi_filename"], sustain=False),
            contour=labels["contour"].astype(np.float32),
            note=labels["note"].astype(np.float32),
            onset=labels["onset"].astype(np.float32),
            title=row["canonical_title"],
            programs=tuple(int(p) for p in labels["programs"]),
            path=str(audio_path),
        )

    def piece(self, index: int) -> MultiPiece:
        """Rendition ``index`` of the split, whole (audio, notes, labels, title, programs)."""
        return self._pieces[index] if self._pieces is not None else self._decode(index)

    def window(self, index: int, start_frame: int) -> dict:
        """The 2-s window of rendition ``index`` that starts at label frame ``start_frame``.

        Args:
            index: the rendition.
            start_frame: first label frame; the audio starts at sample ``256 * start_frame``.
                Past the end, audio and labels are zero-padded.

        Returns:
            ``{"audio": (43844,), "contour": (172, 264), "note": (172, 88), "onset": (172, 88)}``
            float32 torch tensors, plus ``"index"`` and ``"start_frame"``. CQT frame ``t`` of the
            window's audio (``course.cqt.BasicPitchCQT``) is label frame ``t``.
        """
        import torch

        piece = self.piece(index)
        if start_frame < 0:
            raise ValueError(f"start_frame must be >= 0; got {start_frame}.")
        first = start_frame * HOP_LENGTH
        audio = np.zeros(WINDOW_SAMPLES, np.float32)
        chunk = piece.audio[first : first + WINDOW_SAMPLES]
        audio[: len(chunk)] = chunk
        item = {"audio": torch.from_numpy(audio)}
        for key in ("contour", "note", "onset"):
            labels = np.zeros((WINDOW_FRAMES, getattr(piece, key).shape[1]), np.float32)
            part = getattr(piece, key)[start_frame : start_frame + WINDOW_FRAMES]
            labels[: len(part)] = part
            item[key] = torch.from_numpy(labels)
        item.update(index=index, start_frame=start_frame)
        return item

    def random_windows(self, batch_size: int, rng: np.random.Generator | None = None) -> dict:
        """A batch of random 2-s windows with their labels, for training.

        Each window picks a rendition with probability proportional to its length, then a start
        frame uniformly among those whose window fits (0 for a rendition shorter than a window).

        Args:
            batch_size: windows wanted.
            rng: the generator; by default the dataset's own, seeded with ``seed``, so the same
                calls in the same order give the same windows.

        Returns:
            ``{"audio": (B, 43844), "contour": (B, 172, 264), "note": (B, 172, 88),
            "onset": (B, 172, 88)}`` float32 tensors, plus ``"index"`` and ``"start_frame"``
            ``(B,)`` int64 tensors.
        """
        import torch

        rng = self._rng if rng is None else rng
        starts = np.array([max(0, len(self.piece(i).note) - WINDOW_FRAMES) + 1 for i in range(len(self))])
        items = []
        for _ in range(batch_size):
            index = int(rng.choice(len(self), p=starts / starts.sum()))
            items.append(self.window(index, int(rng.integers(starts[index]))))
        batch = {k: torch.stack([it[k] for it in items]) for k in ("audio", "contour", "note", "onset")}
        batch.update({k: torch.tensor([it[k] for it in items]) for k in ("index", "start_frame")})
        return batch


def main(argv: list[str] | None = None) -> None:
    piano.command_line(MULTI, "Build the embedded multi-instrument set (hw5_basic_pitch).", argv)


if __name__ == "__main__":
    main(sys.argv[1:])
