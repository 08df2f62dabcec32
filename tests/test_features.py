"""course.features: the log-mel front end and Basic Pitch's CQT against librosa, normalised log, stacking."""
import librosa
import numpy as np
import pytest
import torch

from course import constants as C
from course.features import BasicPitchCQT, LogMel, harmonic_shifts, harmonic_stacking, log_mel, n_frames, normalized_log

SR = C.AUDIO_SAMPLE_RATE


def chord(num_samples: int = 2 * SR, seed: int = 0, sample_rate: int = SR) -> np.ndarray:
    """An A-major chord (A3, C#4, E4, A4) plus a little white noise, float32 in [-1, 1]."""
    t = np.arange(num_samples) / sample_rate
    rng = np.random.default_rng(seed)
    tones = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63, 440.0)) / 8
    return (tones + 0.01 * rng.standard_normal(num_samples)).astype(np.float32)


@pytest.fixture(scope="module")
def magnitude():
    return BasicPitchCQT(log_normalize=False)


def test_constants_match_basic_pitch():
    assert (C.AUDIO_N_SAMPLES, C.ANNOT_N_FRAMES, C.ANNOTATIONS_FPS) == (43844, 172, 86)
    assert (C.N_FREQ_BINS_CONTOURS, C.N_FREQ_BINS_NOTES) == (264, 88)
    assert (C.MAX_N_SEMITONES, C.N_CQT_BINS) == (103, 309)
    assert C.HARMONICS == (0.5, 1, 2, 3, 4, 5, 6, 7)


def test_shapes_of_a_training_batch():
    audio = torch.randn(2, C.AUDIO_N_SAMPLES, generator=torch.Generator().manual_seed(0)) * 0.1
    cqt = BasicPitchCQT()(audio)
    assert cqt.shape == (2, C.ANNOT_N_FRAMES, C.N_CQT_BINS)  # (B, 172, 309), time first
    # normalised log: every example spans exactly [0, 1]
    assert torch.allclose(cqt.amin(dim=(1, 2)), torch.zeros(2))
    assert torch.allclose(cqt.amax(dim=(1, 2)), torch.ones(2))
    stacked = harmonic_stacking(cqt)
    assert stacked.shape == (2, len(C.HARMONICS), C.ANNOT_N_FRAMES, C.N_FREQ_BINS_CONTOURS)  # (B, 8, 172, 264)
    assert BasicPitchCQT()(audio[0]).shape == (C.ANNOT_N_FRAMES, C.N_CQT_BINS)  # unbatched in, unbatched out


def test_pure_tone_peaks_at_its_bin(magnitude):
    freqs = np.array([55.0, 261.63, 440.0, 1000.0, 3000.0])
    t = np.arange(C.AUDIO_N_SAMPLES) / SR
    tones = torch.from_numpy(np.sin(2 * np.pi * freqs[:, None] * t).astype(np.float32))
    peaks = magnitude(tones).mean(dim=1).argmax(dim=-1)  # time-averaged spectrum's largest bin
    expected = np.round(36 * np.log2(freqs / C.ANNOTATIONS_BASE_FREQUENCY)).astype(int)  # 36, 108, ...
    assert peaks.tolist() == expected.tolist()


@pytest.mark.filterwarnings("ignore:n_fft=256 is too large")  # librosa's lowest octaves: expected
def test_cqt_agrees_with_librosa(magnitude):
    audio = chord()
    ours = magnitude(torch.from_numpy(audio)).numpy().T  # (309, T) like librosa
    ref = np.abs(librosa.cqt(audio, sr=SR, hop_length=C.FFT_HOP, fmin=27.5, n_bins=309, bins_per_octave=36))
    assert ours.shape == ref.shape == (309, 173)
    rel_error = np.linalg.norm(ours - ref) / np.linalg.norm(ref)
    correlation = np.corrcoef(ours.ravel(), ref.ravel())[0, 1]
    assert rel_error < 0.16, rel_error  # measured 0.123
    assert correlation > 0.985, correlation  # measured 0.9924


def test_normalized_log_is_basic_pitchs_formula():
    x = torch.rand(3, 20, 30, generator=torch.Generator().manual_seed(0)) * 5
    db = 10 * np.log10(x.numpy() ** 2 + 1e-10)
    low = db.min(axis=(1, 2), keepdims=True)
    expected = (db - low) / (db - low).max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(normalized_log(x).numpy(), expected, atol=1e-6)


def test_normalized_log_of_silence_is_zero_without_nan():
    x = torch.zeros(1, 5, 7, requires_grad=True)
    out = normalized_log(x)
    out.sum().backward()
    assert torch.equal(out, torch.zeros_like(out)) and torch.isfinite(x.grad).all()


def test_harmonic_shifts():
    assert harmonic_shifts() == [-36, 0, 36, 57, 72, 84, 93, 101]
    assert harmonic_shifts([1, 2], bins_per_semitone=1) == [0, 12]
    with pytest.raises(ValueError, match="positive"):
        harmonic_shifts([0, 1])


