"""Listening: audition widgets that put signals side by side, each with a player and a picture.

An :class:`Audition` shows one column per signal -- "original" and "augmented", "ground truth"
and "prediction" -- each with its title, an audio player and, under it, a picture: the signal's
spectrogram, or its piano roll where it has one (a prediction's roll coloured TP / FP / FN
against the reference with :func:`course.plots.roll_comparison`)::

    from course.listen import audition, compare_rolls
    audition(("original", x), ("augmented", augment(x)), sample_rate=16000)
    compare_rolls(audio, labels["frame"], probs, frame_rate=31.25, sample_rate=16000)

Two renderings travel together in the notebook output (see :meth:`Audition._repr_mimebundle_`):

* a live ipywidgets view (JupyterLab, Notebook 7), whose state holds the WAV and PNG bytes;
* a plain HTML fallback (``<audio>`` and ``<img>`` with base64 data) for everything without a
  widget manager: nbconvert HTML, nbgrader feedback, GitHub.

Set the environment variable ``COURSE_WIDGETS=0`` (or pass ``widgets=False``) to emit the HTML
alone; it is also what happens where ipywidgets cannot be imported.

Nothing here writes to stderr (nbgrader test cells run it): warnings raised while drawing are
silenced, and bad input is refused with a ``ValueError`` that says what was expected, what came
and how to fix it.

Used by: hw1_tagging (hearing and seeing augmentations), hw4_transcription (listening to
predictions against the labels), hw5_basic_pitch (Basic Pitch and NMP outputs).
"""
from __future__ import annotations

import base64
import dataclasses
import html
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course import plots
from course.audio import check_audio, check_sample_rate
from course.plots.common import check_positive, png_bytes
from course.plots.rolls import binarise_estimate
from course.plots.spectrograms import log_spectrogram

COLUMN_WIDTH_PX = 480  # CSS pixels of a column: two fit side by side in a notebook
PICTURE_HEIGHT_PX = 260
PIXEL_RATIO = 2  # pictures are drawn at twice their displayed size: sharp on high-density screens
PICTURE_DPI = 100  # Matplotlib's dots per inch at 1x; fonts keep their size whatever the width
SECONDS_PER_COLUMN = 20.0  # a longer signal gets a wider picture that scrolls, instead of shrinking
MAX_PICTURE_WIDTH_PX = 4800  # 200 s at the same time scale; longer ones are squeezed into it
SPECTROGRAM_MAX_HZ = 8000.0  # music lives below; a 44.1 kHz file's top half would waste the picture


@dataclasses.dataclass
class Signal:
    """One column of an :class:`Audition`.

    Attributes:
        title: the column's heading, e.g. ``"ground truth"``.
        audio: ``(N,)`` mono samples in [-1, 1] (NumPy array or torch tensor).
        sample_rate: Hz; may be left out where the :class:`Audition` is given one.
        roll: optional ``(T, 88)`` piano roll (or posteriorgram) drawn instead of a spectrogram.
        frame_rate: frames per second of ``roll``; required with it.
        spectrogram: optional precomputed ``(T, F)`` log-magnitude spectrogram to draw; its frames
            are spread over the audio's duration and its y axis is in bins.
        reference_roll: optional ``(T, 88)`` ground truth; with ``roll``, the picture colours
            ``roll``'s TP / FP / FN against it.
        threshold: probability from which ``roll`` counts as active where compared.
    """

    title: str
    audio: Any
    sample_rate: int | None = None
    roll: Any = None
    frame_rate: float | None = None
    spectrogram: Any = None
    reference_roll: Any = None
    threshold: float = 0.5


_SIGNAL_FIELDS = tuple(f.name for f in dataclasses.fields(Signal))


