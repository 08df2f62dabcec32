"""course.listen: the widget holds what it was given, both renderings travel, bad input is explained."""
import base64
import io
import pathlib
import re

import matplotlib

matplotlib.use("Agg")  # no screen

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]

from course import listen, plots  # noqa: E402
from course.listen import Audition, Signal  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SR = 8000
PCM16_STEP = 1 / 32768  # one step of 16-bit PCM


def tone(freq=440.0, seconds=0.5, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(autouse=True)
def _widgets_on(monkeypatch):
    monkeypatch.delenv("COURSE_WIDGETS", raising=False)


def decode(wav: bytes):
    data, rate = sf.read(io.BytesIO(bytes(wav)), dtype="float64")
    return data, rate


# ---- the widget holds the audio ------------------------------------------------------------------


def test_widget_state_holds_the_audio_it_was_given():
    original = tone(440)
    noisy = np.clip(original + 0.05 * np.random.default_rng(0).standard_normal(len(original)), -1, 1)
    a = Audition([Signal("original", original, SR), {"title": "augmented", "audio": noisy, "sample_rate": SR}])
    assert len(a.players) == 2
    for player, expected in zip(a.players, (original, noisy)):
        assert player.format == "wav" and player.autoplay is False and player.loop is False
        # What travels to the front end (and into the saved notebook) is the widget state.
        data, rate = decode(player.get_state()["value"])
        assert rate == SR
        assert data.shape == expected.shape
        assert np.abs(data - expected).max() <= 2 * PCM16_STEP
    # The widget is an HBox of columns: title, player, picture.
    columns = a.widget.children
    assert [type(c).__name__ for c in columns] == ["VBox", "VBox"]
    heading, player, frame = columns[0].children
    picture = frame.children[0]  # in a frame one column wide that scrolls a long picture
    assert "original" in heading.value and player is a.players[0]
    assert bytes(picture.value).startswith(b"\x89PNG") and picture.format == "png"
    assert "course-yscale-log" in picture._dom_classes  # a spectrogram on a log-frequency axis


def test_torch_audio_and_a_shared_sample_rate():
    torch = pytest.importorskip("torch")
    x = torch.tensor(tone(220), requires_grad=True)
    a = listen.audition(("a", x), ("b", tone(330)), sample_rate=SR)
    data, rate = decode(a.wavs[0])
    assert rate == SR and np.abs(data - x.detach().numpy()).max() <= 2 * PCM16_STEP


def test_pictures_are_sharp_and_long_signals_get_wider_pictures():
    roll = np.zeros((16, 88))
    roll[2:10, 39] = 1
    a = Audition([Signal("audio", tone(), SR), Signal("roll", tone(), SR, roll=roll, frame_rate=31.25)])
    import matplotlib.pyplot as plt

    ratio, w, h = listen.PIXEL_RATIO, listen.COLUMN_WIDTH_PX, listen.PICTURE_HEIGHT_PX
    for png in a.pngs:
        image = plt.imread(io.BytesIO(png))
        assert image.shape[:2] == (ratio * h, ratio * w)  # drawn at twice the size it is shown
    assert plt.get_fignums() == []  # nothing left registered with pyplot (no duplicate inline figure)
    long = Audition([Signal("a minute", np.zeros(60 * SR, np.float32), SR)])
    assert plt.imread(io.BytesIO(long.pngs[0])).shape[1] == ratio * listen.picture_width_px(60) > ratio * w
    assert 'overflow-x:auto' in long.to_html() and f'width="{listen.picture_width_px(60)}"' in long.to_html()


# ---- the two renderings --------------------------------------------------------------------------


def test_mimebundle_has_widget_view_and_html_fallback():
    signals = [Signal(t, tone(f), SR) for t, f in (("ground truth", 220), ("prediction", 330), ("x <&>", 440))]
    a = Audition(signals)
    bundle = a._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == a.widget.model_id
    html = bundle["text/html"]
    assert html.count("<audio controls") == 3 and html.count("<img ") == 3
    assert "x &lt;&amp;&gt;" in html  # titles are escaped
    assert "Audition(3 signals" in bundle["text/plain"]
    # The fallback plays the same audio.
    first = re.search(r'data:audio/wav;base64,([^"]+)"', html).group(1)
    data, rate = decode(base64.b64decode(first))
    assert rate == SR and np.abs(data - signals[0].audio).max() <= 2 * PCM16_STEP
    assert re.search(r'data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)
    # include / exclude as IPython passes them
    assert set(a._repr_mimebundle_(include={"text/html"})) == {"text/html"}
    assert WIDGET_VIEW not in a._repr_mimebundle_(exclude={WIDGET_VIEW})


def test_course_widgets_0_gives_html_only(monkeypatch):
    monkeypatch.setenv("COURSE_WIDGETS", "0")
    a = Audition([Signal("a", tone(), SR), Signal("b", tone(330), SR)])
    assert a.widget is None and a.players == []
    bundle = a._repr_mimebundle_()
    assert WIDGET_VIEW not in bundle
    assert bundle["text/html"].count("<audio controls") == 2
    # widgets=True overrides the variable; widgets=False needs none.
    assert Audition([Signal("a", tone(), SR)], widgets=True).widget is not None
    monkeypatch.delenv("COURSE_WIDGETS")
    assert WIDGET_VIEW not in Audition([Signal("a", tone(), SR)], widgets=False)._repr_mimebundle_()


def test_nothing_is_written_to_stderr(capfd):
    loud = np.ones(SR) * 0.999  # a DC signal: its spectrogram is flat, a classic source of warnings
    silent = np.zeros(SR)
    roll = np.zeros((31, 88))
    Audition([Signal("loud", loud, SR), Signal("silent", silent, SR),
              Signal("empty roll", silent, SR, roll=roll, frame_rate=31.25)])._repr_mimebundle_()
    out, err = capfd.readouterr()
    assert err == "" and out == ""


# ---- validation ----------------------------------------------------------------------------------


def _error(items, **kw) -> str:
    with pytest.raises(ValueError) as e:
        Audition(items, **kw)
    return str(e.value)


@pytest.mark.parametrize(
    "audio, words",
    [
        (np.zeros((2, 4000)), ["mono", "(2, 4000)", "Average", "mean(axis=0)"]),
        (np.zeros((4000, 2)), ["mono", "(4000, 2)", "mean(axis=1)"]),
        (np.zeros((1, 4000)), ["squeeze"]),
        (np.zeros(0), ["empty"]),
        (np.array([0.0, np.nan, 0.1, np.nan]), ["2 NaN/inf", "index 1"]),
        (np.array([0.0, np.inf]), ["NaN/inf"]),
        (np.array([0.0, 1.5, -0.2, 0.3]), ["clips", "1.5", "3.5 dB", "25.0%", "Normalise", "np.abs(audio).max()"]),
        (np.array([0, 16000, -20000], dtype=np.int16), ["int16", "32768"]),
    ],
)
def test_bad_audio_is_explained(audio, words):
    message = _error([Signal("prediction", audio, SR)])
    assert "'prediction'" in message
    for w in words:
        assert w in message, (w, message)


def test_mismatched_sample_rates_name_the_titles():
    message = _error([
        Signal("ground truth", tone(), 16000),
        Signal("prediction", tone(), 16000),
        Signal("original", tone(), 22050),
    ])
    assert "16000 Hz for 'ground truth', 'prediction'" in message
    assert "22050 Hz for 'original'" in message
    assert "course.audio.resample(audio, 22050, 16000) for 'original'" in message
    message = _error([Signal("a", tone(), 22050)], sample_rate=16000)
    assert "22050" in message and "16000" in message


def test_sample_rate_must_be_known_and_whole():
    assert "no sample rate" in _error([("a", tone())])
    assert "frame_rate" in _error([Signal("a", tone(), 31.25)])


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"roll": np.zeros((16, 87)), "frame_rate": 31.25}, ["(T, 88)", "got (16, 87)"]),
        ({"roll": np.zeros((88, 16)), "frame_rate": 31.25}, ["(T, 88)", "transpose"]),
        ({"roll": np.zeros((16, 88))}, ["no frame_rate", "frame_rate="]),
        ({"reference_roll": np.zeros((16, 88))}, ["no roll"]),
        ({"roll": np.zeros((16, 88)), "frame_rate": 31.25, "reference_roll": np.zeros((15, 88))}, ["same shape"]),
        ({"roll": np.zeros((16, 88)), "frame_rate": 31.25, "spectrogram": np.zeros((16, 10))}, ["one of them"]),
    ],
)
def test_bad_rolls_are_explained(kw, words):
    message = _error([Signal("prediction", tone(), SR, **kw)])
    for w in words:
        assert w in message, (w, message)


