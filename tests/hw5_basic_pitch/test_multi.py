"""data_scripts.multi: the embedded multi-instrument set of hw5_basic_pitch (builder and loader)."""
import json
import shutil

import numpy as np
import pretty_midi
import pytest

from course.notes import Notes, synthesize
from course import constants as C
from data_scripts import multi
from data_scripts.corpus import choose_pieces
from data_scripts.maestro import MaestroDataset, read_metadata, verify
from data_scripts.manifest import INCOMPLETE_MARKER, SPLITS, IncompleteDatasetError, is_complete
from data_scripts.multi_dataset import MultiInstrumentDataset

ALLOWED_PROGRAMS = {0, 24, 25, 40, 41, 42, 48, 73, 19, 52, 53, 54}


@pytest.fixture(scope="module")
def ci_builds(tmp_path_factory):
    """The ci set built twice, once with one process and once with two."""
    base = tmp_path_factory.mktemp("multi")
    a = multi.build_multi_dataset(base / "a", "ci", seed=0, workers=1)
    b = multi.build_multi_dataset(base / "b", "ci", seed=0, workers=2)
    return a, b


def test_label_frames_match_the_cqt():
    import torch

    from course.features import BasicPitchCQT

    assert (C.N_FREQ_BINS_CONTOURS, C.AUDIO_N_SAMPLES, C.ANNOT_N_FRAMES) == (264, 43844, 172)
    front = BasicPitchCQT()
    for n in (C.AUDIO_N_SAMPLES, C.AUDIO_N_SAMPLES + 255, 50000):
        assert front(torch.zeros(n)).shape[0] == multi.n_frames_for_samples(n)


def test_build_is_byte_identical_and_idempotent(ci_builds):
    a, b = ci_builds
    assert is_complete(a) and is_complete(b)
    manifest = json.loads((a / "manifest.json").read_text())
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()  # sha256 of every file
    assert manifest["dataset"] == "multi" and manifest["sample_rate"] == 22050 and manifest["profile"] == "ci"
    assert verify(a) == len(manifest["files"]) == 3 * len(read_metadata(a)) + 2  # midi, wav, npz; csv, json
    stamp = (a / "manifest.json").stat().st_mtime_ns
    assert multi.build_multi_dataset(a, "ci", seed=0) == a  # already complete: nothing redone
    assert (a / "manifest.json").stat().st_mtime_ns == stamp
    with pytest.raises(FileExistsError, match="--force"):
        multi.build_multi_dataset(a, "ci", seed=1)


def test_splits_are_by_piece_and_never_meet_the_piano_sets_other_splits(ci_builds):
    from course.profiles import current

    rows = read_metadata(ci_builds[0])
    sizes = current("ci").data.multi
    titles = {s: {r["canonical_title"] for r in rows if r["split"] == s} for s in SPLITS}
    assert [len(titles[s]) for s in SPLITS] == [sizes.n_train_pieces, sizes.n_validation_pieces, sizes.n_test_pieces]
    assert sum(r["split"] == "train" for r in rows) == sizes.n_train_pieces * sizes.train_renditions
    assert not (titles["train"] & titles["validation"]) and not (titles["train"] & titles["test"])
    assert not (titles["validation"] & titles["test"])
    # the pools are the piano set's: the larger profiles' piano test pieces are never multi training pieces
    for profile in ("cpu", "gpu"):
        m, p = current(profile).data.multi, current(profile).data.piano
        multi_pieces = choose_pieces(m.n_train_pieces, m.n_validation_pieces, m.n_test_pieces, 0, "multi")
        piano_pieces = choose_pieces(p.n_train_pieces, p.n_validation_pieces, p.n_test_pieces, 0)
        train = {x.slug for x in multi_pieces["train"]}
        assert not train & {x.slug for s in ("validation", "test") for x in piano_pieces[s]}