@pytest.mark.parametrize("source_bin", [0, 35, 36, 150, 263, 264, 300, 308])
def test_harmonic_stacking_moves_one_bin(source_bin):
    cqt = torch.zeros(1, 3, C.N_CQT_BINS)
    cqt[0, 1, source_bin] = 1.0
    stacked = harmonic_stacking(cqt)
    for channel, shift in enumerate(harmonic_shifts()):
        # channel c at bin f holds input bin f + shift: the source lands at source_bin - shift,
        # unless that is below bin 0 or cropped away above bin 263
        target = source_bin - shift
        image = stacked[0, channel]
        if 0 <= target < C.N_FREQ_BINS_CONTOURS:
            assert image[1, target] == 1.0 and image.sum() == 1.0, (channel, target)
        else:
            assert image.sum() == 0.0, (channel, target)


def test_harmonic_stacking_sub_harmonic_is_zero_padded_at_the_bottom():
    stacked = harmonic_stacking(torch.ones(1, 2, C.N_CQT_BINS))
    half = stacked[0, 0]  # h = 0.5, shift -36
    assert half[:, :36].abs().sum() == 0 and torch.all(half[:, 36:] == 1)
    seventh = stacked[0, -1]  # h = 7, shift 101: bins 208.. would need input bins past 308
    assert torch.all(seventh[:, :208] == 1) and seventh[:, 208:].abs().sum() == 0


def test_harmonic_stacking_input_errors():
    with pytest.raises(ValueError, match=r"\(B, T, F\)"):
        harmonic_stacking(torch.zeros(172, 309))
    with pytest.raises(ValueError, match=r"cqt\[\.\.\., 0\]"):
        harmonic_stacking(torch.zeros(1, 172, 309, 1))
    with pytest.raises(ValueError, match="264"):
        harmonic_stacking(torch.zeros(1, 309, 172)[..., :200])


@pytest.mark.parametrize(
    "audio, message",
    [
        (torch.zeros(2, 1, C.AUDIO_N_SAMPLES), r"audio\[:, 0\]"),
        (torch.zeros(C.AUDIO_N_SAMPLES, dtype=torch.int16), "float"),
        (torch.zeros(1, 22050), "AUDIO_N_SAMPLES"),
        (torch.full((C.AUDIO_N_SAMPLES,), float("nan")), "NaN"),
    ],
)
def test_cqt_input_errors(magnitude, audio, message):
    with pytest.raises(ValueError, match=message):
        magnitude(audio)


def test_n_frames():
    assert n_frames(102400, 512) == 201  # centred: a frame at 0, 512, ..., 102400
    assert n_frames(102400, 512, drop_last_frame=True) == 200
    assert n_frames(43844, 256) == 172


def test_log_mel_shapes():
    audio = torch.from_numpy(np.stack([chord(102400, sample_rate=16000), chord(102400, seed=1, sample_rate=16000)]))
    assert LogMel()(audio).shape == (2, 200, 229)  # (B, T, n_mels), T = L // hop
    assert LogMel(drop_last_frame=False)(audio).shape == (2, 201, 229)
    assert LogMel()(audio[0]).shape == (200, 229)
    numpy_out = log_mel(audio[0].numpy())
    assert isinstance(numpy_out, np.ndarray) and numpy_out.shape == (200, 229) and numpy_out.dtype == np.float32
    np.testing.assert_allclose(numpy_out, LogMel()(audio[0]).numpy(), atol=1e-6)


def test_log_mel_of_silence_is_log_clamp():
    out = LogMel()(torch.zeros(1, 4096))
    assert torch.allclose(out, torch.full_like(out, np.log(1e-5)))


def test_mel_matches_librosa():
    audio = chord(102400, sample_rate=16000)
    module = LogMel(drop_last_frame=False)
    ours = module.mel(torch.from_numpy(audio)).numpy()
    ref = librosa.feature.melspectrogram(
        y=audio, sr=16000, n_fft=2048, hop_length=512, n_mels=229, fmin=30.0, fmax=8000.0,
        power=1.0, htk=False, norm="slaney", center=True, pad_mode="reflect",
    )
    assert ours.shape == ref.shape == (229, 201)
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-4  # measured 3.0e-6
    log_ref = np.log(np.maximum(ref, 1e-5)).T
    assert np.abs(module(torch.from_numpy(audio)).numpy() - log_ref).max() < 1e-3  # measured 3.1e-5


@pytest.mark.parametrize(
    "audio, message",
    [
        (torch.zeros(2, 1, 4096), "mean"),
        (torch.zeros(4096, dtype=torch.int16), "float"),
        (torch.zeros(1000), "n_fft // 2"),
        (torch.full((4096,), float("nan")), "NaN"),
    ],
)
def test_log_mel_input_errors(audio, message):
    with pytest.raises(ValueError, match=message):
        LogMel()(audio)


def test_log_mel_refuses_f_max_above_nyquist():
    with pytest.raises(ValueError, match="Nyquist"):
        LogMel(sample_rate=8000, f_max=8000.0)
