"""hw5 NMP: the reference layers, the given front end, windows, and Spotify's released weights.

The released model is fetched from the ``basic-pitch`` wheel (pip, no dependencies); without a
network these tests fail with the fetch's message rather than skip: the released weights are the
proof that the layers are right.
"""
import subprocess

import numpy as np
import pytest
import torch

from autograder.reference.hw5_basic_pitch.layers import NMPLayers
from course.constants import ANNOT_N_FRAMES, AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, N_CQT_BINS
from course.features import normalized_log
from course.hw5_basic_pitch import constants as K
from course.hw5_basic_pitch import inference, model, released
from data_scripts import manifest, weights
from course.hw5_basic_pitch.inference import predict_piece
from course.hw5_basic_pitch.model import NMPFrontEnd, Transcriber, same_padding
from course.notes import MIN_MIDI, Notes, synthesize
from course.training import count_parameters

SR = AUDIO_SAMPLE_RATE
LAYERS_TOL = 1e-4  # same stack in, same float32 arithmetic up to summation order: measured 1.1e-6
END_TO_END_TOL = 1e-3  # nnAudio's CQT vs its TensorFlow port inside the graph: measured 2.1e-5
CQT_TOL = 3e-3  # the log-CQTs themselves (values in [0, 1]): measured 3.0e-4
CHORD = (48, 60, 64, 67, 72)  # C3 C4 E4 G4 C5 on the General MIDI piano
FRAME_THRESHOLD = 0.3  # Basic Pitch's default frame threshold


def test_same_padding_is_tensorflows():
    # out = ceil(264 / 3) = 88; total pad = (88 - 1) * 3 + k - 264: 2 for k=5, 4 for k=7
    assert same_padding(5, 3, 264) == (1, 1)
    assert same_padding(7, 3, 264) == (2, 2)
    assert same_padding(39, 1, 172) == (19, 19)
    assert same_padding(4, 1, 10) == (1, 2)  # odd total: the extra zero goes at the end
    assert same_padding(1, 3, 9) == (0, 0)


@pytest.mark.parametrize("paper_block, n_harmonics, expected", [
    (False, 8, 16_780),  # as released: the paper's "about 17 k"
    (True, 8, 45_740),   # + the 5x5 block (6 496) and a contour conv reading 32 channels, not 8
    (False, 1, 4_628),
    (True, 1, 34_540),
])
def test_parameter_counts(paper_block, n_harmonics, expected):
    assert count_parameters(NMPLayers(n_harmonics, paper_block=paper_block)) == expected


def test_layer_shapes_logits_and_contract():
    torch.manual_seed(0)
    layers = NMPLayers().eval()
    stack = torch.rand(2, 8, ANNOT_N_FRAMES, 264)
    probs, logits = layers(stack), layers(stack, logits=True)
    model.check_outputs(probs, 2, ANNOT_N_FRAMES)
    for key in probs:
        assert torch.allclose(torch.sigmoid(logits[key]), probs[key], atol=1e-6)
    names = {name.split(".")[0] for name in layers.state_dict()}
    assert names == {"stack_block", "contour_head", "note_head", "onset_conv", "onset_out"}
    assert NMPLayers(paper_block=False).stack_block is None
    with pytest.raises(ValueError, match="permute"):
        layers(stack.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match="keys"):
        model.check_outputs({"note": probs["note"]}, 2, ANNOT_N_FRAMES)


