"""Plots: spectrograms, piano rolls, TP/FP/FN comparisons, posteriorgrams, curves, confusions.

Every function draws on the Matplotlib ``ax`` it is given (or on a new figure's Axes where
``ax`` is None) and returns that Axes; none calls ``plt.show()``, so a notebook decides when a
figure appears and :mod:`course.listen` can render the same pictures into PNGs.

Conventions of the course, checked on entry:

* a spectrogram is ``(T, F)``: time first, as the models see it (librosa returns ``(F, T)``:
  transpose it with ``S.T``);
* a piano roll, a posteriorgram and an estimate are ``(T, 88)``, column ``k`` the key with MIDI
  pitch ``21 + k`` (see :mod:`course.notes`).

The TP/FP/FN colours are the Okabe-Ito colour-blind-safe ones: true positives black, false
positives vermillion, false negatives blue, on white.

One module per kind of figure: ``common`` (colours, checks), ``spectrograms``, ``rolls`` (piano
rolls, comparisons, posteriorgrams), ``charts`` (curves, confusions, sweeps); all re-exported here.

Used by: hw1_tagging and hw2_genre (log-mel spectrograms, training curves; hw2 confusion
matrices), hw3_chords (training curves, chord confusion matrices), hw4_transcription (piano rolls,
posteriorgrams, TP/FP/FN), hw5_basic_pitch (CQT, posteriorgrams, NMP), and :mod:`course.listen`
(the pictures under the players).
"""
from course.plots.charts import confusion_matrix, sweep_grid, sweep_heatmap, training_curves
from course.plots.common import (
    BACKGROUND_COLOR,
    FN_COLOR,
    FP_COLOR,
    LEGEND_HEADROOM,
    NOTE_NAMES,
    TP_COLOR,
    Y_AXES,
    note_name,
)
from course.plots.rolls import (
    check_roll,
    comparison_image,
    piano_roll,
    posteriorgram,
    roll_comparison,
    used_pitch_range,
)
from course.plots.spectrograms import log_spectrogram, spectrogram

__all__ = [
    "BACKGROUND_COLOR", "TP_COLOR", "FP_COLOR", "FN_COLOR", "LEGEND_HEADROOM", "NOTE_NAMES", "Y_AXES",
    "note_name", "check_roll", "used_pitch_range", "comparison_image", "piano_roll", "roll_comparison",
    "posteriorgram", "log_spectrogram", "spectrogram", "training_curves", "confusion_matrix",
    "sweep_grid", "sweep_heatmap",
]