def test_bad_items_are_explained():
    assert "unknown keys ['sr']" in _error([{"title": "a", "audio": tone(), "sr": SR}])
    assert "at least one" in _error([])
    assert "(title, audio)" in _error([tone()])


def test_given_spectrogram_and_roll_comparison_pictures():
    reference = np.zeros((16, 88))
    reference[2:10, 39] = 1
    estimate = reference.copy()
    estimate[12:15, 45] = 0.8  # a false positive
    a = Audition([
        Signal("spec", tone(), SR, spectrogram=np.random.default_rng(0).standard_normal((20, 40))),
        Signal("prediction", tone(), SR, roll=estimate, frame_rate=31.25, reference_roll=reference),
    ], widgets=False)
    import matplotlib.pyplot as plt

    picture = (plt.imread(io.BytesIO(a.pngs[1]))[..., :3] * 255).round().astype(int)
    fp = np.all(np.abs(picture - np.array(plots.FP_COLOR)) <= 1, axis=-1)
    assert fp.sum() > 20  # the vermillion false positive is visible


def test_compare_rolls_sonifies_both_rolls():
    from course import notes

    try:
        notes.check_fluidsynth()
    except RuntimeError as e:
        pytest.skip(str(e))
    frame_rate = 31.25
    reference = np.zeros((40, 88))
    reference[5:30, 60 - 21] = 1
    probs = reference * 0.9
    probs[10:20, 64 - 21] = 0.7  # a false positive at E4
    a = listen.compare_rolls(tone(261.6, seconds=40 / frame_rate, sr=16000), reference, probs, frame_rate, 16000)
    assert [s.title for s in a.signals] == ["audio", "ground truth (sonified)", "prediction (sonified)"]
    assert a.signals[2].reference_roll is not None
    for wav in a.wavs:
        data, rate = decode(wav)
        assert rate == 16000 and len(data) >= 40 / frame_rate * 16000 - 1
    # The two sonifications differ: the prediction has an extra note.
    assert not np.allclose(a.signals[1].audio, a.signals[2].audio)
    with pytest.raises(ValueError, match="same shape"):
        listen.compare_rolls(None, reference, probs[:30], frame_rate)


