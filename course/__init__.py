"""The course library: what every homework notebook of Deep Learning for Music Audio imports.

One module per concept:

========================  =====================================================================
``course.profiles``       sizes of data, models and training runs (``COURSE_PROFILE``)
``course.audio``          load/save (soundfile), resampling, log-mel front end
``course.cqt``            Basic Pitch's CQT and harmonic stacking
``course.notes``          note lists <-> piano rolls, sonification with FluidSynth
``course.listen``         audition widgets: signals side by side with player and picture
``course.plots``          spectrograms, piano rolls with TP/FP/FN colours, curves, confusions
``course.training``       seeding, device choice, training loop, checkpoints
``course.metrics``        mir_eval and scikit-learn metrics
``course.transcription``  hw4: the baseline transcriber, features, training, evaluation, sweeps
``course.nmp``            hw5: Basic Pitch's front end, windows and stitching, the transcriber
``course.nmp_training``   hw5: cached training windows, Basic Pitch's loss, training, scores
``course.augment``        hw5: reverb, EQ, pitch shift, drum loop, masking, batch augmentation
``course.released``       hw5: Spotify's released Basic Pitch (weights via onnx, onnxruntime)
========================  =====================================================================
"""
__version__ = "0.1.0"
