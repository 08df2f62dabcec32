"""course.plots: shapes are checked, pictures say what they should (TP/FP/FN pixels, curves, counts)."""

import matplotlib

matplotlib.use("Agg")  # no screen; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    # A plotting function must never show a figure itself: the notebook decides.
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("course.plots called plt.show()"))
    yield
    plt.close("all")


def _pixels(image: np.ndarray, color) -> int:
    return int(np.all(image == np.array(color, dtype=image.dtype), axis=-1).sum())


# ---- spectrogram ---------------------------------------------------------------------------------


@pytest.mark.parametrize("y_axis", ["log", "mel", "cqt", "linear", "bins"])
def test_spectrogram_time_axis_in_seconds(y_axis):
    S = np.random.default_rng(0).standard_normal((100, 64))
    ax = plots.spectrogram(S, sample_rate=16000, hop_length=160, y_axis=y_axis, title="x")
    x0, x1, _, _ = ax.images[0].get_extent()
    # 100 frames 10 ms apart, pixel centres on frame times.
    assert x0 == pytest.approx(-0.005) and x1 == pytest.approx(0.995)
    rows = 256 if y_axis == "log" else 64  # a log axis resamples the STFT onto its own rows
    assert ax.images[0].get_array().shape == (rows, 100)  # drawn frequency-up, time-right
    assert ax.get_xlabel() == "time (s)" and ax.get_title() == "x"


def test_spectrogram_draws_on_the_given_axes_and_tolerates_minus_inf():
    fig, ax = plt.subplots()
    S = np.zeros((10, 8))
    S[0, 0] = -np.inf  # log of an exact zero
    assert plots.spectrogram(S, 16000, 512, ax=ax, y_axis="bins") is ax
    assert np.isfinite(ax.images[0].get_array()).all()


@pytest.mark.parametrize(
    "S, words",
    [
        (np.zeros(100), ["(T, F)", "got (100,)"]),
        (np.zeros((1, 100, 64)), ["S[0]"]),
        (np.zeros((10, 64), complex), ["complex", "np.abs"]),
    ],
)
def test_spectrogram_refuses_bad_shapes(S, words):
    with pytest.raises(ValueError) as e:
        plots.spectrogram(S, 16000, 512)
    for w in words:
        assert w in str(e.value)


def test_spectrogram_refuses_unknown_axis_and_bad_rates():
    with pytest.raises(ValueError, match="y_axis"):
        plots.spectrogram(np.zeros((4, 4)), 16000, 512, y_axis="octaves")
    with pytest.raises(ValueError, match="hop_length"):
        plots.spectrogram(np.zeros((4, 4)), 16000, 0)


# ---- piano rolls ---------------------------------------------------------------------------------


def test_piano_roll_labels_c_notes_and_seconds():
    roll = np.zeros((50, 88))
    roll[10:20, 60 - 21] = 1
    ax = plots.piano_roll(roll, frame_rate=25.0)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "C4" in labels and "C1" in labels and "C8" in labels
    assert ax.images[0].get_extent()[1] == pytest.approx(49.5 / 25)
    ax = plots.piano_roll(roll, 25.0, labels="midi", crop=True)
    lo, hi = ax.get_ylim()
    assert lo < 60 < hi and hi - lo < 20  # cropped around middle C


@pytest.mark.parametrize(
    "roll, words",
    [
        (np.zeros((10, 87)), ["(T, 88)", "got (10, 87)"]),
        (np.zeros((88, 10)), ["(T, 88)", "transpose"]),
        (np.zeros((10, 128)), ["21:109"]),
        (np.zeros((1, 10, 88)), ["batch"]),
        (np.zeros(88), ["(T, 88)", "got (88,)"]),
    ],
)
def test_piano_roll_refuses_bad_shapes(roll, words):
    with pytest.raises(ValueError) as e:
        plots.piano_roll(roll, 31.25)
    for w in words:
        assert w in str(e.value)


def _tiny_case():
    """A hand-made case: 3 TP, 2 FP, 4 FN cells."""
    reference = np.zeros((6, 88))
    estimate = np.zeros((6, 88))
    reference[0:3, 39] = 1  # middle C sounds in frames 0..2 ...
    estimate[0:3, 39] = 1  # ... and is found: 3 TP
    estimate[4:6, 50] = 1  # found, not sounding: 2 FP
    reference[1:5, 20] = 1  # sounding, missed: 4 FN
    return reference, estimate


def test_roll_comparison_colours_count_tp_fp_fn():
    reference, estimate = _tiny_case()
    ax = plots.roll_comparison(reference, estimate, frame_rate=10.0)
    image = np.asarray(ax.images[0].get_array())
    assert image.shape == (88, 6, 3)
    assert _pixels(image, plots.TP_COLOR) == 3
    assert _pixels(image, plots.FP_COLOR) == 2
    assert _pixels(image, plots.FN_COLOR) == 4
    assert _pixels(image, plots.BACKGROUND_COLOR) == 6 * 88 - 9
    # Keys on rows, lowest first: the FP cells are at key 50.
    assert np.all(image[50, 4:6] == plots.FP_COLOR)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["TP (3)", "FP (2)", "FN (4)"]


