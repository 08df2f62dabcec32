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

Used by: hw4_transcription and the hw5 problem set (through ``data_scripts.maestro``).
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


def choose_pieces(n_train: int, n_validation: int, n_test: int, seed: int = 0) -> dict[str, list[Piece]]:
    """Pick each split's pieces from a seeded shuffle of :func:`corpus_pieces`.

    Args:
        n_train, n_validation, n_test: pieces wanted per split.
        seed: the shuffle's seed.

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
                f"for it ({len(pieces)} pieces in all). Lower the profile's piano sizes "
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
    """

    onsets: np.ndarray
    durations: np.ndarray
    pitches: np.ndarray
    beat_strengths: np.ndarray


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
    for part in score.parts:
        for n in part.recurse().notes:
            duration = float(n.quarterLength)
            if duration <= 0:
                continue
            onset = float(n.getOffsetInHierarchy(part))
            strength = float(n.beatStrength)
            rows.extend((onset, duration, p.midi, strength) for p in n.pitches)
    if not rows:
        raise ValueError(f"The score {corpus_path} has no notes; remove it from the sources.")
    rows.sort()  # deterministic order, whatever the part order
    a = np.array(rows, dtype=np.float64)
    return ScoreNotes(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3])


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
    pitches = score.pitches + transpose
    pitches = np.where(pitches < MIN_MIDI, pitches + 12 * ((MIN_MIDI - pitches + 11) // 12), pitches)
    pitches = np.where(pitches > MAX_MIDI, pitches - 12 * ((pitches - MAX_MIDI + 11) // 12), pitches)

    # Doubled voices (two parts on one key at one time) are one key press: keep the longer note.
    onsets, durations, strengths = score.onsets, score.durations, score.beat_strengths
    order = np.lexsort((-durations, onsets, pitches))
    keep = np.ones(len(order), bool)
    keep[1:] = (pitches[order][1:] != pitches[order][:-1]) | (onsets[order][1:] != onsets[order][:-1])
    idx = np.sort(order[keep])
    pitches, onsets, durations, strengths = pitches[idx], onsets[idx], durations[idx], strengths[idx]
    ends = _end_at_next_onset(onsets, onsets + durations, pitches, gap=0.0)

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
    off_s = _end_at_next_onset(on_s, off_s, pitches, gap=RESTRIKE_GAP_S)

    # Cut after max_seconds and put every time on the MIDI tick grid.
    inside = on_s < max_seconds
    on_s, off_s = on_s[inside], np.minimum(off_s[inside], max_seconds)
    pitches, velocity = pitches[inside], velocity[inside]
    on_s = np.round(on_s * TICKS_PER_SECOND) / TICKS_PER_SECOND
    off_s = np.round(off_s * TICKS_PER_SECOND) / TICKS_PER_SECOND
    long_enough = off_s - on_s >= MIN_NOTE_S
    return Notes(
        np.stack([on_s, off_s], axis=1)[long_enough], pitches[long_enough], velocity[long_enough]
    )


def rendition_rng(seed: int, piece_index: int, rendition: int) -> np.random.Generator:
    """The random generator of one rendition: depends on nothing else, so any worker can make it."""
    return np.random.default_rng([seed, piece_index, rendition])


@dataclasses.dataclass(frozen=True)
class _Task:
    piece: Piece
    split: str
    n_renditions: int
    seed: int
    max_seconds: float
    out_dir: str


def _render_piece(task: _Task) -> list[dict]:
    """Render every rendition of one piece; returns their csv rows (plus note counts)."""
    import pretty_midi
    import soundfile as sf

    score = read_score(task.piece.corpus_path)
    rows = []
    for r in range(task.n_renditions):
        rng = rendition_rng(task.seed, task.piece.index, r)
        transpose = int(rng.integers(-TRANSPOSE_SEMITONES, TRANSPOSE_SEMITONES + 1))
        if task.split != "train" and r == 0:
            transpose = 0  # evaluate on the pieces as written
        notes = perform(score, rng, transpose, task.max_seconds)
        stem = f"{YEAR}/{task.piece.slug}_r{r}"
        midi_path = pathlib.Path(task.out_dir) / f"{stem}.midi"
        wav_path = pathlib.Path(task.out_dir) / f"{stem}.wav"
        midi_path.parent.mkdir(parents=True, exist_ok=True)
        notes.to_pretty_midi(program=0).write(str(midi_path))
        # Render what the file holds, so the audio and the labels (read from the file) agree.
        written = pretty_midi.PrettyMIDI(str(midi_path))
        audio = synthesize(written, SAMPLE_RATE)
        # soundfile directly, not course.audio.save_audio: that would import torch in every
        # worker, and 16-bit PCM WAV has no time-stamped PEAK chunk to scrub.
        sf.write(str(wav_path), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        rows.append(
            {
                "canonical_composer": task.piece.composer,
                "canonical_title": task.piece.title,
                "split": task.split,
                "year": YEAR,
                "midi_filename": f"{stem}.midi",
                "audio_filename": f"{stem}.wav",
                "duration": round(len(audio) / SAMPLE_RATE, 6),
                "n_notes": len(notes),
            }
        )
    return rows


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


def _write_manifest(out: pathlib.Path, profile: str, seed: int, sizes: dict, stats: dict) -> None:
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name not in (MANIFEST_NAME, INCOMPLETE_MARKER):
            files[path.relative_to(out).as_posix()] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    manifest = {
        "dataset": DATASET_NAME,
        "profile": profile,
        "seed": seed,
        "builder_version": BUILDER_VERSION,
        "sample_rate": SAMPLE_RATE,
        "sizes": sizes,
        "stats": stats,
        "files": files,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _same_build(root: pathlib.Path, profile: str, seed: int) -> bool:
    manifest = read_manifest(root)
    return (
        manifest.get("dataset") == DATASET_NAME
        and manifest.get("profile") == profile
        and manifest.get("seed") == seed
        and manifest.get("builder_version") == BUILDER_VERSION
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


def _render_all(tasks: list[_Task], workers: int) -> list[list[dict]]:
    """Every task's rows, in task order, rendered by ``workers`` processes."""
    if workers > 1:
        # spawn, not fork: a process forked while another thread holds a lock (torch's thread
        # pool after any tensor op, in a notebook or pytest) can wait on that lock forever.
        # The executor, unlike multiprocessing.Pool, raises when a worker cannot start (e.g. the
        # caller's main module cannot be re-imported, as with `python -`) instead of hanging.
        context = multiprocessing.get_context("spawn")
        try:
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                return list(pool.map(_render_piece, tasks, chunksize=1))
        except concurrent.futures.BrokenExecutor as e:
            print(f"data_scripts.piano: worker processes failed ({e}); rendering in this process.", file=sys.stderr)
    return [_render_piece(t) for t in tasks]


def build_piano_dataset(
    root: str | os.PathLike | None = None,
    profile_name: str | None = None,
    seed: int = 0,
    force: bool = False,
    workers: int | None = None,
) -> pathlib.Path:
    """Build the embedded piano set (or find it already built).

    Args:
        root: destination folder; by default ``data_root()/<profile>/piano``.
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
    root = pathlib.Path(root) if root is not None else dataset_dir(DATASET_NAME, profile.name)
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()  # an empty folder holds nothing worth keeping
    if root.exists() and not force:
        if is_complete(root) and _same_build(root, profile.name, seed):
            return root
        what = read_manifest(root) if is_complete(root) else None
        if what and (what.get("dataset"), what.get("profile"), what.get("seed")) == (DATASET_NAME, profile.name, seed):
            # only the builder changed since: this set is stale, and rebuilding it is what set-up means
            print(f"{root} was built by builder version {what.get('builder_version')}; rebuilding it "
                  f"with version {BUILDER_VERSION}", file=sys.stderr)
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
            f"version {BUILDER_VERSION}. Rebuild it with --force (force=True), or pass another --root."
        )
    check_fluidsynth()  # fail before any work, with the install instructions

    sizes = profile.piano
    chosen = choose_pieces(sizes.n_train_pieces, sizes.n_validation_pieces, sizes.n_test_pieces, seed)
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
        results = _render_all(tasks, workers)
        rows = sorted((row for rs in results for row in rs), key=lambda r: (SPLITS.index(r["split"]), r["midi_filename"]))
        _write_metadata(partial, rows)
        (partial / INCOMPLETE_MARKER).unlink()
        _write_manifest(partial, profile.name, seed, dataclasses.asdict(sizes), _stats(rows))
        _move_into_place(partial, root, profile.name, seed)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return root


def _move_into_place(partial: pathlib.Path, root: pathlib.Path, profile: str, seed: int) -> None:
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
        if is_complete(root) and _same_build(root, profile, seed):
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
    return f"piano ({manifest['profile']}, seed {manifest['seed']}): {total:.2f} h -- {parts}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the embedded piano transcription set (MAESTRO layout).")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default=None, help="sizes (default: COURSE_PROFILE or the machine's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if a complete set is there")
    parser.add_argument("--root", default=None, help="destination (default: data/<profile>/piano)")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: the profile's)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    root = build_piano_dataset(args.root, args.profile, args.seed, args.force, args.workers)
    print(f"{summary(root)}; {time.perf_counter() - start:.1f} s -> {root}")


if __name__ == "__main__":
    main(sys.argv[1:])
