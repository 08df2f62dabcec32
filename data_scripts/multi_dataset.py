"""Read the embedded multi-instrument set (hw5_basic_pitch): whole renditions and random 2-s windows.

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
centre of Basic Pitch's CQT frame ``t`` (``course.features.BasicPitchCQT``), and a rendition of ``N``
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

The set is built by :mod:`data_scripts.multi`.

Used by: hw5_basic_pitch (training, validation, evaluation of NMP), ``bench/hw5_basic_pitch.py``.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from course.audio import load_audio
from course.constants import (
    ANNOT_N_FRAMES,
    AUDIO_N_SAMPLES,
    AUDIO_SAMPLE_RATE,
    CQT_FRAME_RATE,
    FFT_HOP,
    N_FREQ_BINS_CONTOURS,
    N_KEYS,
)
from course.datasets import Recording
from course.paths import dataset_dir
from data_scripts.maestro import CSV_NAME, load_notes, read_metadata
from data_scripts.manifest import SPLITS, check_not_partial, rebuild_command
from data_scripts.multi import DATASET_NAME, FAMILY_OF_PROGRAM, n_frames_for_samples


@dataclasses.dataclass
class MultiRecording(Recording):
    """One rendition of the multi-instrument set: a :class:`course.datasets.Recording` (audio at
    22050 Hz, notes at their nominal pitches: the bends are in ``contour``) with Basic Pitch's labels.

    Attributes:
        contour: ``(T, 264)`` float32 in {0, 1}, ``T = 1 + N // 256``.
        note: ``(T, 88)`` float32 in {0, 1}.
        onset: ``(T, 88)`` float32 in {0, 1}.
        programs: the GM program of each track (one per lane of each part).
    """

    contour: np.ndarray
    note: np.ndarray
    onset: np.ndarray
    programs: tuple[int, ...]

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
        window_samples: 43844 (``AUDIO_N_SAMPLES``); window_frames: 172
            (``ANNOT_N_FRAMES``), both of :mod:`course.constants`.
        rows: the csv rows of the split (MAESTRO's columns).
    """

    sample_rate = AUDIO_SAMPLE_RATE
    hop_length = FFT_HOP
    frame_rate = CQT_FRAME_RATE
    window_samples = AUDIO_N_SAMPLES
    window_frames = ANNOT_N_FRAMES

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
        self.root = pathlib.Path(root) if root is not None else dataset_dir(DATASET_NAME)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")
        check_not_partial(self.root, rebuild_command(self.root, DATASET_NAME), needs_manifest=True)
        if not (self.root / CSV_NAME).is_file():
            raise FileNotFoundError(
                f"No multi-instrument set at {self.root} (expected {CSV_NAME} and manifest.json "
                f"there). Build it: python -m data_scripts build --profile <ci|cpu|gpu> (or "
                f"`bash run.sh data`), or {rebuild_command(self.root, DATASET_NAME)}"
            )
        self.rows = [r for r in read_metadata(self.root) if r["split"] == split]
        if not self.rows:
            raise ValueError(
                f"{self.root} has no renditions in split {split!r}. Rebuild it: {rebuild_command(self.root, DATASET_NAME)}"
            )
        for row in self.rows:  # fail now, not in the middle of an epoch
            for name in (row["audio_filename"], row["midi_filename"], self._labels_name(row)):
                if not (self.root / name).is_file():
                    raise FileNotFoundError(
                        f"{self.root / name} is missing from the multi-instrument set (listed in "
                        f"{CSV_NAME}). Rebuild it: {rebuild_command(self.root, DATASET_NAME)}"
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

    def __getitem__(self, index: int) -> MultiRecording:
        return self.piece(index)

    def _decode(self, index: int) -> MultiRecording:
        row = self.rows[index]
        audio_path = self.root / row["audio_filename"]
        audio, _ = load_audio(audio_path, AUDIO_SAMPLE_RATE, mono=True)  # names the file on error
        audio = np.asarray(audio, np.float32)
        with np.load(self.root / self._labels_name(row)) as z:
            labels = {k: z[k] for k in ("contour", "note", "onset", "programs")}
        n_frames = n_frames_for_samples(len(audio))
        if labels["contour"].shape != (n_frames, N_FREQ_BINS_CONTOURS) or labels["note"].shape != (n_frames, N_KEYS):
            raise ValueError(
                f"{self.root / self._labels_name(row)} holds labels of {labels['note'].shape[0]} frames but "
                f"its audio ({len(audio)} samples) has {n_frames}: the set is corrupt or from another "
                f"builder. Rebuild it: {rebuild_command(self.root, DATASET_NAME)}"
            )
        return MultiRecording(
            audio=audio,
            notes=load_notes(self.root / row["midi_filename"], sustain=False),
            contour=labels["contour"].astype(np.float32),
            note=labels["note"].astype(np.float32),
            onset=labels["onset"].astype(np.float32),
            title=row["canonical_title"],
            programs=tuple(int(p) for p in labels["programs"]),
            path=str(audio_path),
        )

    def piece(self, index: int) -> MultiRecording:
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
            window's audio (``course.features.BasicPitchCQT``) is label frame ``t``.
        """
        import torch

        piece = self.piece(index)
        if start_frame < 0:
            raise ValueError(f"start_frame must be >= 0; got {start_frame}.")
        first = start_frame * FFT_HOP
        audio = np.zeros(AUDIO_N_SAMPLES, np.float32)
        chunk = piece.audio[first : first + AUDIO_N_SAMPLES]
        audio[: len(chunk)] = chunk
        item = {"audio": torch.from_numpy(audio)}
        for key in ("contour", "note", "onset"):
            labels = np.zeros((ANNOT_N_FRAMES, getattr(piece, key).shape[1]), np.float32)
            part = getattr(piece, key)[start_frame : start_frame + ANNOT_N_FRAMES]
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
        starts = np.array([max(0, len(self.piece(i).note) - ANNOT_N_FRAMES) + 1 for i in range(len(self))])
        items = []
        for _ in range(batch_size):
            index = int(rng.choice(len(self), p=starts / starts.sum()))
            items.append(self.window(index, int(rng.integers(starts[index]))))
        batch = {k: torch.stack([it[k] for it in items]) for k in ("audio", "contour", "note", "onset")}
        batch.update({k: torch.tensor([it[k] for it in items]) for k in ("index", "start_frame")})
        return batch
