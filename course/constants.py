"""Constants more than one homework (and the dataset builders) share; torch-free.

Piano keys, the 16-kHz log-mel grid of the piano set (hw4, the hw5 problem set) and Basic Pitch's
CQT grid (hw5, the multi-instrument set). Names of the CQT constants follow Basic Pitch's
``basic_pitch/constants.py``, so the paper, its code and the homework read alike.
"""
import math

# Piano keys: column k of a (T, 88) roll is MIDI pitch 21 + k.
MIN_MIDI = 21  # A0
MAX_MIDI = 108  # C8
N_KEYS = MAX_MIDI - MIN_MIDI + 1  # 88

# The piano set and its log-mel front end (Onsets and Frames' settings).
SAMPLE_RATE = 16000
HOP_LENGTH = 512  # 32 ms
FRAME_RATE = SAMPLE_RATE / HOP_LENGTH  # 31.25 frames per second
N_FFT = 2048
N_MELS = 229
MEL_F_MIN, MEL_F_MAX = 30.0, 8000.0
LOG_MEL_CLAMP = 1e-5  # mel magnitudes are raised to this before the log
SILENCE = math.log(LOG_MEL_CLAMP)  # the log-mel of silence

# Basic Pitch's CQT: 3 bins per semitone from A0, hop 256 at 22050 Hz, 2-s windows less one hop.
AUDIO_SAMPLE_RATE = 22050
FFT_HOP = 256
CQT_FRAME_RATE = AUDIO_SAMPLE_RATE / FFT_HOP  # 86.13 frames per second
ANNOTATIONS_BASE_FREQUENCY = 27.5  # A0: the CQT's first bin
CONTOURS_BINS_PER_SEMITONE = 3
NOTES_BINS_PER_SEMITONE = 1
ANNOTATIONS_N_SEMITONES = N_KEYS
N_FREQ_BINS_CONTOURS = ANNOTATIONS_N_SEMITONES * CONTOURS_BINS_PER_SEMITONE  # 264
N_FREQ_BINS_NOTES = ANNOTATIONS_N_SEMITONES * NOTES_BINS_PER_SEMITONE  # 88
AUDIO_WINDOW_LENGTH = 2  # seconds per training example
ANNOTATIONS_FPS = AUDIO_SAMPLE_RATE // FFT_HOP  # 86: Basic Pitch rounds 86.13 frames/s down
ANNOT_N_FRAMES = ANNOTATIONS_FPS * AUDIO_WINDOW_LENGTH  # 172 frames per window
AUDIO_N_SAMPLES = AUDIO_SAMPLE_RATE * AUDIO_WINDOW_LENGTH - FFT_HOP  # 43844: one hop less -> 172 frames
# The most semitones above A0 under the Nyquist frequency (11025 Hz): 103
MAX_N_SEMITONES = int(math.floor(12.0 * math.log2(0.5 * AUDIO_SAMPLE_RATE / ANNOTATIONS_BASE_FREQUENCY)))
N_CQT_BINS = MAX_N_SEMITONES * CONTOURS_BINS_PER_SEMITONE  # 309
HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7)  # the sub-harmonic and the first 7 harmonics
