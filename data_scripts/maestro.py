"""MAESTRO v3's layout, read and written: a real MAESTRO download or the embedded piano set.

The layout (``https://magenta.tensorflow.org/datasets/maestro``, version 3.0.0)::

    <root>/maestro-v3.0.0.csv   canonical_composer, canonical_title, split, year,
                                midi_filename, audio_filename, duration
    <root>/2018/....midi        the performance (one piano track; sustain pedal as CC 64)
    <root>/2018/....wav         its recording (real MAESTRO: 44.1 or 48 kHz stereo)

:mod:`data_scripts.piano` and :mod:`data_scripts.multi` write the same layout (:func:`write_metadata`;
16 kHz or 22050 Hz mono, no pedal) plus a ``manifest.json`` with every file's sha256, which
:func:`verify` checks.

Frames. With ``hop_length`` H, a clip of N samples has ``T = N // H`` label frames; frame ``t``
covers samples ``t*H .. (t+1)*H`` and time ``t / frame_rate`` seconds, ``frame_rate = sample_rate /
H`` (16000 / 512 = 31.25 frames per second). The last ``N % H`` samples have no frame. This is
the count ``course.features.LogMel`` gives by default, so features and labels line up.

Used by: hw4_transcription (training and evaluating Onsets-and-Frames), the hw5 problem set, the
builders of the rendered sets.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pathlib

import numpy as np

from course.datasets import Recording
from course.notes import MAX_MIDI, MIN_MIDI, Notes, notes_to_rolls, read_midi
from course.paths import dataset_dir
from data_scripts.manifest import MANIFEST_NAME, SPLITS, check_not_partial, rebuild_command, verify_manifest

# The layout: its metadata files and their columns, in this order.
CSV_NAME = "maestro-v3.0.0.csv"
JSON_NAME = "maestro-v3.0.0.json"
COLUMNS = ("canonical_composer", "canonical_title", "split", "year", "midi_filename", "audio_filename", "duration")
YEAR = 2026  # MAESTRO groups files by recording year; an embedded set has one "year" folder

SUSTAIN_CC = 64  # MIDI controller number of the sustain (damper) pedal
PEDAL_DOWN = 64  # controller values >= 64 mean pressed

_BUILD_HINT = (
    "Build the embedded set with `bash run.sh data` (or `python -m data_scripts build --profile "
    "<ci|cpu|gpu>`), or pass the folder of a MAESTRO v3 download (the one holding "
    f"{CSV_NAME})."
)


def _rebuild_hint(root: pathlib.Path) -> str:
    if (root / MANIFEST_NAME).is_file():
        return f"Rebuild it: {rebuild_command(root, 'piano')}"
    return "Re-download MAESTRO v3 (or rebuild the embedded set: `bash run.sh data`)."


def read_metadata(root: str | os.PathLike) -> list[dict]:
    """The rows of a MAESTRO v3 folder's ``maestro-v3.0.0.csv`` (else its ``.json``).

    Args:
        root: the dataset folder (a MAESTRO v3 download or a built embedded set).

    Returns:
        One dict per performance with the csv's columns: ``canonical_composer``,
        ``canonical_title``, ``split`` (``train``/``validation``/``test``), ``year`` (int),
        ``midi_filename`` and ``audio_filename`` (relative to ``root``), ``duration`` (float
        seconds).

    Raises:
        FileNotFoundError: ``root`` or its metadata is missing.
        IncompleteDatasetError: ``root`` is an unfinished build.
        ValueError: the metadata lacks columns.
    """
    root = pathlib.Path(root)
    check_not_partial(root, "`bash run.sh data` (or python -m data_scripts build --profile <ci|cpu|gpu> --force)")
    if not root.is_dir():
        partials = sorted(root.parent.glob(f"{root.name}.partial-*")) if root.parent.is_dir() else []
        building = f" ({partials[0]} is a build in progress, or one that crashed.)" if partials else ""
        raise FileNotFoundError(f"No dataset folder at {root}.{building} {_BUILD_HINT}")
    if (root / CSV_NAME).is_file():
        with open(root / CSV_NAME, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = list(reader)
    elif (root / JSON_NAME).is_file():
        # MAESTRO's json is column-oriented: {"column": {"0": value, "1": value, ...}}
        columns = json.loads((root / JSON_NAME).read_text(encoding="utf-8"))
        header = list(columns)
        keys = sorted(next(iter(columns.values()), {}), key=int)
        rows = [{c: columns[c][k] for c in columns} for k in keys]
    else:
        raise FileNotFoundError(
            f"{root} holds neither {CSV_NAME} nor {JSON_NAME}: it is not in MAESTRO v3's layout. "
            + _BUILD_HINT
        )
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"The metadata of {root} lacks the columns {missing}; MAESTRO v3 has {list(COLUMNS)}. "
            "Is it a MAESTRO v1/v2 folder? Use the v3 metadata, or rebuild the embedded set."
        )
    for row in rows:
        row["year"] = int(row["year"])
        row["duration"] = float(row["duration"])
    return rows


def metadata_row(piece, split: str, stem: str, n_samples: int, sample_rate: int, n_notes: int) -> dict:
    """A rendition's csv row (MAESTRO's columns) plus its note count (for the manifest's stats).

    Args:
        piece: the :class:`data_scripts.corpus.CorpusPiece` rendered.
        split: its split; stem: ``"<year>/<name>"``; n_samples, sample_rate: of its audio.
    """
    return {
        "canonical_composer": piece.composer,
        "canonical_title": piece.title,
        "split": split,
        "year": YEAR,
        "midi_filename": f"{stem}.midi",
        "audio_filename": f"{stem}.wav",
        "duration": round(n_samples / sample_rate, 6),
        "n_notes": n_notes,
    }


def write_metadata(out: pathlib.Path, rows: list[dict]) -> None:
    """MAESTRO's csv and its column-oriented json (``{"column": {"0": value, ...}}``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    (out / CSV_NAME).write_text(buffer.getvalue())
    columns = {c: {str(i): row[c] for i, row in enumerate(rows)} for c in COLUMNS}
    (out / JSON_NAME).write_text(json.dumps(columns, indent=1) + "\n")


def verify(root: str | os.PathLike) -> int:
    """Check that every file a dataset lists is there and intact.

    An embedded set (with ``manifest.json``) is checked against the manifest's sha256 and sizes;
    a MAESTRO download, which has no manifest, only for the files its csv lists.

    Args:
        root: the dataset folder.

    Returns:
        The number of files checked.

    Raises:
        FileNotFoundError: a file is missing (named in the message, with the fix).
        ValueError: a file differs from the manifest (named in the message, with the fix).
        IncompleteDatasetError: ``root`` is an unfinished build.
    """
    root = pathlib.Path(root)
    rows = read_metadata(root)
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file():
        names = [r[k] for r in rows for k in ("midi_filename", "audio_filename")]
        for name in names:
            if not (root / name).is_file():
                raise FileNotFoundError(f"{root / name} is listed in {CSV_NAME} but missing. {_rebuild_hint(root)}")
        return len(names)
    return verify_manifest(root, _rebuild_hint(root))


def pedal_intervals(pm, threshold: int = PEDAL_DOWN) -> np.ndarray:
    """When the sustain pedal is down, from a MIDI file's control changes 64.

    Args:
        pm: a ``pretty_midi.PrettyMIDI``.
        threshold: controller values at or above it count as pressed (MAESTRO: 64).

    Returns:
        ``(K, 2)`` array of ``[press, release]`` times in seconds, sorted; a pedal still down at
        the end is released at the file's end.
    """
    events = sorted(
        (cc.time, cc.value)
        for inst in pm.instruments
        if not inst.is_drum
        for cc in inst.control_changes
        if cc.number == SUSTAIN_CC
    )
    intervals, pressed_at = [], None
    for time, value in events:
        if value >= threshold and pressed_at is None:
            pressed_at = time
        elif value < threshold and pressed_at is not None:
            intervals.append((pressed_at, time))
            pressed_at = None
    if pressed_at is not None:
        intervals.append((pressed_at, max(pm.get_end_time(), pressed_at)))
    return np.array(intervals, dtype=np.float64).reshape(-1, 2)


def extend_by_pedal(notes: Notes, pedal: np.ndarray) -> Notes:
    """Notes as heard with the sustain pedal: a key released while the pedal is down keeps sounding.

    A note whose offset falls inside a pedal interval is extended to the pedal's release, but not
    past the next onset of the same key (striking it again ends the old sound). Notes are never
    shortened.

    Args:
        notes: the notes as played (key press to key release).
        pedal: ``(K, 2)`` pedal intervals (:func:`pedal_intervals`).

    Returns:
        New notes, same onsets, pitches and velocities.
    """
    if len(notes) == 0 or len(pedal) == 0:
        return notes
    onsets, offsets = notes.intervals[:, 0], notes.intervals[:, 1]
    which = np.searchsorted(pedal[:, 0], offsets, side="right") - 1  # last press before the offset
    held = (which >= 0) & (offsets < pedal[np.maximum(which, 0), 1])
    extended = np.where(held, pedal[np.maximum(which, 0), 1], offsets)
    order = np.lexsort((onsets, notes.pitches))  # by key, then time
    for a, b in zip(order[:-1], order[1:]):
        if notes.pitches[a] == notes.pitches[b]:
            extended[a] = min(extended[a], max(onsets[b], offsets[a]))
    return Notes(np.stack([onsets, extended], axis=1), notes.pitches, notes.velocities)


def load_notes(path: str | os.PathLike, sustain: bool = True) -> Notes:
    """The piano notes of a MIDI file, optionally lengthened by the sustain pedal.

    Args:
        path: the ``.midi`` file.
        sustain: apply :func:`extend_by_pedal` (what one hears; Onsets-and-Frames' labels).

    Returns:
        The notes inside the piano's range (A0..C8).

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: the file is not readable MIDI.
    """
    path = pathlib.Path(path)
    pm = read_midi(path, _rebuild_hint(path.parent.parent))
    notes = Notes.from_midi(pm)
    if sustain:
        notes = extend_by_pedal(notes, pedal_intervals(pm))
    on_piano = (notes.pitches >= MIN_MIDI) & (notes.pitches <= MAX_MIDI)
    return Notes(notes.intervals[on_piano], notes.pitches[on_piano], notes.velocities[on_piano])


class MaestroDataset:
    """Performances of a MAESTRO-layout folder, as audio with frame-level labels.

    Each item is a dict:

    * ``audio``: float32 tensor ``(N,)``, mono at ``sample_rate``;
    * ``onset``, ``offset``, ``frame``: float32 tensors ``(T, 88)`` in {0, 1}, and ``velocity``:
      ``(T, 88)``, velocity / 127 at onsets (:func:`course.notes.notes_to_rolls`), with
      ``T = N // hop_length``;
    * ``notes``: the piece's :class:`~course.notes.Notes` (whole pieces only);
    * ``start``: the crop's first sample (crops only);
    * ``path``: the audio file; ``title``: the csv's ``canonical_title``.

    A map-style dataset for ``torch.utils.data.DataLoader`` (torch is imported on first use). Whole
    pieces differ in length: iterate the dataset, or use
    ``DataLoader(dataset, batch_size=None)``. Crops (``sequence_length``) batch normally.

    Crops are random but reproducible: they are drawn from a generator seeded with ``seed``, so
    the same calls in the same order give the same crops. In ``DataLoader`` workers the generator
    is re-seeded from ``seed`` and the worker's torch seed, so workers do not repeat each other
    (seed the DataLoader's ``generator`` to make that reproducible too).
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str | list[str] | tuple[str, ...] = "train",
        sample_rate: int = 16000,
        hop_length: int = 512,
        sequence_length: int | None = None,
        seed: int = 0,
        sustain: bool = True,
        cache: bool = True,
    ):
        """
        Args:
            root: the dataset folder; by default the current profile's embedded set
                (``data/<profile>/piano``).
            split: ``"train"``, ``"validation"``, ``"test"`` or a list of them.
            sample_rate: audio is resampled (and mixed to mono) to this rate in Hz.
            hop_length: samples per label frame.
            sequence_length: ``None`` for whole pieces; else random crops of this many samples,
                a multiple of ``hop_length`` (shorter pieces are zero-padded).
            seed: seeds the crops.
            sustain: lengthen notes by the sustain pedal (real MAESTRO; the embedded set has no
                pedal).
            cache: decode every piece once, now, and keep it in memory (fine for the embedded
                sets); ``False`` decodes at each access (a full MAESTRO does not fit in memory).

        Raises:
            FileNotFoundError: missing folder, metadata or listed file (named, with the fix).
            ValueError: an unknown split, an empty split, or a ``sequence_length`` that is not a
                positive multiple of ``hop_length``.
        """
        self.root = pathlib.Path(root) if root is not None else dataset_dir("piano")
        splits = [split] if isinstance(split, str) else list(split)
        unknown = [s for s in splits if s not in SPLITS]
        if unknown or not splits:
            raise ValueError(f"split must be one of {SPLITS} or a list of them; got {split!r}.")
        if sequence_length is not None and (sequence_length <= 0 or sequence_length % hop_length):
            raise ValueError(
                f"sequence_length must be a positive multiple of hop_length={hop_length} (so a "
                f"crop has whole frames); got {sequence_length}. Try "
                f"{max(1, round((sequence_length or 0) / hop_length)) * hop_length}."
            )
        self.rows = [r for r in read_metadata(self.root) if r["split"] in splits]
        if not self.rows:
            raise ValueError(f"{self.root} has no performances in split {split!r}.")
        for row in self.rows:  # fail now, not in the middle of an epoch
            for key in ("audio_filename", "midi_filename"):
                if not (self.root / row[key]).is_file():
                    raise FileNotFoundError(
                        f"{self.root / row[key]} is listed in {CSV_NAME} but missing. "
                        + _rebuild_hint(self.root)
                    )
        self.sample_rate = sample_rate
        self.hop_length = hop_length
        self.frame_rate = sample_rate / hop_length
        self.sequence_length = sequence_length
        self.seed = seed
        self.sustain = sustain
        self._rng = np.random.default_rng(seed)
        self._rng_owner = None  # the worker seed the generator was made for (None: main process)
        self._pieces = [self._decode(i) for i in range(len(self.rows))] if cache else None

    def __len__(self) -> int:
        return len(self.rows)

    def _decode(self, index: int) -> Recording:
        from course.audio import load_audio

        row = self.rows[index]
        audio_path = self.root / row["audio_filename"]
        audio, _ = load_audio(audio_path, self.sample_rate, mono=True)  # names the file on error
        notes = load_notes(self.root / row["midi_filename"], sustain=self.sustain)
        return Recording(audio, notes, str(audio_path), row["canonical_title"])

    def piece(self, index: int) -> Recording:
        """The decoded performance ``index`` (a :class:`course.datasets.Recording`)."""
        return self._pieces[index] if self._pieces is not None else self._decode(index)

    def _generator(self) -> np.random.Generator:
        import torch

        info = torch.utils.data.get_worker_info()
        owner = None if info is None else info.seed
        if owner != self._rng_owner:  # a DataLoader worker's copy: give it its own stream
            self._rng = np.random.default_rng([self.seed, owner % 2**63])
            self._rng_owner = owner
        return self._rng

    def __getitem__(self, index: int) -> dict:
        import torch  # not at the top: the dataset builders' workers read this module's layout

        piece = self.piece(index)
        n_total = len(piece.audio)
        hop = self.hop_length
        if self.sequence_length is None:
            n_frames = n_total // hop
            rolls = notes_to_rolls(piece.notes, self.frame_rate, n_frames=n_frames)
            item = {"audio": torch.tensor(piece.audio, dtype=torch.float32)}
            item.update({k: torch.from_numpy(v) for k, v in rolls.items()})
            item.update(notes=piece.notes, path=piece.path, title=piece.title)
            return item
        n_frames = self.sequence_length // hop
        first = int(self._generator().integers(0, max(n_total // hop - n_frames, 0) + 1))
        audio = np.zeros(self.sequence_length, np.float32)
        chunk = piece.audio[first * hop : first * hop + self.sequence_length]
        audio[: len(chunk)] = chunk
        # The crop's frames of the whole piece's rolls: a note begun before the crop still sounds
        # in it (frame on, no onset). Only notes near the crop are drawn (a MAESTRO piece has
        # thousands); the margins keep an offset mark or a one-frame note at the crop's edge.
        fr, iv = self.frame_rate, piece.notes.intervals
        near = (iv[:, 0] < (first + n_frames + 1) / fr) & (iv[:, 1] > (first - 2) / fr)
        nearby = Notes(iv[near], piece.notes.pitches[near], piece.notes.velocities[near])
        rolls = notes_to_rolls(nearby, fr, n_frames=first + n_frames)  # np.zeros: untouched pages are free
        item = {"audio": torch.from_numpy(audio)}
        item.update({k: torch.from_numpy(np.ascontiguousarray(v[first : first + n_frames])) for k, v in rolls.items()})
        item.update(start=first * hop, path=piece.path, title=piece.title)
        return item
