"""course.audio: file round trips, resampling, the one audio check, the errors students meet."""
import hashlib

import librosa
import numpy as np
import pytest
import torch

from course.audio import load_audio, resample, save_audio


def chord(sample_rate: int, num_samples: int, seed: int = 0) -> np.ndarray:
    """An A-major chord (A3, C#4, E4, A4) plus a little white noise, float32 in [-1, 1]."""
    t = np.arange(num_samples) / sample_rate
    rng = np.random.default_rng(seed)
    tones = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63, 440.0)) / 8
    return (tones + 0.01 * rng.standard_normal(num_samples)).astype(np.float32)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- load / save ---------------------------------------------------------------------------------

def test_round_trip_mono(tmp_path):
    audio = chord(16000, 8000)
    path = save_audio(tmp_path / "a.wav", audio, 16000)
    loaded, sr = load_audio(path)
    assert sr == 16000 and loaded.dtype == np.float32 and loaded.shape == audio.shape
    assert np.abs(loaded - audio).max() <= 1.0 / 32767  # PCM_16 quantisation


def test_round_trip_stereo_flac_and_torch(tmp_path):
    audio = np.stack([chord(16000, 4000, seed=1), -chord(16000, 4000, seed=2) * 0.5])
    path = save_audio(tmp_path / "deep" / "er" / "b.flac", torch.from_numpy(audio), 16000)  # makes parents
    stereo, sr = load_audio(path, mono=False)
    assert sr == 16000 and stereo.shape == (2, 4000)
    assert np.abs(stereo - audio).max() <= 1.0 / 32767
    mono, _ = load_audio(path)
    np.testing.assert_allclose(mono, stereo.mean(axis=0), atol=1e-7)


@pytest.mark.parametrize("name, subtype", [("a.wav", "PCM_16"), ("a.flac", "PCM_16"), ("a.wav", "FLOAT")])
def test_save_is_byte_for_byte_deterministic(tmp_path, name, subtype):
    audio = chord(16000, 4000)
    first = digest(save_audio(tmp_path / "1" / name, audio, 16000, subtype=subtype))
    second = digest(save_audio(tmp_path / "2" / name, audio, 16000, subtype=subtype))
    assert first == second
    if subtype == "FLOAT":  # libsndfile's PEAK chunk carries a wall-clock stamp: it must be zeroed
        data = (tmp_path / "1" / name).read_bytes()
        at = data.find(b"PEAK")
        assert at >= 0 and data[at + 12 : at + 16] == b"\0\0\0\0"


def test_load_with_sample_rate_resamples(tmp_path):
    path = save_audio(tmp_path / "a.wav", chord(16000, 16000), 16000)
    audio, sr = load_audio(path, sample_rate=22050)
    assert sr == 22050 and audio.shape == (22050,) and audio.dtype == np.float32


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav") as err:
        load_audio(path)
    assert str(path) in str(err.value) and "run.sh data" in str(err.value)


def test_corrupt_file_is_a_value_error(tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"this is not audio" * 10)
    with pytest.raises(ValueError, match="corrupt.wav"):
        load_audio(path)


def test_save_refuses_nan_and_inf(tmp_path):
    audio = chord(16000, 100)
    audio[17] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        save_audio(tmp_path / "a.wav", audio, 16000)
    audio[17] = np.inf
    with pytest.raises(ValueError, match="index 17"):
        save_audio(tmp_path / "a.wav", audio, 16000)
    assert not (tmp_path / "a.wav").exists()


def test_save_refuses_clipping_and_says_by_how_much(tmp_path):
    audio = np.zeros(100, np.float32)
    audio[3] = -1.5
    with pytest.raises(ValueError, match=r"1\.5.*0\.5 beyond.*Normalise"):
        save_audio(tmp_path / "a.wav", audio, 16000)
    save_audio(tmp_path / "ok.wav", np.clip(audio, -1, 1), 16000)  # exactly full scale is fine


@pytest.mark.parametrize("sample_rate", [0, -16000, 16000.5, "16000", None])
def test_save_refuses_a_bad_sample_rate(tmp_path, sample_rate):
    with pytest.raises(ValueError, match="positive whole number"):
        save_audio(tmp_path / "a.wav", np.zeros(10), sample_rate)


def test_save_refuses_samples_first_and_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="audio.T"):
        save_audio(tmp_path / "a.wav", np.zeros((1000, 2)), 16000)
    with pytest.raises(ValueError, match="batch"):
        save_audio(tmp_path / "a.wav", np.zeros((1, 2, 100)), 16000)
    with pytest.raises(ValueError, match="extension"):
        save_audio(tmp_path / "a.xyz", np.zeros(100), 16000)
    with pytest.raises(ValueError, match="32768"):
        save_audio(tmp_path / "a.wav", np.zeros(100, np.int16), 16000)


# ---- resampling ----------------------------------------------------------------------------------

def test_resample_length_and_pitch():
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 440.0 * t).astype(np.float32)
    out = resample(tone, 16000, 22050)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (22050,)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    assert abs(np.argmax(spectrum) * 22050 / len(out) - 440.0) < 1.5  # the pitch stays put


def test_resample_torch_batch_and_ratio():
    x = torch.randn(3, 2, 4410, generator=torch.Generator().manual_seed(0))
    out = resample(x, 44100, 16000)
    assert isinstance(out, torch.Tensor) and out.shape == (3, 2, 1600)
    assert resample(x, 22050, 22050) is x
    with pytest.raises(ValueError, match="target_sr"):
        resample(x, 22050, 0)
    with pytest.raises(ValueError, match="32768"):
        resample(np.zeros(100, np.int16), 16000, 22050)
