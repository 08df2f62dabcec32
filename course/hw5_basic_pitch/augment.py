"""Audio augmentation for Basic Pitch / NMP training, and the one that must not be used.

Every function takes one mono window (or piece) ``audio`` ``(N,)`` float numpy at 22050 Hz and
returns an array of the same length and dtype. Which ones change the labels:

* :func:`reverb`, :func:`equalize` and mixing in an irrelevant source (:func:`drum_loop`) change
  how the notes sound, never which notes sound: the labels stay as they are.
* :func:`pitch_shift` moves every pitch by ``n`` semitones: the labels must move by ``n`` keys
  (``3 n`` contour bins). The students' ``transpose`` does both.
* :func:`mask_middle` (the non-example) silences a stretch of audio: a note held across it now
  *sounds* like two notes, the second with an onset, while its labels still say one note with
  one onset (:func:`notes_heard_after_mask` shows what the audio really holds).

The students write ``add_noise(audio, snr_db, rng)``, ``transpose(audio, labels, semitones)`` and
``mix(audio, other, gain_db)`` in the notebook; :func:`noise_transform`,
:func:`transpose_transform` and :func:`mix_transform` turn them into training transforms, and
:func:`batch_augmentation` turns transforms into the per-batch callback of
``course.hw5_basic_pitch.training.train`` (augmented windows get their CQT recomputed there).

Pitch shifting is ``librosa.effects.pitch_shift`` (phase-vocoder time stretch then soxr
resampling back, so the length is kept exactly), not pedalboard's ``PitchShift``
(``bench/measurements.md``: why).

Used by: hw5_basic_pitch (augmentation with A/B listening, the masking non-example, training
with augmentation), ``bench/hw5_basic_pitch.py``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from course.audio import check_audio
from course.constants import AUDIO_SAMPLE_RATE
from course.hw5_basic_pitch.constants import LABEL_BINS_PER_SEMITONE
from course.notes import Notes

# A window transform: (audio (N,), labels {"contour", "note", "onset"}, rng) -> (audio, labels)
Transform = Callable[[np.ndarray, dict, np.random.Generator], tuple]


def _pedalboard(board, audio: np.ndarray, sample_rate: int) -> np.ndarray:
    # pedalboard processes float32 and returns the input's length; reset=True (the default)
    # clears the effect's state, so one window's reverb tail never leaks into the next
    out = board(audio.astype(np.float32, copy=False), sample_rate)
    return np.asarray(out, dtype=np.float32).reshape(-1)[: len(audio)].astype(audio.dtype, copy=False)


def reverb(audio, room_size: float = 0.5, wet_level: float = 0.33, dry_level: float = 0.67,
           damping: float = 0.5, sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """A room: pedalboard's ``Reverb`` (Freeverb). The labels do not change.

    Args:
        audio: ``(N,)`` float audio.
        room_size: 0 (small) .. 1 (hall); the tail's length.
        wet_level, dry_level: gains of the reverberated and the direct sound (0..1).
        damping: 0 .. 1, how fast the high frequencies of the tail die.
        sample_rate: of ``audio``.

    Returns:
        ``(N,)``, ``audio``'s dtype (the tail past the end is cut).

    Used by: hw5_basic_pitch (A/B listening, augmentation, the reverberant test copy).
    """
    import pedalboard

    audio = check_audio(audio)
    for name, value in (("room_size", room_size), ("wet_level", wet_level), ("dry_level", dry_level),
                        ("damping", damping)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1]; got {value}.")
    board = pedalboard.Reverb(room_size=room_size, wet_level=wet_level, dry_level=dry_level, damping=damping)
    return _pedalboard(board, audio, sample_rate)


def equalize(audio, low_shelf_db: float = 0.0, peak_db: float = 0.0, high_shelf_db: float = 0.0,
             low_shelf_hz: float = 250.0, peak_hz: float = 1000.0, peak_q: float = 1.0,
             high_shelf_hz: float = 4000.0, sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """A three-band equaliser: low shelf, one peak, high shelf (pedalboard's biquads, in series).

    A microphone, a room or a cheap speaker colours the spectrum; the notes stay the same, so the
    labels do not change. Gains in dB (0 leaves a band alone; +-12 dB is a strong colour).

    Args:
        audio: ``(N,)`` float audio.
        low_shelf_db, peak_db, high_shelf_db: the bands' gains.
        low_shelf_hz, peak_hz, high_shelf_hz: their corner / centre frequencies (below Nyquist).
        peak_q: the peak's Q (higher is narrower).
        sample_rate: of ``audio``.

    Returns:
        ``(N,)``, ``audio``'s dtype.

    Used by: hw5_basic_pitch (A/B listening, augmentation).
    """
    import pedalboard

    audio = check_audio(audio)
    for name, hz in (("low_shelf_hz", low_shelf_hz), ("peak_hz", peak_hz), ("high_shelf_hz", high_shelf_hz)):
        if not 0 < hz < sample_rate / 2:
            raise ValueError(f"{name} must lie between 0 and Nyquist ({sample_rate / 2} Hz); got {hz}.")
    board = pedalboard.Pedalboard([
        pedalboard.LowShelfFilter(cutoff_frequency_hz=low_shelf_hz, gain_db=low_shelf_db),
        pedalboard.PeakFilter(cutoff_frequency_hz=peak_hz, gain_db=peak_db, q=peak_q),
        pedalboard.HighShelfFilter(cutoff_frequency_hz=high_shelf_hz, gain_db=high_shelf_db),
    ])
    return _pedalboard(board, audio, sample_rate)


def pitch_shift(audio, semitones: float, sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """Every pitch up by ``semitones`` (down when negative), same duration, same length.

    ``librosa.effects.pitch_shift`` (see the module docstring for why not pedalboard's). Only the
    audio: the labels are the caller's business (the students' ``transpose`` shifts both).
    Transients are smeared by the phase vocoder's 2048-sample frames (about +-46 ms).

    Args:
        audio: ``(N,)`` float audio.
        semitones: the shift; 0 returns a copy.
        sample_rate: of ``audio``.

    Returns:
        ``(N,)``, ``audio``'s dtype.

    Used by: hw5_basic_pitch (the students' ``transpose``), tests.
    """
    import librosa

    audio = check_audio(audio)
    if semitones == 0:
        return audio.copy()
    shifted = librosa.effects.pitch_shift(audio, sr=sample_rate, n_steps=float(semitones))
    # librosa keeps the length; fix_length guards against an off-by-one of the resampler
    return librosa.util.fix_length(shifted, size=len(audio)).astype(audio.dtype, copy=False)


def drum_loop(n_samples: int, rng: np.random.Generator | None = None, bpm: float | None = None,
              sample_rate: int = AUDIO_SAMPLE_RATE, peak: float = 0.9) -> np.ndarray:
    """An irrelevant source: a synthesised drum loop (kick, snare, hi-hat), no pitched notes.

    Kick: a sine sweeping 120 -> 45 Hz with a 0.25-s decay, on beats 1 and 3; snare: noise
    band-passed around 1-5 kHz with a 0.12-s decay plus a 180 Hz body, on beats 2 and 4; hi-hat:
    high-passed noise, 40 ms, every eighth note, random accents. Noise and sweeps have no stable
    pitch, so a transcriber should ignore the loop: mixing it in leaves the labels unchanged.

    Args:
        n_samples: length.
        rng: draws the tempo (when ``bpm`` is None, 80-160), the accents and the noise.
        bpm: beats per minute.
        sample_rate: Hz.
        peak: the loop's peak amplitude.

    Returns:
        ``(n_samples,)`` float32.

    Used by: hw5_basic_pitch (mixing in an irrelevant waveform), :func:`mix_transform`.
    """
    import scipy.signal

    rng = rng if rng is not None else np.random.default_rng(0)
    bpm = float(bpm) if bpm is not None else float(rng.uniform(80, 160))
    if n_samples < 1 or bpm <= 0:
        raise ValueError(f"drum_loop needs n_samples >= 1 and bpm > 0; got {n_samples}, {bpm}.")
    beat = 60.0 / bpm * sample_rate
    out = np.zeros(n_samples, np.float64)

    def hit(sound: np.ndarray, at: float, gain: float = 1.0) -> None:
        start = int(at)
        if start < n_samples:
            part = sound[: n_samples - start]
            out[start : start + len(part)] += gain * part

    t = np.arange(int(0.4 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (45 * t + (120 - 45) * 0.04 * (1 - np.exp(-t / 0.04)))) * np.exp(-t / 0.25)
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    band = scipy.signal.butter(2, [1000, 5000], btype="bandpass", fs=sample_rate, output="sos")
    high = scipy.signal.butter(2, 7000, btype="highpass", fs=sample_rate, output="sos")
    for k in range(int(np.ceil(n_samples / beat)) + 1):
        if k % 2 == 0:
            hit(kick, k * beat)
        else:
            noise = scipy.signal.sosfilt(band, rng.standard_normal(len(t)))
            hit(0.6 * noise * np.exp(-t / 0.12) + 0.3 * np.sin(2 * np.pi * 180 * t) * np.exp(-t / 0.05), k * beat)
        for half in (0.0, 0.5):
            hat_t = t[: int(0.04 * sample_rate)]
            hat = scipy.signal.sosfilt(high, rng.standard_normal(len(hat_t))) * np.exp(-hat_t / 0.01)
            hit(hat, (k + half) * beat, gain=float(rng.uniform(0.2, 0.5)))
    top = np.abs(out).max()
    return (out * (peak / top) if top > 0 else out).astype(np.float32)


def mask_middle(audio, start_s: float, end_s: float, fade_s: float = 0.005,
                sample_rate: int = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """The non-example: silence ``[start_s, end_s)`` (short linear fades, so no click).

    Everything sounding then stops and starts again: a note held across the gap is heard as two
    notes, the second with a new attack, and its labels (one note, one onset) are now wrong.
    Time masking (SpecAugment) is fine for speech recognition, whose labels are a word sequence
    with no times; here the labels *are* times. :func:`notes_heard_after_mask` gives what the
    masked audio really holds.

    Args:
        audio: ``(N,)`` float audio.
        start_s, end_s: the gap, in seconds, ``0 <= start_s < end_s``.
        fade_s: fade-out before and fade-in after the gap.
        sample_rate: of ``audio``.

    Returns:
        ``(N,)``, ``audio``'s dtype.

    Used by: hw5_basic_pitch (hear why masking breaks the labels).
    """
    audio = check_audio(audio)
    if not 0 <= start_s < end_s:
        raise ValueError(f"Expected 0 <= start_s < end_s; got {start_s}, {end_s}.")
    a, b = int(round(start_s * sample_rate)), int(round(end_s * sample_rate))
    fade = max(int(round(fade_s * sample_rate)), 1)
    gain = np.ones(len(audio))
    gain[a:b] = 0.0
    ramp = np.linspace(1.0, 0.0, fade + 1)[1:]  # reaches 0 at the gap
    before = slice(max(a - fade, 0), a)
    gain[before] = np.minimum(gain[before], ramp[fade - (before.stop - before.start):])
    after = slice(b, min(b + fade, len(audio)))
    gain[after] = np.minimum(gain[after], ramp[::-1][: after.stop - after.start])
    return (audio * gain).astype(audio.dtype, copy=False)


def notes_heard_after_mask(notes: Notes, start_s: float, end_s: float) -> Notes:
    """What the audio holds after :func:`mask_middle`: each note held across the gap becomes
    two (one ending at ``start_s``, one starting at ``end_s`` with an onset the labels lack),
    notes inside the gap vanish, notes ending or starting inside it are cut.

    Compare ``len(notes)`` with ``len(notes_heard_after_mask(notes, ...))``: the labels would
    need exactly this change, and no label transform can know which "new" onsets a listener
    (or the model) hears.

    Used by: hw5_basic_pitch (the masking non-example).
    """
    intervals, pitches, velocities = [], [], []
    for (on, off), p, v in zip(notes.intervals, notes.pitches, notes.velocities):
        pieces = [(on, min(off, start_s)), (max(on, end_s), off)]
        for a, b in pieces:
            if b > a:
                intervals.append((a, b))
                pitches.append(p)
                velocities.append(v)
    return Notes(np.array(intervals).reshape(-1, 2), np.array(pitches, int), np.array(velocities, int))


def mask_note_middle(audio, notes: Notes, index: int, fraction: float = 1 / 3,
                     sample_rate: int = AUDIO_SAMPLE_RATE) -> tuple[np.ndarray, Notes]:
    """Silence the middle ``fraction`` of note ``index`` (:func:`mask_middle`).

    Returns:
        ``(masked audio, notes heard)``: :func:`notes_heard_after_mask` of the gap, to compare with
        the unchanged labels ``notes``.

    Used by: hw5_basic_pitch (listen: one note becomes two).
    """
    if not 0 <= index < len(notes):
        raise IndexError(f"note index {index} out of range: there are {len(notes)} notes.")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1); got {fraction}.")
    on, off = notes.intervals[index]
    middle, half = (on + off) / 2, fraction * (off - on) / 2
    return mask_middle(audio, middle - half, middle + half, sample_rate=sample_rate), \
        notes_heard_after_mask(notes, middle - half, middle + half)




def random_reverb(room_size=(0.2, 0.8), wet_level=(0.1, 0.4)) -> Transform:
    """A transform applying :func:`reverb` with a room drawn uniformly from the ranges.

    Used by: hw5_basic_pitch (training with augmentation), ``bench/hw5_basic_pitch.py``.
    """
    def transform(audio, labels, rng):
        wet = float(rng.uniform(*wet_level))
        return reverb(audio, float(rng.uniform(*room_size)), wet, 1.0 - wet), labels

    return transform


def random_eq(gain_db: float = 9.0, peak_hz=(300.0, 3000.0)) -> Transform:
    """A transform applying :func:`equalize` with every band's gain drawn from +-``gain_db``.

    Used by: hw5_basic_pitch (training with augmentation), ``bench/hw5_basic_pitch.py``.
    """
    def transform(audio, labels, rng):
        low, mid, high = rng.uniform(-gain_db, gain_db, size=3)
        hz = float(np.exp(rng.uniform(np.log(peak_hz[0]), np.log(peak_hz[1]))))
        return equalize(audio, float(low), float(mid), float(high), peak_hz=hz), labels

    return transform


def noise_transform(add_noise: Callable, snr_db=(10.0, 30.0)) -> Transform:
    """A transform from the students' ``add_noise(audio, snr_db, rng)``, SNR drawn from the range.

    Used by: hw5_basic_pitch (training with augmentation).
    """
    return lambda audio, labels, rng: (add_noise(audio, float(rng.uniform(*snr_db)), rng), labels)


def transpose_transform(transpose: Callable, max_semitones: int = 2) -> Transform:
    """A transform from the students' ``transpose(audio, labels, semitones)``, shift drawn from
    ``-max_semitones .. max_semitones`` without 0.

    Used by: hw5_basic_pitch (training with augmentation).
    """
    shifts = [s for s in range(-max_semitones, max_semitones + 1) if s]

    def transform(audio, labels, rng):
        return transpose(audio, labels, int(rng.choice(shifts)))

    return transform


def mix_transform(mix: Callable, source: Callable = drum_loop, gain_db=(-18.0, -6.0)) -> Transform:
    """A transform from the students' ``mix(audio, other, gain_db)``: mixes in
    ``source(len(audio), rng)`` (default :func:`drum_loop`) at a gain drawn from the range.

    Used by: hw5_basic_pitch (training with augmentation).
    """
    return lambda audio, labels, rng: (mix(audio, source(len(audio), rng), float(rng.uniform(*gain_db))), labels)


def batch_augmentation(transforms: Sequence[Transform], probability: float = 0.5) -> Callable:
    """The per-batch callback of ``course.hw5_basic_pitch.training.train`` from window transforms.

    Each window of the batch goes through each transform, independently with ``probability``,
    in the given order; audio and labels are converted to numpy for the transforms and back to
    the batch's tensors. Windows no transform touched keep their exact audio, so the trainer
    reuses their cached CQT.

    Args:
        transforms: ``transform(audio (N,), labels {"contour", "note", "onset"} numpy, rng) ->
            (audio, labels)``, e.g. :func:`random_reverb`, :func:`noise_transform` ``(add_noise)``.
        probability: of each transform, per window.

    Returns:
        ``augment(batch, rng) -> batch``: ``batch`` holds ``"audio"`` ``(B, N)`` and the labels
        ``(B, T, bins)`` as torch tensors; the result has the same keys, shapes and dtypes.

    Used by: hw5_basic_pitch, ``bench/hw5_basic_pitch.py``.
    """
    import torch

    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must lie in [0, 1]; got {probability}.")
    transforms = list(transforms)

    def augment(batch: dict, rng: np.random.Generator) -> dict:
        out = {key: (value.clone() if torch.is_tensor(value) else value) for key, value in batch.items()}
        for row in range(len(batch["audio"])):
            chosen = [t for t in transforms if rng.random() < probability]
            if not chosen:
                continue
            audio = batch["audio"][row].numpy()
            labels = {key: batch[key][row].numpy() for key in LABEL_BINS_PER_SEMITONE if key in batch}
            for transform in chosen:
                audio, labels = transform(audio, labels, rng)
            audio = check_audio(audio, "a transform's audio")
            if audio.shape != tuple(batch["audio"].shape[1:]):
                raise ValueError(
                    f"A transform changed the window's length from {batch['audio'].shape[1]} to {len(audio)} "
                    "samples: augmentation must keep the length (crop or pad back)."
                )
            out["audio"][row] = torch.as_tensor(np.asarray(audio, np.float32))
            for key, value in labels.items():
                out[key][row] = torch.as_tensor(np.asarray(value)).to(out[key].dtype)
        return out

    return augment