def test_several_instruments_per_piece_with_bends_in_the_midi(ci_builds):
    root = ci_builds[0]
    for row in read_metadata(root):
        pm = pretty_midi.PrettyMIDI(str(root / row["midi_filename"]))
        with np.load(root / row["midi_filename"].replace(".midi", ".npz")) as z:
            programs = z["programs"].tolist()
        assert programs == [inst.program for inst in pm.instruments]
        assert set(programs) <= ALLOWED_PROGRAMS
        assert len({multi.FAMILY_OF_PROGRAM[p].name for p in programs}) >= 2
        for inst in pm.instruments:
            family = multi.FAMILY_OF_PROGRAM[inst.program]
            ccs = [(c.number, c.value) for c in inst.control_changes]
            assert ccs[:4] == [(101, 0), (100, 0), (6, 2), (38, 0)]  # RPN 0: bend range +-2 semitones
            assert inst.pitch_bends[0].time == 0 and inst.pitch_bends[0].pitch == 0
            if family.vibrato and any(n.end - n.start >= multi.VIBRATO_MIN_S for n in inst.notes):
                assert len(inst.pitch_bends) > 50  # vibrato
            for lane_note, next_note in zip(inst.notes[:-1], inst.notes[1:]):  # a lane is monophonic
                assert next_note.start >= lane_note.end - multi.LANE_OVERLAP_S - 1e-6


def test_split_lanes_separates_chords_and_keeps_legato():
    lanes = multi.split_lanes(np.array([[0.0, 1.0], [0.0, 0.5], [0.98, 2.0], [0.5, 1.0], [2.0, 3.0]]))
    assert lanes.tolist() == [0, 1, 0, 1, 0]


def test_labels_line_up_with_the_audio_and_the_notes(ci_builds):
    import librosa

    ds = MultiInstrumentDataset(ci_builds[0], "train")
    moved = 0
    for i in range(len(ds)):
        p = ds.piece(i)
        n_frames = 1 + len(p.audio) // 256
        assert p.audio.dtype == np.float32 and 0.85 < np.abs(p.audio).max() <= 0.9 + 1e-4  # peak 0.9
        assert p.contour.shape == (n_frames, 264) and p.note.shape == p.onset.shape == (n_frames, 88)
        for labels in (p.contour, p.note, p.onset):
            assert labels.dtype == np.float32 and set(np.unique(labels)) <= {0.0, 1.0}
        # labels = the MIDI's notes
        midi = ds.root / ds.rows[i]["midi_filename"]
        assert np.array_equal(p.notes.intervals, Notes.from_midi(midi).intervals)
        # onsets: the spectral flux correlates best with the onset count at lag 0 (+-1 frame)
        mag = np.log1p(100 * np.abs(librosa.stft(p.audio, n_fft=1024, hop_length=256, center=True)))
        flux = np.maximum(np.diff(mag, axis=1, prepend=mag[:, :1]), 0).sum(0)[:n_frames]
        count = p.onset.sum(1)[: len(flux)]
        lags = np.arange(-6, 7)
        best = lags[np.argmax([np.dot(np.roll(count, lag), flux) for lag in lags])]
        assert abs(best) <= 1, f"{p.title}: onsets best align with the audio at lag {best} frames"
        # contour: every active bin lies within the bend range (+-6 bins) of a sounding note, and
        # every sounding note has a contour bin there
        nominal = 3 * np.arange(88)
        for t in range(n_frames):
            keys, bins = np.flatnonzero(p.note[t]), np.flatnonzero(p.contour[t])
            if len(bins):
                assert len(keys) and np.abs(bins[:, None] - nominal[keys][None]).min(1).max() <= 6
            if len(keys):
                assert len(bins) and np.abs(bins[:, None] - nominal[keys][None]).min(0).max() <= 6
            moved += int(np.setdiff1d(bins, nominal[keys]).size)
    assert moved > 0.1 * sum(ds.piece(i).note.sum() for i in range(len(ds)))  # contours really move


