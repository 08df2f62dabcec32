"""data_scripts: the MAESTRO-layout loader (on a hand-made mini MAESTRO) and the piano set builder."""
import json
import pathlib
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from course.audio import resample
from course.notes import Notes
from course.profiles import current
from data_scripts import build, piano
from data_scripts.maestro import MaestroDataset, read_metadata, verify
from data_scripts.manifest import INCOMPLETE_MARKER, IncompleteDatasetError, is_complete

MINI = pathlib.Path(__file__).parent / "fixtures" / "maestro_mini"
REAL_MAESTRO_HEADER = "canonical_composer,canonical_title,split,year,midi_filename,audio_filename,duration"


# ---- the loader on a mini MAESTRO ----------------------------------------------------------------


def test_fixture_has_maestro_layout_and_splits():
    assert (MINI / "maestro-v3.0.0.csv").read_text().splitlines()[0] == REAL_MAESTRO_HEADER
    rows = read_metadata(MINI)
    assert [r["split"] for r in rows] == ["train", "validation", "test"]
    assert rows[0]["canonical_title"] == "Mini Sonata in C, Op. 0"  # quoted in the csv
    assert {r["year"] for r in rows} == {2004, 2018} and all(isinstance(r["duration"], float) for r in rows)
    for split in ("train", "validation", "test"):
        assert len(MaestroDataset(MINI, split)) == 1
    assert len(MaestroDataset(MINI, ["train", "test"])) == 2
    for r in rows:  # real MAESTRO-like audio: stereo at 44.1 / 48 kHz
        info = sf.info(str(MINI / r["audio_filename"]))
        assert info.channels == 2 and info.samplerate in (44100, 48000)


def test_json_metadata_is_read_without_the_csv(tmp_path):
    root = tmp_path / "maestro"
    shutil.copytree(MINI, root)
    (root / "maestro-v3.0.0.csv").unlink()
    assert read_metadata(root) == read_metadata(MINI)


def test_audio_is_resampled_to_16k_mono_and_frames_are_n_over_hop():
    for hop in (512, 256):
        ds = MaestroDataset(MINI, ["train", "validation", "test"], hop_length=hop)
        for i, row in enumerate(ds.rows):
            item = ds[i]
            stereo, sr = sf.read(str(MINI / row["audio_filename"]), dtype="float32")
            expected = resample(stereo.mean(axis=1), sr, 16000)
            assert item["audio"].ndim == 1 and item["audio"].dtype == torch.float32
            assert len(item["audio"]) == len(expected) == int(np.ceil(len(stereo) * 16000 / sr))
            np.testing.assert_allclose(item["audio"].numpy(), expected, atol=1e-6)
            n_frames = len(item["audio"]) // hop
            for key in ("onset", "offset", "frame", "velocity"):
                assert tuple(item[key].shape) == (n_frames, 88)


def test_sustain_pedal_lengthens_the_pedalled_note():
    with_pedal = MaestroDataset(MINI, "validation")[0]
    without = MaestroDataset(MINI, "validation", sustain=False)[0]
    c4 = with_pedal["notes"].pitches == 60
    assert without["notes"].intervals[c4, 1] == pytest.approx([0.15])  # key released ...
    assert with_pedal["notes"].intervals[c4, 1] == pytest.approx([0.60])  # ... pedal held it to 0.6
    # E4 struck twice under the pedal: the first sounds until the second, not to the release
    e4 = with_pedal["notes"].intervals[with_pedal["notes"].pitches == 64]
    np.testing.assert_allclose(e4, [[0.20, 0.40], [0.40, 0.60]], atol=1e-6)
    assert with_pedal["frame"][:, 60 - 21].sum() > without["frame"][:, 60 - 21].sum()
    # a file without pedal is unchanged
    a, b = MaestroDataset(MINI, "train")[0]["notes"], MaestroDataset(MINI, "train", sustain=False)[0]["notes"]
    assert np.array_equal(a.intervals, b.intervals)