# ---- in a real kernel ----------------------------------------------------------------------------


def test_notebook_shows_widget_and_html_without_stderr():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os\n"
            "os.environ.pop('COURSE_WIDGETS', None)\n"
            "import numpy as np\n"
            "from course.listen import Audition, Signal\n"
            "t = np.arange(4000) / 8000"
        ),
        nbformat.v4.new_code_cell(
            "Audition([Signal('original', 0.5 * np.sin(2 * np.pi * 440 * t), 8000),\n"
            "          Signal('augmented', 0.3 * np.sin(2 * np.pi * 660 * t), 8000)])"
        ),
    ]
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    for cell in nb.cells:
        for output in cell.outputs:
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text
            assert output.output_type != "error", output
    outputs = nb.cells[1].outputs
    assert len(outputs) == 1  # one output: no stray inline figure
    data = outputs[0]["data"]
    assert WIDGET_VIEW in data and "text/html" in data
    assert data["text/html"].count("<audio controls") == 2
    # nbclient saved the widget state, so nbconvert could render the live view too.
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert data[WIDGET_VIEW]["model_id"] in state
    # Without saved state (nbgrader feedback, GitHub) nbconvert falls back to the HTML players.
    from nbconvert import HTMLExporter

    del nb.metadata["widgets"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert body.count("<audio controls") == 2
