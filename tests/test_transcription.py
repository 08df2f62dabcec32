"""course.transcription: Onsets-and-Frames models, decoding, evaluation and training (ci-sized)."""
import numpy as np
import pytest
import torch

from course.notes import Notes
from course.profiles import current
from course.transcription import (
    FRAME_RATE,
    MODELS,
    BasicOnsetsAndFrames,
    BiLSTMOnly,
    ConcatOnly,
    ConvStack,
    OnsetsAndFrames,
    TranscriptionFeatures,
    build_model,
    count_parameters,
    decode_notes,
    evaluate,
    predict,
    train,
    transcription_loss,
)


def conv_stack_parameters(c, f, n_mels=229):
    convs = (9 * 1 * c + c) + (9 * c * c + c) + (9 * c * 2 * c + 2 * c)
    batch_norms = 2 * (c + c + 2 * c)
    return convs + batch_norms + (2 * c * (n_mels // 4) * f + f)


def bilstm_parameters(inputs, hidden):
    return 2 * (4 * hidden * (inputs + hidden) + 8 * hidden)


def linear_parameters(inputs, outputs):
    return inputs * outputs + outputs


# ---- shapes and sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_models_map_log_mel_to_onset_and_frame_logits(name):
    torch.manual_seed(0)
    model = build_model(name, cnn_unit=4, fc_unit=16, rnn_unit=8)
    mel = torch.randn(2, 200, 229)
    onset, frame = model(mel)
    assert onset.shape == frame.shape == (2, 200, 88)
    onset_probs, frame_probs = predict(model, mel[0])  # eval mode: sigmoid of the logits
    assert onset_probs.shape == frame_probs.shape == (200, 88)
    with torch.no_grad():
        onset, frame = model(mel[:1])
    torch.testing.assert_close(onset_probs, torch.sigmoid(onset[0]))
    torch.testing.assert_close(frame_probs, torch.sigmoid(frame[0]))
    assert onset.max().item() < 0  # logits, started at the onset prior's log-odds (about -6)
    chunked = predict(model, mel[0], chunk_frames=64)[0]
    assert chunked.shape == (200, 88) and 0 <= float(chunked.min()) and float(chunked.max()) <= 1
    with pytest.raises(ValueError, match=r"\(B, T, 229\)"):
        model(torch.randn(2, 229, 200))


def test_conv_stack_shape_trace_keeps_time_and_pools_frequency():
    stack = ConvStack(229, cnn_unit=24, fc_unit=64)
    shapes = [shape for _, shape in stack.shape_trace(torch.randn(16, 200, 229))]
    assert shapes == [
        (16, 200, 229),  # input
        (16, 1, 200, 229),  # unsqueeze(1)
        (16, 24, 200, 229), (16, 24, 200, 229), (16, 24, 200, 229),  # conv, BN, ReLU
        (16, 24, 200, 229), (16, 24, 200, 229), (16, 24, 200, 229),  # conv, BN, ReLU
        (16, 24, 200, 114), (16, 24, 200, 114),  # max-pool (1, 2), dropout
        (16, 48, 200, 114), (16, 48, 200, 114), (16, 48, 200, 114),  # conv, BN, ReLU
        (16, 48, 200, 57), (16, 48, 200, 57),  # max-pool (1, 2), dropout
        (16, 200, 48 * 57),  # transpose, flatten
        (16, 200, 64), (16, 200, 64),  # linear, dropout
    ]
    assert stack(torch.randn(3, 7, 229)).shape == (3, 7, 64)


def test_parameter_counts():
    c, f, r = 24, 64, 32
    stack = conv_stack_parameters(c, f)
    assert count_parameters(ConvStack(229, c, f)) == stack == 191224
    assert count_parameters(BasicOnsetsAndFrames(c, f, r)) == 2 * (stack + linear_parameters(f, 88))
    assert count_parameters(BiLSTMOnly(c, f, r)) == 2 * (stack + bilstm_parameters(f, r) + linear_parameters(2 * r, 88))
    assert count_parameters(ConcatOnly(c, f, r)) == (2 * (stack + linear_parameters(f, 88))
                                                     + linear_parameters(176, 88))
    assert count_parameters(OnsetsAndFrames(c, f, r)) == (
        2 * stack + bilstm_parameters(f, r) + linear_parameters(2 * r, 88) + linear_parameters(f, 88)
        + bilstm_parameters(176, r) + linear_parameters(2 * r, 88))


def test_output_biases_start_at_the_label_priors():
    from course.transcription import FRAME_PRIOR, ONSET_PRIOR

    model = OnsetsAndFrames(4, 16, 8)
    torch.testing.assert_close(torch.sigmoid(model.onset_fc.bias), torch.full((88,), ONSET_PRIOR))
    torch.testing.assert_close(torch.sigmoid(model.combined_fc.bias), torch.full((88,), FRAME_PRIOR))
    assert BasicOnsetsAndFrames(4, 16, prior_init=False).frame_fc.bias.abs().max() < 1
    torch.testing.assert_close(torch.sigmoid(BiLSTMOnly(4, 16, 8).frame_fc.bias), torch.full((88,), FRAME_PRIOR))


def test_state_dict_names_are_stable():
    keys = set(OnsetsAndFrames(4, 16, 8).state_dict())
    prefixes = {k.split(".")[0] for k in keys}
    assert prefixes == {"onset_stack", "onset_rnn", "onset_fc", "frame_stack", "frame_fc", "combined_rnn", "combined_fc"}
    assert {"onset_stack.cnn.0.weight", "onset_stack.fc.0.weight", "combined_rnn.weight_ih_l0_reverse",
            "combined_fc.bias"} <= keys
    assert {k.split(".")[0] for k in BiLSTMOnly(4, 16, 8).state_dict()} == {
        "onset_stack", "onset_rnn", "onset_fc", "frame_stack", "frame_rnn", "frame_fc"}


# ---- the onset -> frame connection --------------------------------------------------------------


@pytest.mark.parametrize("model_class", [OnsetsAndFrames, ConcatOnly])
def test_frame_loss_does_not_reach_the_onset_branch(model_class):
    torch.manual_seed(0)
    model = model_class(4, 16, 8)
    mel, target = torch.randn(2, 50, 229), (torch.rand(2, 50, 88) > 0.9).float()
    onset, frame = model(mel)
    torch.nn.functional.binary_cross_entropy_with_logits(frame, target).backward()
    onset_params = [p for n, p in model.named_parameters() if n.startswith("onset_")]
    frame_params = [p for n, p in model.named_parameters() if not n.startswith("onset_")]
    assert all(p.grad is None or not p.grad.any() for p in onset_params)
    assert all(p.grad is not None for p in frame_params)
    model.zero_grad()
    torch.nn.functional.binary_cross_entropy_with_logits(onset, target).backward()  # the onset loss does
    assert all(p.grad is not None for p in onset_params)


@pytest.mark.parametrize("model_class,connected", [(OnsetsAndFrames, True), (ConcatOnly, True),
                                                   (BiLSTMOnly, False), (BasicOnsetsAndFrames, False)])
def test_frames_see_the_onsets_only_in_the_connected_models(model_class, connected):
    torch.manual_seed(0)
    model = model_class(4, 16, 8).eval()
    mel = torch.randn(1, 30, 229)
    frame_before = model(mel)[1]
    with torch.no_grad():
        model.onset_fc.bias += 3.0
    assert (not torch.allclose(model(mel)[1], frame_before)) == connected


# ---- decoding -----------------------------------------------------------------------------------


def test_decode_notes_on_a_hand_made_posteriorgram():
    onset, frame = np.zeros((10, 88)), np.zeros((10, 88))
    onset[1:3, 0] = 0.9; frame[1:6, 0] = 0.8  # key 0: a two-frame onset run is one note, frames 1-5
    onset[3, 1] = 0.7  # key 1: onset without frames: one frame long
    frame[:, 2] = 0.9; onset[0, 2] = onset[5, 2] = 0.9  # key 2: repeated note, the second runs to the end
    frame[2:8, 3] = 0.9  # key 3: frames without an onset: no note
    onset[4, 4] = 0.5; frame[4:6, 4] = 0.5  # key 4: thresholds are inclusive
    onset[7, 5] = 0.4; frame[7:9, 5] = 0.9  # key 5: onset below threshold: no note
    notes = decode_notes(onset, frame, frame_rate=10.0)
    assert isinstance(notes, Notes)
    got = sorted((int(p), round(a, 6), round(b, 6)) for (a, b), p in zip(notes.intervals, notes.pitches))
    assert got == [(21, 0.1, 0.6), (22, 0.3, 0.4), (23, 0.0, 0.5), (23, 0.5, 1.0), (25, 0.4, 0.6)]
    assert len(decode_notes(onset, frame, onset_threshold=0.95, frame_rate=10.0)) == 0
    assert len(decode_notes(torch.zeros(5, 88), torch.ones(5, 88))) == 0
    with pytest.raises(ValueError, match="88"):
        decode_notes(np.zeros((10, 87)), np.zeros((10, 87)))


def test_decode_notes_inverts_the_label_rolls():
    from course.notes import notes_to_rolls

    truth = Notes([[0.0, 0.5], [0.5, 1.0], [0.2, 1.3], [1.0, 1.1]], [60, 60, 64, 72], [80] * 4)
    rolls = notes_to_rolls(truth, FRAME_RATE, n_frames=50)
    notes = decode_notes(rolls["onset"], rolls["frame"])
    np.testing.assert_array_equal(notes.pitches, truth.pitches)
    np.testing.assert_allclose(notes.intervals, truth.intervals, atol=0.5 / FRAME_RATE)


# ---- evaluation and training on the ci split ----------------------------------------------------


@pytest.fixture(scope="module")
def ci_piano():
    from data_scripts.maestro import MaestroDataset
    from data_scripts.piano import build_piano_dataset

    root = build_piano_dataset(profile_name="ci")  # returns at once when already built
    return MaestroDataset(root, "train"), MaestroDataset(root, "test")


def test_features_are_crops_of_the_whole_piece_log_mel(ci_piano):
    train_set, _ = ci_piano
    whole = TranscriptionFeatures(train_set)
    crops = TranscriptionFeatures(train_set, sequence_length=102400, seed=1)
    item = crops[0]
    assert item["mel"].shape == (200, 229) and item["onset"].shape == item["frame"].shape == (200, 88)
    start = item["start"]
    torch.testing.assert_close(item["mel"], whole[0]["mel"][start:start + 200])
    torch.testing.assert_close(item["frame"], whole[0]["frame"][start:start + 200])
    assert len(whole[0]["mel"]) == len(train_set.piece(0).audio) // 512
    with pytest.raises(ValueError, match="multiple of 512"):
        TranscriptionFeatures(train_set, sequence_length=1000)


def test_evaluate_and_train_run_on_the_ci_split(ci_piano):
    train_set, test_set = ci_piano
    sizes = current("ci").hw4
    torch.manual_seed(0)
    model = OnsetsAndFrames(sizes.cnn_unit, sizes.fc_unit, sizes.rnn_unit)
    history = train(model, train_set, sizes.steps, sizes.batch_size, sizes.sequence_length, lr=sizes.lr,
                    validation_set=test_set, validation_interval=sizes.steps, device="cpu")
    assert len(history["train_loss"]) >= 1 and np.isfinite(history["train_loss"]).all()
    assert history["val_step"] == [sizes.steps] and "val_note_f1" in history
    scores = evaluate(model, test_set, "cpu")
    assert set(scores) >= {"frame_f1", "note_f1", "note_with_offsets_f1"}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert scores["note_with_offsets_f1"] <= scores["note_f1"] + 1e-9
    batch = TranscriptionFeatures(train_set, sequence_length=sizes.sequence_length)[0]
    batch = {k: v[None] for k, v in batch.items() if k != "start"}
    assert torch.isfinite(transcription_loss(model, batch))