def _resample_hint(rates: dict[int, list[str]], target: int) -> str:
    """How to bring every rate in ``rates`` (rate -> titles) to ``target``."""
    calls = "; ".join(f"course.audio.resample(audio, {rate}, {target}) for {', '.join(repr(t) for t in titles)}"
                      for rate, titles in rates.items() if rate != target and titles)
    return f"Resample them to one rate first, e.g. {calls}."


def _as_signal(item, index: int) -> Signal:
    if isinstance(item, Signal):
        return dataclasses.replace(item)  # a copy: checks below must not rewrite the caller's object
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - set(_SIGNAL_FIELDS))
        if unknown:
            raise ValueError(f"Item {index} has unknown keys {unknown}; a signal takes {list(_SIGNAL_FIELDS)}.")
        missing = [k for k in ("title", "audio") if k not in item]
        if missing:
            raise ValueError(f"Item {index} lacks {missing}: every signal needs a title and its audio.")
        return Signal(**item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return Signal(title=item[0], audio=item[1])
    raise ValueError(
        f"Item {index} is a {type(item).__name__}; an Audition takes Signal objects, dicts with "
        f"keys {list(_SIGNAL_FIELDS)}, or (title, audio) pairs."
    )


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """``(N,)`` float audio in [-1, 1] as the bytes of a 16-bit PCM WAV file."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, audio, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def picture_width_px(seconds: float) -> int:
    """Displayed width of a column's picture for a signal of ``seconds``: one column's width up to
    :data:`SECONDS_PER_COLUMN`, then wider at the same time scale (the picture scrolls)."""
    return int(min(MAX_PICTURE_WIDTH_PX, max(COLUMN_WIDTH_PX, round(seconds / SECONDS_PER_COLUMN * COLUMN_WIDTH_PX))))


def picture_kind(signal: Signal) -> tuple[str, str]:
    """``(CSS classes, alt text)`` naming what a column's picture shows (for people and tests)."""
    if signal.roll is not None:
        compared = " against the reference (TP / FP / FN)" if signal.reference_roll is not None else ""
        return "course-picture course-roll", f"{signal.title}: piano roll{compared}"
    if signal.spectrogram is not None:
        return "course-picture course-spectrogram course-yscale-bins", f"{signal.title}: spectrogram, y axis in bins"
    return ("course-picture course-spectrogram course-yscale-log",
            f"{signal.title}: spectrogram on a log-frequency axis (C1 to {SPECTROGRAM_MAX_HZ / 1000:g} kHz)")


def _picture(signal: Signal, audio: np.ndarray, sample_rate: int, key_range) -> bytes:
    """PNG of a column: its roll (compared where it has a reference), else its spectrogram on a
    log-frequency axis; :data:`PIXEL_RATIO` times its displayed size."""
    crop = key_range if key_range is not None else False
    width = picture_width_px(len(audio) / sample_rate)
    size = (width / PICTURE_DPI, PICTURE_HEIGHT_PX / PICTURE_DPI)

    def png(draw) -> bytes:
        return png_bytes(draw, size, PICTURE_DPI * PIXEL_RATIO)

    if signal.roll is not None and signal.reference_roll is not None:
        return png(lambda ax: plots.roll_comparison(
            signal.reference_roll, signal.roll, signal.frame_rate, ax=ax, threshold=signal.threshold, crop=crop))
    if signal.roll is not None:
        return png(lambda ax: plots.piano_roll(signal.roll, signal.frame_rate, ax=ax, crop=crop))
    if signal.spectrogram is not None:
        n_frames = len(signal.spectrogram)
        return png(lambda ax: plots.spectrogram(
            signal.spectrogram, sample_rate, len(audio) / n_frames, ax=ax, y_axis="bins"))
    S, hop = log_spectrogram(audio, sample_rate)

    return png(lambda ax: plots.spectrogram(S, sample_rate, hop, ax=ax, y_axis="log", fmax=SPECTROGRAM_MAX_HZ))


def _widgets_module(respect_env: bool = True):
    """ipywidgets where it can be used, else None (then only the HTML is shown)."""
    if respect_env and os.environ.get("COURSE_WIDGETS", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


class Audition:
    """Signals side by side: title, audio player and picture per column.

    The last expression of a cell shows it; elsewhere call :meth:`display`.

    Args:
        items: the columns, each a :class:`Signal`, a dict with its fields, or a
            ``(title, audio)`` pair.
        sample_rate: Hz, for the items that do not give their own. All columns must share
            one rate.
        widgets: True for the live ipywidgets view (plus the HTML fallback), False for the HTML
            alone; by default the view where ipywidgets imports and ``COURSE_WIDGETS`` is not 0.

    Attributes:
        signals: the checked signals, ``audio`` as ``(N,)`` float32 arrays.
        sample_rate: the common sample rate.
        wavs: per column, the WAV file (16-bit PCM) the player plays.
        pngs: per column, the PNG picture.
        widget: the ``ipywidgets.HBox`` of one ``VBox`` (title, ``Audio``, ``Image``) per column,
            or None without widgets.
        players: per column, its ``ipywidgets.Audio`` (empty without widgets).
    """

    def __init__(self, items: Sequence[Signal | Mapping | tuple], sample_rate: int | None = None,
                 widgets: bool | None = None):
        if isinstance(items, (Signal, Mapping)):
            items = [items]
        items = list(items)
        if not items:
            raise ValueError("An Audition needs at least one signal; got an empty list.")
        signals = [_as_signal(item, i) for i, item in enumerate(items)]
        default_rate = None if sample_rate is None else check_sample_rate(sample_rate, "the sample rate of the Audition")

        rates = {}
        for s in signals:
            if not isinstance(s.title, str):
                raise ValueError(f"A signal's title must be a string; got {s.title!r}.")
            s.audio = check_audio(s.audio, s.title, max_peak=1.0).astype(np.float32)
            if s.sample_rate is None and default_rate is None:
                raise ValueError(
                    f"{s.title!r} has no sample rate: give it one (Signal(..., sample_rate=16000)) "
                    "or give the Audition one (sample_rate=16000)."
                )
            s.sample_rate = default_rate if s.sample_rate is None else check_sample_rate(s.sample_rate, f"the sample rate of {s.title!r}")
            rates.setdefault(s.sample_rate, []).append(s.title)
            self._check_pictures(s)
        if default_rate is not None:
            rates.setdefault(default_rate, [])
        if len(rates) > 1:
            groups = "; ".join(
                f"{rate} Hz for {', '.join(repr(t) for t in titles) or 'the Audition (sample_rate=)'}"
                for rate, titles in rates.items()
            )
            target = default_rate if default_rate is not None else max(rates, key=lambda r: len(rates[r]))
            raise ValueError(
                f"All signals of an Audition must share one sample rate, so that they play and "
                f"compare alike; got {groups}. {_resample_hint(rates, target)}"
            )

        self.signals = signals
        self.sample_rate = signals[0].sample_rate
        self.wavs = [wav_bytes(s.audio, s.sample_rate) for s in signals]
        # One key range for every roll, so that columns line up note for note.
        active = [s.roll >= s.threshold for s in signals if s.roll is not None]
        active += [s.reference_roll for s in signals if s.reference_roll is not None]
        compared = any(s.reference_roll is not None for s in signals)
        headroom = plots.LEGEND_HEADROOM if compared else 0.0
        key_range = plots.used_pitch_range(*active, headroom=headroom) if active else None
        self.pngs = [_picture(s, s.audio, s.sample_rate, key_range) for s in signals]
        self.players = []
        self.widget = None
        # widgets=True overrides COURSE_WIDGETS; without ipywidgets the HTML still shows everything.
        module = _widgets_module(respect_env=widgets is None) if widgets in (None, True) else None
        if module is not None:
            self.widget = self._build_widget(module)

    @staticmethod
    def _check_pictures(s: Signal) -> None:
        if s.roll is not None and s.spectrogram is not None:
            raise ValueError(
                f"{s.title!r} has both a roll and a spectrogram; its column shows one picture: give one of them."
            )
        if s.roll is None:
            if s.reference_roll is not None:
                raise ValueError(
                    f"{s.title!r} has a reference_roll but no roll to compare with it: give roll= too."
                )
        else:
            if s.frame_rate is None:
                raise ValueError(
                    f"{s.title!r} has a roll but no frame_rate: give frame_rate= (the roll's frames "
                    "per second, e.g. 16000 / 512 = 31.25 in hw4)."
                )
            s.frame_rate = check_positive(s.frame_rate, f"frame_rate of {s.title!r}")
            s.roll = plots.check_roll(s.roll, f"The roll of {s.title!r}")
            if s.reference_roll is not None:
                s.reference_roll = plots.check_roll(s.reference_roll, f"The reference_roll of {s.title!r}")
                if s.reference_roll.shape != s.roll.shape:
                    raise ValueError(
                        f"The roll and reference_roll of {s.title!r} must have the same shape; got "
                        f"{s.roll.shape} and {s.reference_roll.shape}. Trim both to the shorter one."
                    )
        if s.spectrogram is not None:
            spec = np.asarray(s.spectrogram.detach().cpu() if hasattr(s.spectrogram, "detach") else s.spectrogram)
            if spec.ndim != 2 or 0 in spec.shape:
                raise ValueError(
                    f"The spectrogram of {s.title!r} must have shape (T, F), time first; got {spec.shape}."
                )
            s.spectrogram = spec

    def _build_widget(self, w):
        columns = []
        for s, wav, png in zip(self.signals, self.wavs, self.pngs):
            heading = w.HTML(f"<b>{html.escape(s.title)}</b>")
            player = w.Audio(value=wav, format="wav", autoplay=False, loop=False,
                             layout=w.Layout(width=f"{COLUMN_WIDTH_PX}px"))
            width = picture_width_px(len(s.audio) / s.sample_rate)
            picture = w.Image(value=png, format="png", width=str(width), layout=w.Layout(max_width="none"))
            for css_class in picture_kind(s)[0].split():
                picture.add_class(css_class)
            frame = w.Box([picture], layout=w.Layout(width=f"{COLUMN_WIDTH_PX}px", overflow="auto hidden"))
            self.players.append(player)
            columns.append(w.VBox([heading, player, frame], layout=w.Layout(margin="0 12px 8px 0")))
        return w.HBox(columns, layout=w.Layout(flex_flow="row wrap"))

    # ---- rendering -----------------------------------------------------------------------------------

    def to_html(self) -> str:
        """The columns as plain HTML: ``<audio controls>`` and ``<img>`` with base64 data."""
        parts = ['<div style="display:flex;flex-wrap:wrap;gap:12px">']
        for s, wav, png in zip(self.signals, self.wavs, self.pngs):
            title = html.escape(s.title)
            classes, alt = picture_kind(s)
            width = picture_width_px(len(s.audio) / s.sample_rate)
            parts.append(
                '<div style="display:flex;flex-direction:column;gap:4px">'
                f"<b>{title}</b>"
                f'<audio controls src="data:audio/wav;base64,{base64.b64encode(wav).decode("ascii")}" '
                f'style="width:{COLUMN_WIDTH_PX}px"></audio>'
                f'<div style="width:{COLUMN_WIDTH_PX}px;overflow-x:auto">'
                f'<img class="{classes}" alt="{html.escape(alt)}" style="max-width:none" '
                f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" width="{width}"></div>'
                "</div>"
            )
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        """The widget view (where there is a widget) plus ``text/html`` and ``text/plain``.

        A front end picks the richest type it can render: JupyterLab and Notebook 7 the live
        widget; nbconvert (without saved widget state), nbgrader feedback and GitHub the HTML.
        """
        bundle = {}
        if self.widget is not None:
            widget_repr = getattr(self.widget, "_repr_mimebundle_", None)  # None once closed
            if callable(widget_repr):
                bundle.update(widget_repr(**kwargs) or {})
        bundle["text/html"] = self.to_html()
        bundle["text/plain"] = repr(self)
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def display(self) -> None:
        """Show the audition now (for use inside loops and functions)."""
        from IPython.display import display

        display(self)

    def __repr__(self) -> str:
        columns = ", ".join(
            f"{s.title!r} ({len(s.audio) / s.sample_rate:.2f} s"
            f"{', roll' if s.roll is not None else ''})"
            for s in self.signals
        )
        return f"Audition({len(self.signals)} signals at {self.sample_rate} Hz: {columns})"


def audition(*signals, sample_rate: int | None = None, widgets: bool | None = None) -> Audition:
    """Shorthand for :class:`Audition`: ``audition(("original", x), ("augmented", y), sample_rate=16000)``.

    Args:
        *signals: :class:`Signal` objects, dicts of their fields, or ``(title, audio)`` pairs.
        sample_rate: Hz, for the signals that do not give their own.
        widgets: see :class:`Audition`.

    Returns:
        The :class:`Audition` (shown where it is the last expression of a cell).
    """
    return Audition(list(signals), sample_rate=sample_rate, widgets=widgets)


def compare_rolls(
    audio,
    reference_roll,
    predicted_roll,
    frame_rate: float,
    sample_rate: int = 16000,
    threshold: float = 0.5,
    widgets: bool | None = None,
) -> Audition:
    """Hear and see a transcription: the audio, and both rolls sonified with FluidSynth.

    Three columns: "audio" (its spectrogram), "ground truth (sonified)" (the reference roll) and
    "prediction (sonified)" (the prediction's TP / FP / FN against the reference).

    Args:
        audio: ``(N,)`` the recording that was transcribed; None to leave its column out.
        reference_roll: ``(T, 88)`` ground-truth frame roll.
        predicted_roll: ``(T, 88)`` binary prediction or posteriorgram (thresholded at
            ``threshold`` both for listening and for the colours).
        frame_rate: frames per second of both rolls.
        sample_rate: Hz of ``audio`` and of the sonifications.
        threshold: probability from which a predicted frame counts as active.
        widgets: see :class:`Audition`.

    Returns:
        The :class:`Audition`.
    """
    from course.notes import sonify_roll

    reference = plots.check_roll(reference_roll, "reference_roll")
    predicted = plots.check_roll(predicted_roll, "predicted_roll")
    if reference.shape != predicted.shape:
        raise ValueError(
            f"reference_roll and predicted_roll must have the same shape; got {reference.shape} and "
            f"{predicted.shape}. Trim both to the shorter one: n = min(len(a), len(b))."
        )
    predicted_binary = binarise_estimate(predicted, threshold, "predicted_roll").astype(np.float32)
    sample_rate = check_sample_rate(sample_rate, "the sample rate of compare_rolls")
    frame_rate = check_positive(frame_rate, "frame_rate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pretty_midi's deprecation notices must not reach stderr
        reference_audio = sonify_roll(reference > 0, frame_rate, sample_rate)
        predicted_audio = sonify_roll(predicted_binary, frame_rate, sample_rate)
    items = []
    if audio is not None:
        items.append(Signal("audio", audio, sample_rate))
    items.append(Signal("ground truth (sonified)", reference_audio, sample_rate, roll=reference,
                        frame_rate=frame_rate))
    items.append(Signal("prediction (sonified)", predicted_audio, sample_rate, roll=predicted,
                        frame_rate=frame_rate, reference_roll=reference, threshold=threshold))
    return Audition(items, widgets=widgets)


__all__ = ["Signal", "Audition", "audition", "compare_rolls", "wav_bytes"]
