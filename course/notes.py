"""Notes and piano rolls: note lists <-> frame / onset / offset rolls, and sonification.

A note list is a :class:`Notes`: onset/offset times in seconds, MIDI pitches and velocities.
A piano roll is a ``(T, 88)`` array on a frame grid of ``frame_rate`` frames per second, its
column ``k`` the piano key with MIDI pitch ``21 + k`` (A0 = 21 ... C8 = 108).

Used by: hw4_transcription (labels, decoding, listening), hw5_basic_pitch (problem set and NMP),
``data_scripts`` (labels of the embedded sets).
"""
from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

from course.constants import MAX_MIDI, MIN_MIDI, N_KEYS

__all__ = ["MIN_MIDI", "MAX_MIDI", "N_KEYS", "Notes", "read_midi", "n_frames_for", "notes_to_rolls", "roll_to_notes",
           "soundfont_path", "check_fluidsynth", "synthesize", "sonify_roll"]


@dataclasses.dataclass
class Notes:
    """A list of notes.

    Attributes:
        intervals: ``(N, 2)`` float array of onset and offset times in seconds.
        pitches: ``(N,)`` int array of MIDI pitches.
        velocities: ``(N,)`` int array of MIDI velocities in 1..127.
    """

    intervals: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray

    def __post_init__(self):
        self.intervals = np.asarray(self.intervals, dtype=np.float64).reshape(-1, 2)
        self.pitches = np.asarray(self.pitches, dtype=np.int64).reshape(-1)
        n = len(self.pitches)
        if self.velocities is None:
            self.velocities = np.full(n, 80)
        self.velocities = np.asarray(self.velocities, dtype=np.int64).reshape(-1)
        if not (len(self.intervals) == n == len(self.velocities)):
            raise ValueError(
                f"Notes need as many intervals, pitches and velocities; got {len(self.intervals)}, "
                f"{n} and {len(self.velocities)}."
            )
        order = np.lexsort((self.pitches, self.intervals[:, 0])) if n else np.arange(0)
        self.intervals, self.pitches, self.velocities = (
            self.intervals[order],
            self.pitches[order],
            self.velocities[order],
        )

    def __len__(self) -> int:
        return len(self.pitches)

    @classmethod
    def empty(cls) -> "Notes":
        return cls(np.zeros((0, 2)), np.zeros(0, int), np.zeros(0, int))

    @property
    def end_time(self) -> float:
        return float(self.intervals[:, 1].max()) if len(self) else 0.0

    @classmethod
    def from_midi(cls, path_or_pm) -> "Notes":
        """All notes of a MIDI file (path) or a ``pretty_midi.PrettyMIDI``, drums excluded."""
        import pretty_midi

        pm = path_or_pm if isinstance(path_or_pm, pretty_midi.PrettyMIDI) else read_midi(path_or_pm)
        notes = [n for inst in pm.instruments if not inst.is_drum for n in inst.notes]
        return cls(
            np.array([[n.start, n.end] for n in notes]).reshape(-1, 2),
            np.array([n.pitch for n in notes], dtype=int),
            np.array([n.velocity for n in notes], dtype=int),
        )

    def to_pretty_midi(self, program: int = 0):
        """A ``pretty_midi.PrettyMIDI`` with one instrument (GM ``program``, 0 = grand piano)."""
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
        inst = pretty_midi.Instrument(program=program)
        for (on, off), p, v in zip(self.intervals, self.pitches, self.velocities):
            inst.notes.append(pretty_midi.Note(int(v), int(p), float(on), float(off)))
        pm.instruments.append(inst)
        return pm

    def pitches_hz(self) -> np.ndarray:
        """Pitches in Hz (what ``mir_eval.transcription`` expects)."""
        return 440.0 * 2.0 ** ((self.pitches - 69) / 12.0)


def read_midi(path, fix: str = "Rebuild the data (bash run.sh data) or re-download it."):
    """A MIDI file as a ``pretty_midi.PrettyMIDI``.

    Args:
        path: the file.
        fix: the sentence that ends an error message: how to get a good file.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not readable MIDI.
    """
    import pretty_midi

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MIDI file {path} does not exist. Check the path. {fix}")
    try:
        return pretty_midi.PrettyMIDI(str(path))
    except Exception as e:  # mido raises several types on a corrupt file
        raise ValueError(f"MIDI file {path} could not be read ({e.__class__.__name__}: {e}): it is corrupt or not MIDI. {fix}") from e


def n_frames_for(duration: float, frame_rate: float) -> int:
    """Frames needed to cover ``duration`` seconds at ``frame_rate`` frames per second."""
    return int(np.ceil(duration * frame_rate)) + 1


