"""hw4: course.hw4_transcription (baseline, features, training, evaluation, checkpoints, sweeps) and the
instructor's reference (autograder.reference.hw4_transcription: the transcribers, decoding, the
shape table) that the hidden tests compare students' work with. ci-sized."""
import numpy as np
import pytest
import torch

from autograder.reference.hw4_transcription.models import (
    MODELS,
    SHAPE_STEPS,
    BiLSTMOnly,
    ConcatOnly,
    OnsetsAndFrames,
    baseline_parameters,
    build_model,
    decode_notes,
    shape_table,
)
from course.hw4_transcription.constants import FRAME_RATE
from course.hw4_transcription.data import TranscriptionFeatures
from course.hw4_transcription.evaluation import evaluate, predict
from course.hw4_transcription.experiments import Experiment, experiment_grid, run_experiments
from course.hw4_transcription.model import BasicOnsetsAndFrames, ConvStack
from course.hw4_transcription.training import load_transcriber, save_transcriber, train, transcription_loss
from course.notes import Notes
from course.profiles import current
from course.training import count_parameters


def conv_stack_parameters(c, f, n_mels=229):
    convs = (9 * 1 * c + c) + (9 * c * c + c) + (9 * c * 2 * c + 2 * c)
    batch_norms = 2 * (c + c + 2 * c)
    return convs + batch_norms + (2 * c * (n_mels // 4) * f + f)


def bilstm_parameters(inputs, hidden):
    return 2 * (4 * hidden * (inputs + hidden) + 8 * hidden)


def linear_parameters(inputs, outputs):
    return inputs * outputs + outputs


# ---- shapes and sizes ----------------------------------------------------------------------------


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


def _traced_shapes(B, L, C, C_fc):
    """The shapes the real baseline branch produces, recorded layer by layer with forward hooks."""
    from course.features import LogMel

    stack, out = ConvStack(229, C, C_fc), torch.nn.Linear(C_fc, 88)
    audio = torch.randn(B, L)
    mel = LogMel()(audio)
    shapes = [tuple(audio.shape), tuple(mel.shape), tuple(mel.unsqueeze(1).shape)]
    record = lambda module, inputs, output: shapes.append(tuple(output.shape))  # noqa: E731
    for layer in stack.cnn:
        if not isinstance(layer, (torch.nn.BatchNorm2d, torch.nn.ReLU)):  # conv + BN + ReLU is one row
            layer.register_forward_hook(record)
    with torch.no_grad():
        x = stack.cnn(mel.unsqueeze(1))
        shapes.append(tuple(x.transpose(1, 2).shape))
        x = x.transpose(1, 2).flatten(2)
        shapes.append(tuple(x.shape))
        for layer in stack.fc:
            x = layer(x)
            shapes.append(tuple(x.shape))
        x = out(x)
        shapes += [tuple(x.shape), tuple(torch.sigmoid(x).shape)]
    return shapes


@pytest.mark.parametrize("B,L,C,C_fc", [(16, 102400, 24, 64), (3, 51200, 12, 32), (2, 100000, 5, 7)])
def test_the_shape_table_answer_key_is_what_the_model_does(B, L, C, C_fc):
    table = shape_table(B, L, C, C_fc)
    assert len(table) == len(SHAPE_STEPS)
    assert table == _traced_shapes(B, L, C, C_fc)
    if (B, L, C, C_fc) == (16, 102400, 24, 64):  # the homework's sizes, written out once
        assert table[1] == (16, 200, 229) and table[8] == (16, 48, 200, 57) and table[11] == (16, 200, 2736)


def test_parameter_counts():
    c, f, r = 24, 64, 32
    stack = conv_stack_parameters(c, f)
    assert count_parameters(ConvStack(229, c, f)) == stack == 191224
    assert count_parameters(BasicOnsetsAndFrames(c, f, r)) == 2 * (stack + linear_parameters(f, 88))
    assert baseline_parameters(c, f) == count_parameters(BasicOnsetsAndFrames(c, f)) == 393888
    assert count_parameters(BiLSTMOnly(c, f, r)) == 2 * (stack + bilstm_parameters(f, r) + linear_parameters(2 * r, 88))
    assert count_parameters(ConcatOnly(c, f, r)) == (2 * (stack + linear_parameters(f, 88))
                                                     + linear_parameters(176, 88))
    assert count_parameters(OnsetsAndFrames(c, f, r)) == (
        2 * stack + bilstm_parameters(f, r) + linear_parameters(2 * r, 88) + linear_parameters(f, 88)
        + bilstm_parameters(176, r) + linear_parameters(2 * r, 88))


def test_output_biases_start_at_the_label_priors():
    from course.hw4_transcription.constants import FRAME_PRIOR, ONSET_PRIOR

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


# ---- the onset -> frame connection ---------------------------------------------------------------


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


# ---- decoding ------------------------------------------------------------------------------------


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


# ---- evaluation and training on the ci split -----------------------------------------------------


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
                    validation_set=test_set, validation_interval=sizes.steps, decode=decode_notes, device="cpu")
    assert len(history["train_loss"]) >= 1 and np.isfinite(history["train_loss"]).all()
    assert history["val_step"] == [sizes.steps] and {"val_note_f1", "val_loss", "val_frame_f1"} <= set(history)
    scores = evaluate(model, test_set, decode_notes, "cpu")
    assert set(scores) >= {"loss", "frame_f1", "note_f1", "note_with_offsets_f1"}
    assert all(0.0 <= v <= 1.0 for k, v in scores.items() if k != "loss") and scores["loss"] > 0
    assert set(evaluate(model, test_set, device="cpu")) == {"loss", "frame_precision", "frame_recall", "frame_f1"}
    assert scores["note_with_offsets_f1"] <= scores["note_f1"] + 1e-9
    batch = TranscriptionFeatures(train_set, sequence_length=sizes.sequence_length)[0]
    batch = {k: v[None] for k, v in batch.items() if k != "start"}
    assert torch.isfinite(transcription_loss(model, batch))


# ---- checkpoints and the sweep runner ------------------------------------------------------------


def test_checkpoints_rebuild_the_model_and_refuse_a_different_one(tmp_path):
    torch.manual_seed(0)
    model = OnsetsAndFrames(4, 16, 8).eval()
    path = save_transcriber(model, tmp_path / "onf.pt", cnn_unit=4, fc_unit=16, rnn_unit=8)
    again, config = load_transcriber(path, OnsetsAndFrames)
    assert config == {"cnn_unit": 4, "fc_unit": 16, "rnn_unit": 8}
    mel = torch.randn(1, 20, 229)
    torch.testing.assert_close(again(mel), model(mel))
    with pytest.raises(RuntimeError):
        load_transcriber(path, BiLSTMOnly)  # other layers: a strict load names them
    with pytest.raises(FileNotFoundError, match="train the model first"):
        load_transcriber(tmp_path / "missing.pt", OnsetsAndFrames)
    torch.save({"state_dict": model.state_dict(), "code": Notes([], [], [])}, tmp_path / "pickled.pt")
    with pytest.raises(Exception, match="[Ww]eights only"):  # a pickled object is never executed
        load_transcriber(tmp_path / "pickled.pt", OnsetsAndFrames)


def test_experiment_grid_full_and_axes():
    axes = dict(sequence_lengths=(1, 2, 3), cnn_units=(4, 5, 6), fc_units=(7, 8, 9), lrs=(0.1,), weight_decays=(0.0,))
    full = experiment_grid(**axes, steps=1, batch_size=1)
    assert len(full) == 27 and len({e.key for e in full}) == 27
    cheap = experiment_grid(**axes, steps=1, batch_size=1, subset="axes")
    assert len(cheap) == 7 and cheap[0] == Experiment(2, 5, 8, 0.1, 0.0, 1, 1)
    assert all(sum(getattr(e, a) != getattr(cheap[0], a) for a in ("sequence_length", "cnn_unit", "fc_unit")) == 1
               for e in cheap[1:])
    with pytest.raises(ValueError, match="subset"):
        experiment_grid(**axes, steps=1, batch_size=1, subset="half")


def test_run_experiments_caches_each_result(ci_piano, tmp_path):
    train_set, test_set = ci_piano
    runs = [Experiment(8192, 2, 8, 1e-3, 0.0, 2, 2), Experiment(8192, 2, 8, 1e-3, 1e-4, 2, 2)]
    first = run_experiments(runs, train_set, test_set, tmp_path, device="cpu")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{e.key}.json" for e in runs)
    assert all(np.isfinite(r["val_loss"]) and 0 <= r["val_frame_f1"] <= 1 for r in first)
    assert first[0]["history"]["val_step"][-1] == 2
    again = run_experiments(runs, train_set, test_set, tmp_path, device="cpu")
    assert again == first  # read back from the cache, not retrained
