"""Build the embedded piano transcription set: corpus scores rendered as piano performances.

No download: the pieces are scores from music21's bundled corpus (400 Bach works, nearly all
four-part chorales, and 48 Monteverdi madrigals; every voice played on one piano), each played
by a simulated pianist -- a random tempo, transposition, dynamics, accents and slightly uneven
timing -- and rendered to audio with FluidSynth. The labels are exactly the notes of the MIDI files written, so unlike a recording
the ground truth is perfect.

The set is stored in MAESTRO v3's layout, so one loader (:mod:`data_scripts.maestro`) reads
both this set and a real MAESTRO download::

    <root>/maestro-v3.0.0.csv       canonical_composer, canonical_title, split, year,
    <root>/maestro-v3.0.0.json          midi_filename, audio_filename, duration
    <root>/2026/bach_bwv1.6_r0.midi  one piano track (program 0), no pedal
    <root>/2026/bach_bwv1.6_r0.wav   16 kHz mono PCM_16
    <root>/manifest.json            profile, seed, builder version, sha256 of every file

Splits are by piece: all renditions of a piece are in one split. Sizes come from the profile
(``course.profiles``: ``P.piano``). The same seed gives byte-identical files, whatever the
number of worker processes.

Command line::

    python -m data_scripts.piano --profile cpu [--seed 0] [--force] [--root PATH]

Used by: hw4_transcription and the hw5 problem set (through ``data_scripts.maestro``), and
``data_scripts.multi`` (hw5_basic_pitch), which shares its corpus, pools, performer
(:func:`perform_parts`) and build machinery (:func:`build_dataset` with a :class:`DatasetSpec`).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import dataclasses
import hashlib
import io
import json
import multiprocessing
import os
import pathlib
import re
import shutil
import sys
import time
from typing import Callable

import numpy as np

from course.notes import MAX_MIDI, MIN_MIDI, Notes, check_fluidsynth, synthesize
from course.profiles import PROFILE_NAMES, current
from data_scripts.paths import (
    COLUMNS,
    CSV_NAME,
    INCOMPLETE_MARKER,
    JSON_NAME,
    MANIFEST_NAME,
    SPLITS,
    dataset_dir,
    is_complete,
    is_partial_name,
    read_manifest,
)

# Bump whenever a change alters the files built: a complete set of another version is rebuilt.
BUILDER_VERSION = 2
DATASET_NAME = "piano"
SAMPLE_RATE = 16000
YEAR = 2026  # MAESTRO groups files by recording year; the embedded set has one "year" folder

# Corpus sources: (music21 composer folder, file suffix, composer's name in the csv, file prefix).
_SOURCES = (
    ("bach", ".mxl", "Johann Sebastian Bach", "bach"),
    ("monteverdi", ".mxl", "Claudio Monteverdi", "monteverdi"),
)
# Every 10th piece of the shuffled list goes to test, the next to validation, the rest to train:
# the ci set's pieces are then a subset of the cpu set's, which are a subset of the gpu set's,
# so a model trained on a smaller profile never saw a larger profile's test pieces.
_POOL_PERIOD = 10

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


@dataclasses.dataclass(frozen=True)
class Piece:
    """One score of the corpus.

    Attributes:
        index: position in :func:`corpus_pieces` (fixed; it seeds the piece's renditions).
        composer: the composer's full name (csv ``canonical_composer``).
        title: the piece's title (csv ``canonical_title``), e.g. ``"BWV 1.6"``.
        corpus_path: path inside music21's corpus folder, e.g. ``"bach/bwv1.6.mxl"``.
        slug: file-name stem, e.g. ``"bach_bwv1.6"``.
    """

    index: int
    composer: str
    title: str
    corpus_path: str
    slug: str


def _title(folder: str, stem: str) -> str:
    if folder == "bach" and stem.startswith("bwv"):
        return "BWV " + stem[3:]
    if folder == "monteverdi" and stem.startswith("madrigal."):
        book, _, number = stem[len("madrigal."):].partition(".")
        return f"Madrigal, Book {book} No. {number}"
    return stem


def corpus_pieces() -> list[Piece]:
    """Every candidate piece of music21's corpus, in a fixed order.

    Versions of one piece (``bwv18.5-lz`` and ``bwv18.5-w``, the ``-sc``/``-inst``/``_old``
    variants) are kept once, the first by name, so no piece can land in two splits.

    Returns:
        The pieces sorted by source and file name; ``Piece.index`` is the position in this list.
    """
    from music21 import common, corpus

    corpus_dir = pathlib.Path(common.getCorpusFilePath())
    pieces, seen = [], set()
    for folder, suffix, composer, prefix in _SOURCES:
        paths = sorted(
            (p for p in corpus.getComposer(folder) if p.suffix == suffix),
            key=lambda p: p.name,
        )
        for path in paths:
            stem = path.name[: -len(suffix)]
            # "bwv18.5-lz" and "bwv18.5-w", "madrigal.3.1" and "madrigal.3.1_old" are one work.
            work = (folder, re.split(r"[-_]", stem)[0])
            if work in seen:
                continue
            seen.add(work)
            pieces.append(
                Piece(
                    index=len(pieces),
                    composer=composer,
                    title=_title(folder, stem),
                    corpus_path=path.relative_to(corpus_dir).as_posix(),
                    slug=f"{prefix}_{stem}",
                )
            )
    return pieces


def choose_pieces(
    n_train: int, n_validation: int, n_test: int, seed: int = 0, sizes_name: str = "piano"
) -> dict[str, list[Piece]]:
    """Pick each split's pieces from a seeded shuffle of :func:`corpus_pieces`.

    Args:
        n_train, n_validation, n_test: pieces wanted per split.
        seed: the shuffle's seed. Every set built with one seed shares the pools: a piece in
            the piano set's test pool is never in the multi-instrument set's training split.
        sizes_name: the profile's sizes being served (``piano``, ``multi``), for the error.

    Returns:
        ``{"train": [...], "validation": [...], "test": [...]}``, each sorted by ``Piece.index``;
        no piece is in two splits.

    Raises:
        ValueError: when the corpus has too few pieces for a split.
    """
    pieces = corpus_pieces()
    order = np.random.default_rng(seed).permutation(len(pieces))
    pools = {"test": [], "validation": [], "train": []}
    for position, i in enumerate(order):
        slot = position % _POOL_PERIOD
        pools["test" if slot == 0 else "validation" if slot == 1 else "train"].append(pieces[i])
    wanted = {"train": n_train, "validation": n_validation, "test": n_test}
    for split, n in wanted.items():
        if n > len(pools[split]):
            raise ValueError(
                f"The {split} split wants {n} pieces but the corpus offers {len(pools[split])} "
                f"for it ({len(pieces)} pieces in all). Lower the profile's {sizes_name} sizes "
                "(course/profiles.py) or add a corpus source to _SOURCES in data_scripts/piano.py."
            )
    return {split: sorted(pools[split][: wanted[split]], key=lambda p: p.index) for split in SPLITS}


@dataclasses.dataclass
class ScoreNotes:
    """The notes of a score in quarter lengths, all parts merged (before any rendition).

    Attributes:
        onsets: ``(N,)`` onsets in quarter notes from the start.
        durations: ``(N,)`` durations in quarter notes (ties merged), all > 0.
        pitches: ``(N,)`` sounding MIDI pitches.
        beat_strengths: ``(N,)`` music21's metrical weight of each onset: 1 on a downbeat,
            0.5 / 0.25 / ... on weaker beats.
        parts: ``(N,)`` index of the note's part in the score (0 = the first, usually the top
            voice); :func:`perform_parts` gives each part an instrument of its own.
    """

    onsets: np.ndarray
    durations: np.ndarray
    pitches: np.ndarray
    beat_strengths: np.ndarray
    parts: np.ndarray


def read_score(corpus_path: str) -> ScoreNotes:
    """Every note of a corpus score: ties merged, transposing instruments at sounding pitch.

    Args:
        corpus_path: path inside music21's corpus (``Piece.corpus_path``).

    Returns:
        The notes of all parts; grace notes (zero duration) are dropped.
    """
    from music21 import common, converter

    path = pathlib.Path(common.getCorpusFilePath()) / corpus_path
    # forceSource/storePickle: read the file itself and write no cache, so builds depend on the
    # corpus file only.
    score = converter.parse(path, forceSource=True, storePickle=False)
    # In place: copying a score costs more than parsing it.
    score.toSoundingPitch(inPlace=True)  # a horn part is notated a fifth above where it sounds
    score.stripTies(inPlace=True)  # one note per sounded key, not one per tied notehead
    rows = []
    for part_index, part in enumerate(score.parts):
        for n in part.recurse().notes:
            duration = float(n.quarterLength)
            if duration <= 0:
                continue
            onset = float(n.getOffsetInHierarchy(part))
            strength = float(n.beatStrength)
            rows.extend((onset, duration, p.midi, strength, part_index) for p in n.pitches)
    if not rows:
        raise ValueError(f"The score {corpus_path} has no notes; remove it from the sources.")
    # Deterministic order, whatever the part order. The part comes last: rows equal in the first
    # four columns (two parts in unison) stay in the order the piano set was built with.
    rows.sort()
    a = np.array(rows, dtype=np.float64)
    return ScoreNotes(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3], a[:, 4].astype(np.int64))


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


def rendition_rng(seed: int, piece_index: int, rendition: int) -> np.random.Generator:
    """The random generator of one rendition: depends on nothing else, so any worker can make it."""
    return np.random.default_rng([seed, piece_index, rendition])


@dataclasses.dataclass(frozen=True)
class _Task:
    """One piece to render (in a worker process): all its renditions."""

    piece: Piece
    split: str
    n_renditions: int
    seed: int
    max_seconds: float
    out_dir: str


def start_rendition(task: _Task, r: int) -> tuple[np.random.Generator, int, str]:
    """The generator, transposition and file stem of rendition ``r`` of a task's piece.

    Returns:
        ``(rng, transpose, stem)``: ``rng`` has drawn the transposition (-4..+4 semitones; 0
        for the first rendition of a validation or test piece, evaluated as written); ``stem``
        is ``"<year>/<slug>_r<r>"``, relative to the set's folder.
    """
    rng = rendition_rng(task.seed, task.piece.index, r)
    transpose = int(rng.integers(-TRANSPOSE_SEMITONES, TRANSPOSE_SEMITONES + 1))
    if task.split != "train" and r == 0:
        transpose = 0  # evaluate on the pieces as written
    return rng, transpose, f"{YEAR}/{task.piece.slug}_r{r}"


def write_rendition(pm, out_dir: str, stem: str, sample_rate: int):
    """Write ``<stem>.midi`` and its FluidSynth rendering ``<stem>.wav`` (mono PCM_16, peak 0.9).

    The audio is rendered from the file as written and read back, so that the audio and every
    label read from the file agree to the MIDI tick.

    Args:
        pm: the rendition's ``pretty_midi.PrettyMIDI``.
        out_dir: the set's folder (being built).
        stem: ``"<year>/<name>"``, relative to ``out_dir``.
        sample_rate: the audio's rate in Hz.

    Returns:
        ``(written, audio)``: the MIDI as read back, and ``(N,)`` float32 audio as rendered
        (before 16-bit quantisation).
    """
    import pretty_midi
    import soundfile as sf

    midi_path = pathlib.Path(out_dir) / f"{stem}.midi"
    wav_path = pathlib.Path(out_dir) / f"{stem}.wav"
    midi_path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(midi_path))
    written = pretty_midi.PrettyMIDI(str(midi_path))
    audio = synthesize(written, sample_rate)
    # soundfile directly, not course.audio.save_audio: that would import torch in every
    # worker, and 16-bit PCM WAV has no time-stamped PEAK chunk to scrub.
    sf.write(str(wav_path), audio, sample_rate, subtype="PCM_16", format="WAV")
    return written, audio


def metadata_row(task: _Task, stem: str, n_samples: int, sample_rate: int, n_notes: int) -> dict:
    """A rendition's csv row (MAESTRO's columns) plus its note count (for the manifest's stats)."""
    return {
        "canonical_composer": task.piece.composer,
        "canonical_title": task.piece.title,
        "split": task.split,
        "year": YEAR,
        "midi_filename": f"{stem}.midi",
        "audio_filename": f"{stem}.wav",
        "duration": round(n_samples / sample_rate, 6),
        "n_notes": n_notes,
    }


def _render_piece(task: _Task) -> list[dict]:
    """Render every rendition of one piece; returns their csv rows (plus note counts)."""
    score = read_score(task.piece.corpus_path)
    rows = []
    for r in range(task.n_renditions):
        rng, transpose, stem = start_rendition(task, r)
        notes = perform(score, rng, transpose, task.max_seconds)
        _, audio = write_rendition(notes.to_pretty_midi(program=0), task.out_dir, stem, SAMPLE_RATE)
        rows.append(metadata_row(task, stem, len(audio), SAMPLE_RATE, len(notes)))
    return rows


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What distinguishes one corpus-rendered set from another for :func:`build_dataset`.

    Attributes:
        name: folder name, the manifest's ``dataset`` and the profile's sizes field
            (``course.profiles.Profile.<name>``), e.g. ``"piano"``.
        builder_version: bump it whenever the files built change: a complete set of another
            version is rebuilt.
        sample_rate: the audio's rate in Hz (recorded in the manifest).
        render_piece: renders every rendition of a :class:`_Task`'s piece into its ``out_dir``
            and returns their csv rows (:func:`metadata_row`). Module-level, so that spawned
            workers can import it.
    """

    name: str
    builder_version: int
    sample_rate: int
    render_piece: Callable[[_Task], list[dict]]


PIANO = DatasetSpec(DATASET_NAME, BUILDER_VERSION, SAMPLE_RATE, _render_piece)


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_metadata(out: pathlib.Path, rows: list[dict]) -> None:
    """MAESTRO's csv and its column-oriented json (``{"column": {"0": value, ...}}``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    (out / CSV_NAME).write_text(buffer.getvalue())
    columns = {c: {str(i): row[c] for i, row in enumerate(rows)} for c in COLUMNS}
    (out / JSON_NAME).write_text(json.dumps(columns, indent=1) + "\n")


def _stats(rows: list[dict]) -> dict:
    stats = {}
    for split in SPLITS:
        mine = [r for r in rows if r["split"] == split]
        stats[split] = {
            "pieces": len({r["canonical_title"] for r in mine}),
            "renditions": len(mine),
            "hours": round(sum(r["duration"] for r in mine) / 3600, 4),
            "notes": sum(r["n_notes"] for r in mine),
        }
    return stats


def _write_manifest(out: pathlib.Path, profile: str, seed: int, sizes: dict, stats: dict, spec: "DatasetSpec") -> None:
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name not in (MANIFEST_NAME, INCOMPLETE_MARKER):
            files[path.relative_to(out).as_posix()] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    manifest = {
        "dataset": spec.name,
        "profile": profile,
        "seed": seed,
        "builder_version": spec.builder_version,
        "sample_rate": spec.sample_rate,
        "sizes": sizes,
        "stats": stats,
        "files": files,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _same_build(root: pathlib.Path, profile: str, seed: int, spec: "DatasetSpec") -> bool:
    manifest = read_manifest(root)
    return (
        manifest.get("dataset") == spec.name
        and manifest.get("profile") == profile
        and manifest.get("seed") == seed
        and manifest.get("builder_version") == spec.builder_version
    )


def _remove_stale_partials(root: pathlib.Path) -> None:
    """Delete ``<root>.partial-<pid>`` folders left by builds whose process is gone."""
    if os.name != "posix" or not root.parent.exists():
        return  # probing a pid with signal 0 is POSIX-only
    for partial in root.parent.glob(root.name + ".partial-*"):
        if not is_partial_name(partial):
            continue
        pid = int(partial.name.rsplit("-", 1)[1])
        try:
            os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
        except ProcessLookupError:
            shutil.rmtree(partial, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process


def _render_all(tasks: list[_Task], workers: int, render: Callable[[_Task], list[dict]]) -> list[list[dict]]:
    """Every task's rows, in task order, rendered by ``render`` in ``workers`` fresh processes.

    Always in fresh processes, even for one worker: FluidSynth's output depends in its last bits
    on the state of the process that renders (floating-point modes other libraries may set), and
    a test run showed an in-process render, after the hw5 augmentation tests had run in the same
    process, differing from a render in a fresh one. A fresh process makes the bytes depend on
    the MIDI and the seed only.
    """
    # spawn, not fork: a process forked while another thread holds a lock (torch's thread
    # pool after any tensor op, in a notebook or pytest) can wait on that lock forever.
    # The executor, unlike multiprocessing.Pool, raises when a worker cannot start (e.g. the
    # caller's main module cannot be re-imported, as with `python -`) instead of hanging.
    context = multiprocessing.get_context("spawn")
    try:
        with concurrent.futures.ProcessPoolExecutor(max(1, workers), mp_context=context) as pool:
            return list(pool.map(render, tasks, chunksize=1))
    except concurrent.futures.BrokenExecutor as e:
        print(f"{render.__module__}: worker processes failed ({e}); rendering in this process.", file=sys.stderr)
    return [render(t) for t in tasks]


def build_piano_dataset(
    root: str | os.PathLike | None = None,
    profile_name: str | None = None,
    seed: int = 0,
    force: bool = False,
    workers: int | None = None,
) -> pathlib.Path:
    """Build the embedded piano set (or find it already built): :func:`build_dataset` of :data:`PIANO`.

    Args and returns as :func:`build_dataset`; the default ``root`` is ``data/<profile>/piano``.
    """
    return build_dataset(PIANO, root, profile_name, seed, force, workers)


def build_dataset(
    spec: "DatasetSpec",
    root: str | os.PathLike | None = None,
    profile_name: str | None = None,
    seed: int = 0,
    force: bool = False,
    workers: int | None = None,
) -> pathlib.Path:
    """Build an embedded set rendered from the corpus (or find it already built).

    The folder is written as ``<root>.partial-<pid>`` and renamed to ``root`` once its last
    file, ``manifest.json``, is written; a crash leaves nothing that could be read as complete.

    Args:
        spec: which set (:data:`PIANO`, ``data_scripts.multi.MULTI``).
        root: destination folder; by default ``data_root()/<profile>/<spec.name>``.
        profile_name: ``ci``, ``cpu`` or ``gpu`` (sizes from ``course.profiles``); by default
            the current profile.
        seed: chooses the pieces and every rendition's tempo, transposition and dynamics.
        force: rebuild even where ``root`` already holds a complete set, replacing it.
        workers: rendering processes; by default the profile's ``num_workers``. The files do
            not depend on it.

    Returns:
        ``root``, holding a complete set. Returns at once when ``root`` already holds the set
        for this profile, seed and builder version.

    Raises:
        FileExistsError: ``root`` holds something else (another profile or seed, or an
            unfinished folder) and ``force`` is False.
        RuntimeError: FluidSynth is missing.
    """
    profile = current(profile_name)
    root = pathlib.Path(root) if root is not None else dataset_dir(spec.name, profile.name)
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()  # an empty folder holds nothing worth keeping
    if root.exists() and not force:
        if is_complete(root) and _same_build(root, profile.name, seed, spec):
            return root
        what = read_manifest(root) if is_complete(root) else None
        if what and (what.get("dataset"), what.get("profile"), what.get("seed")) == (spec.name, profile.name, seed):
            # only the builder changed since: this set is stale, and rebuilding it is what set-up means
            print(f"{root} was built by builder version {what.get('builder_version')}; rebuilding it "
                  f"with version {spec.builder_version}", file=sys.stderr)
            force = True
        held = (
            f"the {what.get('dataset')} set of profile {what.get('profile')}, seed {what.get('seed')}, "
            f"builder version {what.get('builder_version')}"
            if what
            else "files but no manifest.json (an unfinished or foreign folder)"
        )
    if root.exists() and not force:
        raise FileExistsError(
            f"{root} already holds {held}; wanted profile {profile.name}, seed {seed}, builder "
            f"version {spec.builder_version}. Rebuild it with --force (force=True), or pass another --root."
        )
    check_fluidsynth()  # fail before any work, with the install instructions

    sizes = getattr(profile, spec.name)
    chosen = choose_pieces(sizes.n_train_pieces, sizes.n_validation_pieces, sizes.n_test_pieces, seed, spec.name)
    _remove_stale_partials(root)
    partial = root.with_name(f"{root.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    (partial / INCOMPLETE_MARKER).touch()
    try:
        tasks = [
            _Task(piece, split, sizes.train_renditions if split == "train" else 1, seed, sizes.max_seconds, str(partial))
            for split in SPLITS
            for piece in chosen[split]
        ]
        workers = max(1, min(workers or profile.num_workers, os.cpu_count() or 1, len(tasks)))
        results = _render_all(tasks, workers, spec.render_piece)
        rows = sorted((row for rs in results for row in rs), key=lambda r: (SPLITS.index(r["split"]), r["midi_filename"]))
        _write_metadata(partial, rows)
        (partial / INCOMPLETE_MARKER).unlink()
        _write_manifest(partial, profile.name, seed, dataclasses.asdict(sizes), _stats(rows), spec)
        _move_into_place(partial, root, profile.name, seed, spec)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return root


def _move_into_place(partial: pathlib.Path, root: pathlib.Path, profile: str, seed: int, spec: "DatasetSpec") -> None:
    """Rename the finished ``partial`` to ``root``, replacing an old ``root`` (only reached with force)."""
    old = None
    if root.exists():
        old = root.with_name(f"{root.name}.old-{os.getpid()}")
        os.rename(root, old)
    try:
        os.rename(partial, root)
    except OSError:
        if old is not None and not root.exists():
            os.rename(old, root)  # put the previous set back rather than leave nothing
            old = None
        # Another build finished first: keep its set if it is the one we wanted.
        if is_complete(root) and _same_build(root, profile, seed, spec):
            shutil.rmtree(partial, ignore_errors=True)
        else:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def summary(root: str | os.PathLike) -> str:
    """One line describing a built set: pieces, renditions, hours and notes per split."""
    manifest = read_manifest(root)
    stats = manifest["stats"]
    parts = ", ".join(
        f"{s} {stats[s]['pieces']} pieces / {stats[s]['renditions']} renditions / "
        f"{stats[s]['hours']:.2f} h / {stats[s]['notes']} notes"
        for s in SPLITS
    )
    total = sum(stats[s]["hours"] for s in SPLITS)
    return f"{manifest['dataset']} ({manifest['profile']}, seed {manifest['seed']}): {total:.2f} h -- {parts}"


def command_line(spec: DatasetSpec, description: str, argv: list[str] | None = None) -> None:
    """``python -m data_scripts.<name> --profile P [--seed S] [--force] [--root R] [--workers W]``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--profile", choices=PROFILE_NAMES, default=None, help="sizes (default: COURSE_PROFILE or the machine's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if a complete set is there")
    parser.add_argument("--root", default=None, help=f"destination (default: data/<profile>/{spec.name})")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: the profile's)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    root = build_dataset(spec, args.root, args.profile, args.seed, args.force, args.workers)
    print(f"{summary(root)}; {time.perf_counter() - start:.1f} s -> {root}")


def main(argv: list[str] | None = None) -> None:
    command_line(PIANO, "Build the embedded piano transcription set (MAESTRO layout).", argv)


if __name__ == "__main__":
    main(sys.argv[1:])