def test_strided_convolutions_stride_frequency_and_pad_like_tensorflow():
    # A kernel that copies its centre tap: with TF's 1/1 (k=5) and 2/2 (k=7) padding, note bin j
    # reads contour bin 3j + 1, and time is not strided.
    layers = NMPLayers(paper_block=False)
    x = torch.rand(1, 8, 20, 264)
    for conv, k in ((layers.onset_conv[0], 5), (layers.note_head[0], 7)):
        assert conv.stride == (1, 3)
        with torch.no_grad():
            conv.weight.zero_()
            conv.bias.zero_()
            conv.weight[0, 0, k // 2, k // 2] = 1.0
            out = conv(x[:, : conv.in_channels])
        assert out.shape == (1, conv.out_channels, 20, 88)
        assert torch.equal(out[0, 0], x[0, 0, :, 1::3])


def test_front_end_shapes_and_errors():
    audio = 0.1 * torch.randn(2, AUDIO_N_SAMPLES, generator=torch.Generator().manual_seed(0))
    assert NMPFrontEnd()(audio).shape == (2, 8, ANNOT_N_FRAMES, 264)
    assert NMPFrontEnd(n_harmonics=1)(audio).shape == (2, 1, ANNOT_N_FRAMES, 264)
    assert model.harmonics_for(8) == (0.5, 1, 2, 3, 4, 5, 6, 7) and model.harmonics_for(1) == (1,)
    with pytest.raises(ValueError, match=r"audio\[None\]"):
        NMPFrontEnd()(audio[0])
    with pytest.raises(ValueError, match="same n_harmonics"):
        Transcriber(NMPLayers(n_harmonics=1))
    assert count_parameters(NMPFrontEnd()) == 2  # the input batch norm; the CQT is fixed


def test_windows_cover_the_piece_and_stitch_back():
    n = 3 * K.WINDOW_HOP + 1000
    windows = inference.window_audio(np.ones(n, np.float32))
    assert windows.shape == (4, AUDIO_N_SAMPLES)
    assert K.WINDOW_HOP == AUDIO_N_SAMPLES - 30 * 256
    assert (windows[0, : K.OVERLAP_SAMPLES // 2] == 0).all() and windows[0, K.OVERLAP_SAMPLES // 2] == 1
    # each window keeps its frames 15..156: frame numbers run on with no gap or repeat
    frames = np.arange(ANNOT_N_FRAMES, dtype=np.float32)[None, :, None].repeat(4, 0)
    stitched = inference.unwrap_windows(frames + 1000 * np.arange(4)[:, None, None], n)
    assert stitched.shape == (int(n * 86 / SR), 1)
    assert stitched[:142, 0].tolist() == list(range(15, 157)) and stitched[142, 0] == 1015
    # stitched frame j = 142 k + m sits at sample k * WINDOW_HOP + m * 256 of the piece
    times = inference.frame_times(len(stitched))
    assert times[141] * SR == 141 * 256 and times[142] * SR == K.WINDOW_HOP
    assert np.all(np.diff(times) > 0)
    with pytest.raises(ValueError, match="resample"):
        predict_piece(None, np.zeros(n, np.float32), sample_rate=44100)
    with pytest.raises(ValueError, match="mono"):
        predict_piece(None, np.zeros((2, n), np.float32))


def test_fetch_fails_clearly_offline(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, "", "ERROR: Could not find a version (no network)")

    monkeypatch.setattr(weights.subprocess, "run", offline)
    with pytest.raises(RuntimeError, match="offline"):
        weights.fetch_basic_pitch_onnx(tmp_path)


# ---- Spotify's released weights ------------------------------------------------------------------

@pytest.fixture(scope="module")
def original():
    return released.OriginalBasicPitch(intermediates=True)


@pytest.fixture(scope="module")
def ours():
    return released.load_released(Transcriber(NMPLayers(paper_block=False)))


@pytest.fixture(scope="module")
def chord():
    notes = Notes([[0.25, 1.6]] * len(CHORD), list(CHORD), [90] * len(CHORD))
    audio = synthesize(notes, sample_rate=SR)[:AUDIO_N_SAMPLES]
    return np.pad(audio, (0, AUDIO_N_SAMPLES - len(audio)))


def test_fetched_file_is_the_released_one():
    path = weights.fetch_basic_pitch_onnx()
    assert manifest.sha256(path) == K.ONNX_SHA256


def test_released_weights_load_strictly_into_the_reference_as_released():
    state = released.released_state_dict()
    NMPLayers(paper_block=False).load_state_dict(state["layers"], strict=True)
    assert set(state["layers"]) == set(NMPLayers(paper_block=False).state_dict())
    with pytest.raises(RuntimeError, match="paper_block=False"):
        released.load_released(Transcriber(NMPLayers(paper_block=True)))
    assert 2.0 < state["batch_norm"]["weight"].item() < 3.0  # the input batch norm's scale, 2.48


def test_layers_alone_reproduce_the_original_on_its_own_stack(original, ours, chord):
    noise = 0.1 * np.random.default_rng(0).standard_normal(AUDIO_N_SAMPLES)
    out = original(np.stack([chord, noise]).astype(np.float32))
    with torch.no_grad():
        mine = ours.layers(torch.from_numpy(out["stack"]))
    for key in K.OUTPUT_BINS:
        assert mine[key].shape == out[key].shape
        assert np.abs(mine[key].numpy() - out[key]).max() < LAYERS_TOL, key


def test_end_to_end_from_audio_matches_the_original(original, ours, chord):
    out = original(chord)
    audio = torch.from_numpy(chord)[None]
    with torch.no_grad():
        mine = {key: value[0].numpy() for key, value in ours(audio).items()}
        cqt = normalized_log(ours.front_end.cqt(audio))[0].numpy()
        stack = ours.front_end(audio)[0].numpy()
    assert cqt.shape == out["cqt"].shape == (ANNOT_N_FRAMES, N_CQT_BINS)
    # the log-CQT on [0, 1]: measured 3.0e-4 at most, in near-silent bins that the dB scale
    # magnifies (relative error 3.8e-6); the stack: 7.4e-4 after the input batch norm's x2.48
    assert np.abs(cqt - out["cqt"]).max() < CQT_TOL
    assert np.abs(stack - out["stack"]).max() < CQT_TOL * 3
    for key in K.OUTPUT_BINS:
        assert np.abs(mine[key] - out[key]).max() < END_TO_END_TOL, key
    for threshold in (FRAME_THRESHOLD, 0.5):
        assert np.array_equal(mine["note"] > threshold, out["note"] > threshold)
    # both hear the chord: every key held for at least 11 frames (Basic Pitch's shortest note)
    held = np.flatnonzero((mine["note"] > FRAME_THRESHOLD).sum(axis=0) >= 11) + MIN_MIDI
    assert held.tolist() == list(CHORD)


def test_full_piece_matches_the_original(original, ours):
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    notes = Notes([[0.2 + 0.7 * i, 0.8 + 0.7 * i] for i in range(len(scale))], scale, [90] * len(scale))
    audio = synthesize(notes, sample_rate=SR)
    theirs, mine = predict_piece(original, audio), predict_piece(ours, audio)
    for key, bins in K.OUTPUT_BINS.items():
        assert mine[key].shape == theirs[key].shape == (int(len(audio) * 86 / SR), bins)
        assert np.abs(mine[key] - theirs[key]).max() < END_TO_END_TOL, key
    # every note of the scale peaks inside its own interval, across window boundaries
    times = inference.frame_times(len(mine["note"]))
    for (start, end), pitch in zip(notes.intervals, notes.pitches):
        assert start <= times[mine["note"][:, pitch - MIN_MIDI].argmax()] <= end, pitch
    with pytest.raises(ValueError, match="AUDIO_N_SAMPLES"):
        original(audio)