def test_fluidsynth_renders_the_bends_the_labels_hold():
    """pYIN follows the written bend curve (vibrato, scoops) and not a flat note."""
    import librosa

    notes = Notes([[0.3, 2.3]], [69], [90])
    for program in (73, 40, 53):  # flute, violin, voice oohs
        pm = multi.ensemble_midi(notes, np.array([0]), {0: program}, np.random.default_rng(4))
        inst = pm.instruments[0]
        times = np.array([b.time for b in inst.pitch_bends])
        values = np.array([b.pitch for b in inst.pitch_bends])
        corr = []
        for with_bends in (True, False):
            if not with_bends:
                inst.pitch_bends = inst.pitch_bends[:1]
            audio = synthesize(pm, C.AUDIO_SAMPLE_RATE)
            f0, _, _ = librosa.pyin(audio, fmin=300, fmax=700, sr=C.AUDIO_SAMPLE_RATE, frame_length=1024, hop_length=256)
            t = np.arange(len(f0)) / C.CQT_FRAME_RATE
            true = 69 + values[np.searchsorted(times, t, side="right") - 1] / 8192 * multi.PITCH_BEND_RANGE
            keep = (t > 0.45) & (t < 2.2) & ~np.isnan(f0)
            estimate = librosa.hz_to_midi(f0[keep])
            corr.append(np.corrcoef(estimate, true[keep])[0, 1])
            if with_bends:
                assert np.ptp(true[keep]) > 0.4  # the curve moves by more than 40 cents
                error = estimate - true[keep]
                assert np.sqrt(np.mean((error - np.median(error)) ** 2)) < 0.15  # within 15 cents
                # the labels hold the same curve, to the bin
                labels = multi.labels_from_midi(pm, multi.n_frames_for_samples(len(audio)))
                frames = np.flatnonzero(keep)
                label_bins = labels["contour"][frames].argmax(1)
                assert np.array_equal(label_bins, np.round(3 * (true[keep] - 21)))
                assert np.mean(np.abs(3 * (estimate - 21) - label_bins) <= 1) > 0.9
        assert corr[0] > 0.85 and abs(corr[1]) < 0.5, (program, corr)


def test_windows_are_seeded_aligned_and_shaped(ci_builds):
    ds = MultiInstrumentDataset(ci_builds[0], "train", seed=3)
    assert (ds.sample_rate, ds.hop_length, ds.frame_rate) == (22050, 256, 22050 / 256)
    batch = ds.random_windows(5)
    assert tuple(batch["audio"].shape) == (5, 43844) and tuple(batch["contour"].shape) == (5, 172, 264)
    assert tuple(batch["note"].shape) == tuple(batch["onset"].shape) == (5, 172, 88)
    again = MultiInstrumentDataset(ci_builds[0], "train", seed=3).random_windows(5)
    assert batch["start_frame"].tolist() == again["start_frame"].tolist()
    assert batch["index"].tolist() == again["index"].tolist()
    for b in range(5):
        i, f = int(batch["index"][b]), int(batch["start_frame"][b])
        item, piece = ds.window(i, f), ds.piece(i)
        assert tuple(item["audio"].shape) == (43844,) and tuple(item["contour"].shape) == (172, 264)
        assert tuple(item["note"].shape) == tuple(item["onset"].shape) == (172, 88)
        assert np.array_equal(item["audio"].numpy(), piece.audio[256 * f : 256 * f + 43844])
        assert np.array_equal(item["contour"].numpy(), piece.contour[f : f + 172])
        assert np.array_equal(batch["note"][b].numpy(), piece.note[f : f + 172])
    tail = ds.window(0, len(ds.piece(0).note) - 10)  # past the end: zero-padded
    assert tail["note"][10:].sum() == 0 and tail["audio"][-1000:].abs().sum() == 0
    # the MAESTRO loader reads the same folder (audio and notes)
    maestro = MaestroDataset(ci_builds[0], "test", sample_rate=22050, hop_length=256)
    assert np.allclose(maestro[0]["audio"].numpy(), MultiInstrumentDataset(ci_builds[0], "test").piece(0).audio)


def test_loader_errors_say_how_to_build(ci_builds, tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m data_scripts build --profile"):
        MultiInstrumentDataset(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split"):
        MultiInstrumentDataset(ci_builds[0], "dev")
    partial = tmp_path / "multi.partial-4242"
    shutil.copytree(ci_builds[0], partial)
    with pytest.raises(IncompleteDatasetError, match="not finished"):
        MultiInstrumentDataset(partial)
    marked = tmp_path / "marked"
    shutil.copytree(ci_builds[0], marked)
    (marked / INCOMPLETE_MARKER).touch()
    with pytest.raises(IncompleteDatasetError, match="data_scripts.multi --profile ci --seed 0 --force"):
        MultiInstrumentDataset(marked)
    broken = tmp_path / "broken"
    shutil.copytree(ci_builds[0], broken)
    row = read_metadata(broken)[0]
    labels = row["audio_filename"].replace(".wav", ".npz")
    (broken / labels).unlink()
    with pytest.raises(FileNotFoundError, match=labels.split("/")[-1]) as err:
        MultiInstrumentDataset(broken, row["split"])
    assert f"--root {broken}" in str(err.value)


def test_build_command_builds_both_sets():
    from data_scripts import piano
    from data_scripts.__main__ import BUILDERS

    assert multi.build_multi_dataset in BUILDERS
    assert piano.build_piano_dataset in BUILDERS