def test_crops_are_seeded_aligned_and_match_the_whole_piece():
    def starts(seed):
        ds = MaestroDataset(MINI, "train", sequence_length=2048, seed=seed)
        return [ds[0]["start"] for _ in range(12)]

    assert starts(3) == starts(3) and starts(3) != starts(4)
    crops = MaestroDataset(MINI, "train", sequence_length=2048, seed=3)
    whole = MaestroDataset(MINI, "train")[0]
    for _ in range(5):
        item = crops[0]
        s = item["start"]
        assert s % 512 == 0 and tuple(item["audio"].shape) == (2048,) and tuple(item["frame"].shape) == (4, 88)
        assert "notes" not in item
        assert np.array_equal(item["audio"].numpy(), whole["audio"][s : s + 2048].numpy())
        assert np.array_equal(item["frame"].numpy(), whole["frame"][s // 512 : s // 512 + 4].numpy())
    # a crop longer than the piece is zero-padded, its labels too
    long = MaestroDataset(MINI, "test", sequence_length=512 * 40)[0]
    assert long["start"] == 0 and long["audio"].shape[0] == 512 * 40 and long["frame"][-5:].sum() == 0


def test_loader_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="run.sh data"):
        read_metadata(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="maestro-v3.0.0.csv"):
        read_metadata(tmp_path)
    with pytest.raises(ValueError, match="split"):
        MaestroDataset(MINI, "dev")
    with pytest.raises(ValueError, match="multiple of hop_length"):
        MaestroDataset(MINI, "train", sequence_length=1000)


# ---- the embedded piano set ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ci_builds(tmp_path_factory):
    """The ci set built twice, once with one process and once with two."""
    base = tmp_path_factory.mktemp("piano")
    a = piano.build_piano_dataset(base / "a", "ci", seed=0)
    b = piano.build_piano_dataset(base / "b", "ci", seed=0, workers=2)
    return a, b


def test_ci_build_is_byte_identical_and_idempotent(ci_builds):
    a, b = ci_builds
    assert is_complete(a) and is_complete(b)
    manifest_a, manifest_b = (json.loads((r / "manifest.json").read_text()) for r in (a, b))
    assert manifest_a == manifest_b and manifest_a["profile"] == "ci" and manifest_a["seed"] == 0
    for name in ("manifest.json", "maestro-v3.0.0.csv", "maestro-v3.0.0.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    stamp = (a / "manifest.json").stat().st_mtime_ns
    assert piano.build_piano_dataset(a, "ci", seed=0) == a  # already complete: nothing redone
    assert (a / "manifest.json").stat().st_mtime_ns == stamp
    assert not list(a.parent.glob("*.partial-*"))
    with pytest.raises(FileExistsError, match="--force"):
        piano.build_piano_dataset(a, "ci", seed=1)


def test_ci_build_has_the_profile_sizes_and_sound_labels(ci_builds):
    root = ci_builds[0]
    assert (root / "maestro-v3.0.0.csv").read_text().splitlines()[0] == REAL_MAESTRO_HEADER
    rows = read_metadata(root)
    sizes = current("ci").data.piano
    per_split = {s: [r for r in rows if r["split"] == s] for s in ("train", "validation", "test")}
    assert len(per_split["train"]) == sizes.n_train_pieces * sizes.train_renditions
    assert len(per_split["validation"]) == sizes.n_validation_pieces and len(per_split["test"]) == sizes.n_test_pieces
    titles = {s: {r["canonical_title"] for r in rs} for s, rs in per_split.items()}
    assert not (titles["train"] & titles["test"]) and not (titles["train"] & titles["validation"])
    assert verify(root) == 2 * len(rows) + 2  # wav + midi per row, the csv and the json
    ds = MaestroDataset(root, "test")
    for i, row in enumerate(ds.rows):
        item = ds[i]
        notes = Notes.from_midi(root / row["midi_filename"])
        assert np.array_equal(item["notes"].intervals, notes.intervals)  # labels = the MIDI
        assert notes.pitches.min() >= 21 and notes.pitches.max() <= 108
        assert 30 <= notes.velocities.min() and notes.velocities.max() <= 120
        assert notes.intervals[:, 0].max() < sizes.max_seconds
        for p in np.unique(notes.pitches):  # one key never sounds twice at once
            iv = notes.intervals[notes.pitches == p]
            assert np.all(iv[1:, 0] >= iv[:-1, 1])
        info = sf.info(str(root / row["audio_filename"]))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        audio = item["audio"].numpy()
        first = int(notes.intervals[0, 0] * 16000)
        # silence before the first onset, sound right after it: audio and labels line up
        assert np.abs(audio[: first - 160]).max() < 1e-3 and np.abs(audio[first : first + 1600]).max() > 0.05


def test_unfinished_builds_are_never_read(ci_builds, tmp_path, monkeypatch):
    partial = tmp_path / "piano.partial-4242"
    shutil.copytree(ci_builds[0], partial)
    (partial / "manifest.json").unlink()
    assert not is_complete(partial)
    with pytest.raises(IncompleteDatasetError, match="not finished"):
        MaestroDataset(partial, "train")
    marked = tmp_path / "piano"
    shutil.copytree(ci_builds[0], marked)
    (marked / INCOMPLETE_MARKER).touch()
    assert not is_complete(marked)
    with pytest.raises(FileNotFoundError, match="not finished"):
        read_metadata(marked)

    # a build that dies before its manifest leaves neither the set nor its partial folder
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "write_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        piano.build_piano_dataset(tmp_path / "crashed", "ci")
    assert not (tmp_path / "crashed").exists() and not list(tmp_path.glob("crashed.partial-*"))


def test_missing_fluidsynth_fails_first(tmp_path, monkeypatch):
    def missing():
        raise RuntimeError("The FluidSynth system library is missing")

    monkeypatch.setattr(build, "check_fluidsynth", missing)
    with pytest.raises(RuntimeError, match="FluidSynth"):
        piano.build_piano_dataset(tmp_path / "piano", "ci")
    assert not list(tmp_path.iterdir())


def test_verify_and_loader_name_deleted_or_corrupt_files(ci_builds, tmp_path):
    root = tmp_path / "piano"
    shutil.copytree(ci_builds[0], root)
    rows = read_metadata(root)
    deleted, corrupted = rows[0]["audio_filename"], rows[1]["audio_filename"]
    (root / deleted).unlink()
    with pytest.raises(FileNotFoundError, match=deleted.split("/")[-1]) as err:
        verify(root)
    assert "--force" in str(err.value)
    with pytest.raises(FileNotFoundError, match=deleted.split("/")[-1]):
        MaestroDataset(root, rows[0]["split"])
    shutil.copy(ci_builds[0] / deleted, root / deleted)
    (root / corrupted).write_bytes(b"RIFF but not really a wav file")
    with pytest.raises(ValueError, match=corrupted.split("/")[-1]):
        verify(root)
    with pytest.raises(ValueError, match=corrupted.split("/")[-1]):
        MaestroDataset(root, rows[1]["split"])


def test_force_rebuilds_in_place_and_cli_summarises(ci_builds, tmp_path, capsys):
    root = tmp_path / "piano"
    shutil.copytree(ci_builds[0], root)
    piano.build_piano_dataset(root, "ci", seed=1, force=True)
    assert json.loads((root / "manifest.json").read_text())["seed"] == 1 and is_complete(root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["piano"]  # no .old / .partial left
    piano.main(["--profile", "ci", "--seed", "1", "--root", str(root)])  # already built: instant
    line = capsys.readouterr().out.strip()
    assert line.startswith("piano (ci, seed 1)") and "train 3 pieces" in line and str(root) in line


def test_a_set_from_an_older_builder_is_rebuilt(ci_builds, tmp_path):
    a, _ = ci_builds
    old = tmp_path / "piano"
    shutil.copytree(a, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["builder_version"] = piano.BUILDER_VERSION - 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    piano.build_piano_dataset(old, "ci", seed=0)
    assert (old / "manifest.json").read_bytes() == (a / "manifest.json").read_bytes()
