"""Build machinery of every set rendered from the corpus: renditions in worker processes, a
deterministic folder with a manifest, moved into place only when complete.

A set is a :class:`DatasetSpec`: its name (also the profile's ``P.data.<name>``), builder version,
sample rate, how one piece is rendered and how its metadata is written. :func:`build_dataset`
chooses the pieces (:func:`data_scripts.corpus.choose_pieces`), renders every rendition of every
piece in fresh processes, writes the metadata and the manifest, and renames the folder into place.
The same seed gives byte-identical files, whatever the number of worker processes.

Used by: ``data_scripts.piano``, ``data_scripts.multi``, ``python -m data_scripts build``.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import multiprocessing
import os
import pathlib
import shutil
import sys
import time
from typing import Callable

import numpy as np

from course.notes import check_fluidsynth, synthesize
from course.paths import dataset_dir
from course.profiles import PROFILE_NAMES, current
from data_scripts.corpus import CorpusPiece, choose_pieces
from data_scripts.manifest import (
    INCOMPLETE_MARKER,
    SPLITS,
    is_complete,
    is_partial_name,
    read_manifest,
    write_manifest,
)
from data_scripts.perform import TRANSPOSE_SEMITONES


def rendition_rng(seed: int, piece_index: int, rendition: int) -> np.random.Generator:
    """The random generator of one rendition: depends on nothing else, so any worker can make it."""
    return np.random.default_rng([seed, piece_index, rendition])


@dataclasses.dataclass(frozen=True)
class RenderTask:
    """One piece to render (in a worker process): all its renditions."""

    piece: CorpusPiece
    split: str
    n_renditions: int
    seed: int
    max_seconds: float
    out_dir: str
    folder: str  # sub-folder of the set that holds the renditions (MAESTRO: the "year")


def start_rendition(task: RenderTask, r: int) -> tuple[np.random.Generator, int, str]:
    """The generator, transposition and file stem of rendition ``r`` of a task's piece.

    Returns:
        ``(rng, transpose, stem)``: ``rng`` has drawn the transposition (-4..+4 semitones; 0
        for the first rendition of a validation or test piece, evaluated as written); ``stem``
        is ``"<folder>/<slug>_r<r>"``, relative to the set's folder.
    """
    rng = rendition_rng(task.seed, task.piece.index, r)
    transpose = int(rng.integers(-TRANSPOSE_SEMITONES, TRANSPOSE_SEMITONES + 1))
    if task.split != "train" and r == 0:
        transpose = 0  # evaluate on the pieces as written
    return rng, transpose, f"{task.folder}/{task.piece.slug}_r{r}"


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
    # soundfile directly: 16-bit PCM WAV has no time-stamped PEAK chunk to scrub (save_audio's job).
    sf.write(str(wav_path), audio, sample_rate, subtype="PCM_16", format="WAV")
    return written, audio


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What distinguishes one corpus-rendered set from another for :func:`build_dataset`.

    Attributes:
        name: folder name, the manifest's ``dataset`` and the profile's sizes field
            (``course.profiles.Profile.<name>``), e.g. ``"piano"``.
        builder_version: bump it whenever the files built change: a complete set of another
            version is rebuilt.
        sample_rate: the audio's rate in Hz (recorded in the manifest).
        render_piece: renders every rendition of a :class:`RenderTask`'s piece into its ``out_dir``
            and returns their metadata rows (at least ``split``, ``canonical_title``,
            ``audio_filename``, ``duration`` and ``n_notes``). Module-level, so that spawned
            workers can import it.
        write_metadata: writes the set's metadata files from all rows (its layout's, e.g.
            ``data_scripts.maestro.write_metadata``).
        folder: the sub-folder the renditions go in.
    """

    name: str
    builder_version: int
    sample_rate: int
    render_piece: Callable[[RenderTask], list[dict]]
    write_metadata: Callable[[pathlib.Path, list[dict]], None]
    folder: str

    def build(self, root: str | os.PathLike | None = None, profile_name: str | None = None, seed: int = 0,
              force: bool = False, workers: int | None = None) -> pathlib.Path:
        """Build this set (or find it already built): :func:`build_dataset` of this spec; the
        default ``root`` is ``data/<profile>/<name>``."""
        return build_dataset(self, root, profile_name, seed, force, workers)


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


def _render_all(tasks: list[RenderTask], workers: int, render: Callable[[RenderTask], list[dict]]) -> list[list[dict]]:
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
        spec: which set (``data_scripts.piano.PIANO``, ``data_scripts.multi.MULTI``).
        root: destination folder; by default ``data_root()/<profile>/<spec.name>``.
        profile_name: ``ci``, ``cpu`` or ``gpu`` (sizes: ``P.data.<spec.name>``); by default
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

    sizes = getattr(profile.data, spec.name)
    chosen = choose_pieces(sizes.n_train_pieces, sizes.n_validation_pieces, sizes.n_test_pieces, seed, spec.name)
    _remove_stale_partials(root)
    partial = root.with_name(f"{root.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    (partial / INCOMPLETE_MARKER).touch()
    try:
        tasks = [
            RenderTask(piece, split, sizes.train_renditions if split == "train" else 1, seed, sizes.max_seconds,
                       str(partial), spec.folder)
            for split in SPLITS
            for piece in chosen[split]
        ]
        workers = max(1, min(workers or profile.num_workers, os.cpu_count() or 1, len(tasks)))
        results = _render_all(tasks, workers, spec.render_piece)
        rows = sorted((row for rs in results for row in rs), key=lambda r: (SPLITS.index(r["split"]), r["audio_filename"]))
        spec.write_metadata(partial, rows)
        (partial / INCOMPLETE_MARKER).unlink()
        write_manifest(partial, dataset=spec.name, profile=profile.name, seed=seed, builder_version=spec.builder_version,
                       sample_rate=spec.sample_rate, sizes=dataclasses.asdict(sizes), stats=_stats(rows))
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
