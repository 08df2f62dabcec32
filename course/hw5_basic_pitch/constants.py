"""hw5's constants (torch-free): the NMP's layer sizes, full-piece windows, the loss, the release.

The CQT grid (22050 Hz, hop 256, 3 bins per semitone, 2-s windows of 43844 samples = 172 frames)
is shared with the multi-instrument set and lives in :mod:`course.constants`.
"""
from __future__ import annotations

from course.constants import (
    AUDIO_N_SAMPLES,
    CONTOURS_BINS_PER_SEMITONE,
    FFT_HOP,
    HARMONICS,
    N_FREQ_BINS_CONTOURS,
    N_FREQ_BINS_NOTES,
    NOTES_BINS_PER_SEMITONE,
)

N_HARMONICS = len(HARMONICS)  # 8: the sub-harmonic 0.5 and harmonics 1..7
BATCH_NORM_EPS = 1e-3  # Keras' BatchNormalization epsilon (PyTorch's default is 1e-5)
# From contour bins (3 per semitone) to note bins (1 per semitone): the note and onset heads'
# frequency stride.
NOTE_STRIDE = CONTOURS_BINS_PER_SEMITONE // NOTES_BINS_PER_SEMITONE  # 3
HEADS = ("contour", "note", "onset")
OUTPUT_BINS = {"contour": N_FREQ_BINS_CONTOURS, "note": N_FREQ_BINS_NOTES, "onset": N_FREQ_BINS_NOTES}
LABEL_BINS_PER_SEMITONE = {"contour": CONTOURS_BINS_PER_SEMITONE, "note": NOTES_BINS_PER_SEMITONE,
                           "onset": NOTES_BINS_PER_SEMITONE}

# Full pieces (Basic Pitch's inference.py): windows overlap by 30 frames; half the overlap is
# dropped at each end of every window's output (the frames that saw the window's edge).
OVERLAP_FRAMES = 30
OVERLAP_SAMPLES = OVERLAP_FRAMES * FFT_HOP  # 7680
WINDOW_HOP = AUDIO_N_SAMPLES - OVERLAP_SAMPLES  # 36164 samples between window starts

LABEL_SMOOTHING = 0.2  # basic_pitch/models.py: loss(label_smoothing=0.2)
ONSET_POSITIVE_WEIGHT = 30.0  # onsets' positive weight for training (bench/measurements.md: why)

# Spotify's released model: the ONNX file inside the basic-pitch wheel (data_scripts.weights fetches it).
WHEEL_REQUIREMENT = "basic-pitch==0.4.0"
WHEEL_GLOB = "basic_pitch-0.4.0-*.whl"
ONNX_MEMBER = "basic_pitch/saved_models/icassp_2022/nmp.onnx"
ONNX_SHA256 = "2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec"
ONNX_NAME = "basic_pitch_0.4.0_icassp_2022_nmp.onnx"