def notes_to_rolls(notes: Notes, frame_rate: float, n_frames: int | None = None) -> dict[str, np.ndarray]:
    """Frame, onset, offset and velocity rolls of a note list.

    A note sounding from ``on`` to ``off`` seconds is active in frames
    ``round(on * fr) <= t < max(round(off * fr), round(on * fr) + 1)``: at least one frame, so a
    very short note is not lost. Its onset is marked at frame ``round(on * fr)``, its offset at
    the first frame after it.

    Args:
        notes: the notes; pitches outside A0..C8 raise ``ValueError``.
        frame_rate: frames per second (hw4: 16000 / 512 = 31.25; hw5: 22050 / 256).
        n_frames: length of the rolls; by default long enough for the last offset.

    Returns:
        ``{"frame", "onset", "offset"}``: ``(T, 88)`` float32 arrays in {0, 1}, and
        ``"velocity"``: ``(T, 88)`` float32, the note's velocity / 127 at its onset frame.
    """
    if len(notes) and (notes.pitches.min() < MIN_MIDI or notes.pitches.max() > MAX_MIDI):
        raise ValueError(
            f"Pitches must lie on the piano (MIDI {MIN_MIDI}..{MAX_MIDI}); got "
            f"{notes.pitches.min()}..{notes.pitches.max()}. Transpose or drop the notes outside."
        )
    if n_frames is None:
        n_frames = n_frames_for(notes.end_time, frame_rate)
    rolls = {k: np.zeros((n_frames, N_KEYS), np.float32) for k in ("frame", "onset", "offset", "velocity")}
    for (on, off), p, v in zip(notes.intervals, notes.pitches, notes.velocities):
        start = int(round(on * frame_rate))
        end = max(int(round(off * frame_rate)), start + 1)
        if start >= n_frames:
            continue
        k = p - MIN_MIDI
        rolls["frame"][start : min(end, n_frames), k] = 1
        rolls["onset"][start, k] = 1
        rolls["velocity"][start, k] = v / 127.0
        if end < n_frames:
            rolls["offset"][end, k] = 1
    return rolls


def roll_to_notes(
    frame_roll: np.ndarray,
    frame_rate: float,
    onset_roll: np.ndarray | None = None,
    velocity: int = 80,
) -> Notes:
    """Notes of a binary piano roll (the inverse of :func:`notes_to_rolls`).

    Without ``onset_roll`` a note is a maximal run of active frames. With it, an onset frame
    inside a run starts a new note, so repeated notes of one key are kept apart.

    Args:
        frame_roll: ``(T, 88)`` array, nonzero where a key sounds.
        frame_rate: frames per second.
        onset_roll: optional ``(T, 88)`` array, nonzero at onset frames.
        velocity: velocity given to every note.

    Returns:
        The notes, times on the frame grid (frame ``t`` is ``t / frame_rate`` seconds).
    """
    frame_roll = np.asarray(frame_roll) > 0
    if frame_roll.ndim != 2 or frame_roll.shape[1] != N_KEYS:
        raise ValueError(f"A piano roll has shape (T, {N_KEYS}); got {frame_roll.shape}.")
    onsets = np.zeros_like(frame_roll) if onset_roll is None else (np.asarray(onset_roll) > 0)
    if onsets.shape != frame_roll.shape:
        raise ValueError(f"onset_roll has shape {onsets.shape}, frame_roll {frame_roll.shape}: they must agree.")
    active = np.pad(frame_roll, ((1, 1), (0, 0)))
    starts = (active[1:-1] & ~active[:-2]) | (frame_roll & onsets)
    intervals, pitches = [], []
    for k in range(N_KEYS):
        col = frame_roll[:, k]
        begin = np.flatnonzero(starts[:, k])
        for b in begin:
            e = b + 1
            while e < len(col) and col[e] and not starts[e, k]:
                e += 1
            intervals.append((b / frame_rate, e / frame_rate))
            pitches.append(k + MIN_MIDI)
    return Notes(np.array(intervals).reshape(-1, 2), np.array(pitches, int), np.full(len(pitches), velocity))


def soundfont_path() -> pathlib.Path:
    """The General MIDI soundfont that ships inside pretty_midi (TimGM6mb.sf2)."""
    import pretty_midi

    path = pathlib.Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.exists():
        raise FileNotFoundError(f"pretty_midi's soundfont {path} is missing: reinstall pretty_midi.")
    return path


def check_fluidsynth() -> None:
    """Raise a clear error where the FluidSynth system library cannot be loaded."""
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth loads libfluidsynth at import)
    except ImportError as e:
        raise RuntimeError(
            "The FluidSynth system library is missing, so MIDI cannot be rendered to audio "
            f"({e}). Install it: Debian/Ubuntu `sudo apt-get install libfluidsynth3`, "
            "conda `conda install -c conda-forge fluidsynth`, macOS `brew install fluid-synth`; "
            "or run `bash run.sh setup`, which does it for you."
        ) from e


def synthesize(midi, sample_rate: int = 16000, peak: float = 0.9) -> np.ndarray:
    """Render MIDI to audio with FluidSynth and the GM soundfont inside pretty_midi.

    Deterministic: the same MIDI gives the same samples.

    Args:
        midi: a ``pretty_midi.PrettyMIDI`` or a :class:`Notes` (played on the piano).
        sample_rate: output sample rate in Hz.
        peak: the output is scaled so that its largest absolute sample is ``peak``.

    Returns:
        ``(num_samples,)`` float32 mono audio in [-peak, peak].
    """
    check_fluidsynth()
    pm = midi.to_pretty_midi() if isinstance(midi, Notes) else midi
    if not any(inst.notes for inst in pm.instruments):
        return np.zeros(int(sample_rate * 0.5), np.float32)
    audio = pm.fluidsynth(fs=sample_rate, synthesizer=str(soundfont_path()))
    top = np.abs(audio).max()
    if top > 0:
        audio = audio * (peak / top)
    return audio.astype(np.float32)


def sonify_roll(frame_roll: np.ndarray, frame_rate: float, sample_rate: int = 16000,
                onset_roll: np.ndarray | None = None, program: int = 0) -> np.ndarray:
    """Hear a piano roll: its notes (:func:`roll_to_notes`) rendered by :func:`synthesize`.

    Returns:
        ``(num_samples,)`` float32 audio, at least as long as the roll.
    """
    notes = roll_to_notes(frame_roll, frame_rate, onset_roll)
    audio = synthesize(notes.to_pretty_midi(program), sample_rate)
    length = int(np.ceil(len(frame_roll) / frame_rate * sample_rate))
    return np.pad(audio, (0, max(0, length - len(audio))))[: max(length, 1)]