def test_roll_comparison_thresholds_a_posteriorgram():
    reference, estimate = _tiny_case()
    probs = estimate * 0.6  # all estimates at probability 0.6
    image = plots.comparison_image(reference, probs, threshold=0.5)
    assert (_pixels(image, plots.TP_COLOR), _pixels(image, plots.FP_COLOR)) == (3, 2)
    image = plots.comparison_image(reference, probs, threshold=0.7)  # now nothing is found
    assert (_pixels(image, plots.TP_COLOR), _pixels(image, plots.FP_COLOR), _pixels(image, plots.FN_COLOR)) == (0, 0, 7)


def test_roll_comparison_refuses_mismatch_and_logits():
    reference, estimate = _tiny_case()
    with pytest.raises(ValueError, match="same shape"):
        plots.roll_comparison(reference, estimate[:5], 10.0)
    with pytest.raises(ValueError, match="sigmoid"):
        plots.roll_comparison(reference, estimate * 8 - 4, 10.0)


def test_roll_comparison_colours_are_distinct():
    colors = {plots.TP_COLOR, plots.FP_COLOR, plots.FN_COLOR, plots.BACKGROUND_COLOR}
    assert len(colors) == 4


def test_posteriorgram_marks_errors_after_threshold():
    reference, estimate = _tiny_case()
    P = np.where(estimate > 0, 0.9, 0.1)
    ax = plots.posteriorgram(P, 10.0, reference=reference, threshold=0.5)
    overlay = np.asarray(ax.images[1].get_array())  # (88, T, 4) RGBA over the grey probabilities
    rgb = np.round(overlay[..., :3] * 255).astype(int)
    tinted = overlay[..., 3] > 0
    assert _pixels(rgb[tinted], plots.FP_COLOR) == 2
    assert _pixels(rgb[tinted], plots.FN_COLOR) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["TP (3)", "FP (2)", "FN (4)"]
    ax = plots.posteriorgram(P, 10.0)
    assert len(ax.images) == 1 and ax.get_legend() is None


def test_posteriorgram_refuses_bad_shape():
    with pytest.raises(ValueError, match=r"\(T, 88\)"):
        plots.posteriorgram(np.zeros((88, 4)), 10.0)


# ---- curves and confusions -----------------------------------------------------------------------


def test_training_curves_each_against_its_steps():
    history = {
        "step": [1, 2, 3, 4, 5, 6],
        "train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
        "val_step": [3, 6],
        "val_loss": [0.7, 0.5],
        "lr": [1e-3] * 6,
    }
    ax = plots.training_curves(history)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train_loss", "val_loss"}  # losses by default
    assert list(lines["val_loss"].get_xdata()) == [3, 6]
    assert list(lines["train_loss"].get_xdata()) == [1, 2, 3, 4, 5, 6]
    ax = plots.training_curves(history, keys=["lr"], log_y=True)
    assert [line.get_label() for line in ax.get_lines()] == ["lr"]


def test_training_curves_refuses_mismatched_lengths_and_unknown_keys():
    with pytest.raises(ValueError) as e:
        plots.training_curves({"step": [1, 2, 3], "val_loss": [0.5]})
    assert "val_step" in str(e.value) and "1 values" in str(e.value)
    with pytest.raises(ValueError, match="no \\['acc'\\]"):
        plots.training_curves({"step": [1], "loss": [1.0]}, keys=["acc"])


def test_confusion_matrix_normalises_rows_and_annotates():
    cm = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])  # the last class has no examples
    ax = plots.confusion_matrix(cm, ["kick", "snare", "hat"])
    shown = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(shown.sum(axis=1), [1, 1, 0])
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == "0.80"
    ax = plots.confusion_matrix(cm, ["a", "b", "c"], normalize=False)
    assert ax.texts[0].get_text() == "8"
    ax = plots.confusion_matrix(np.eye(20), [str(i) for i in range(20)])
    assert len(ax.texts) == 0  # too many cells to write in


def test_confusion_matrix_refuses_bad_input():
    with pytest.raises(ValueError, match="square"):
        plots.confusion_matrix(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="one per class"):
        plots.confusion_matrix(np.zeros((2, 2)), ["a"])


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    reference, estimate = _tiny_case()
    ax = plots.roll_comparison(torch.tensor(reference), torch.tensor(estimate, requires_grad=True), 10.0)
    assert _pixels(np.asarray(ax.images[0].get_array()), plots.TP_COLOR) == 3
    plots.training_curves({"step": [1, 2], "loss": [torch.tensor(1.0), torch.tensor(0.5)]})


def test_log_axis_gives_octaves_equal_heights():
    from course.plots.spectrograms import log_frequency_rows

    sr, n_bins = 16000, 513
    S = np.full((3, n_bins), -80.0)
    freqs = np.linspace(0, sr / 2, n_bins)
    for f in (250, 500, 1000, 2000):  # octaves: equally far apart on a log axis
        S[:, np.argmin(np.abs(freqs - f))] = 0.0
    rows, centres = log_frequency_rows(S, sr, fmin=100, fmax=4000)
    peaks = [int(np.argmin(np.abs(np.log(centres / f)))) for f in (250, 500, 1000, 2000)]
    assert all(rows[0, p] > -10 for p in peaks)  # every tone has its row (none falls between rows)
    gaps = np.diff(peaks)
    assert gaps.max() - gaps.min() <= 2, gaps
    ax = plots.spectrogram(S, sr, 256, y_axis="log", fmax=4000)
    assert "C4 262" in [t.get_text() for t in ax.get_yticklabels()]
