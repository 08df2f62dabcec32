"""The course library: what the homework notebooks of Deep Learning for Music Audio import.

A flat core that every homework shares, and one package per homework, named as its folder in
``solutions/`` (homework packages import the core, never each other):

=============================  ==================================================================
``course.constants``           shared constants: piano keys, the log-mel and CQT grids (torch-free)
``course.profiles``            every size of data, models and training runs (``COURSE_PROFILE``)
``course.paths``               where built datasets and fetched weights live
``course.audio``               load/save (soundfile), resampling, the one audio check
``course.features``            log-mel, Basic Pitch's CQT, harmonic stacking
``course.notes``               note lists <-> piano rolls, sonification with FluidSynth
``course.datasets``            what every loader's ``piece(i)`` returns
``course.metrics``             mir_eval and scikit-learn metrics
``course.training``            seeding, device, the training loop and its clock, checkpoints
``course.listen``              audition widgets: signals side by side with player and picture
``course.plots``               spectrograms, piano rolls, TP/FP/FN, curves, confusions, sweeps
``course.hw4_transcription``   hw4: the baseline transcriber, its data, training, scores, sweeps
``course.hw5_basic_pitch``     hw5: Basic Pitch's front end and windows, training, scores,
                               augmentation, Spotify's released weights
=============================  ==================================================================
"""
__version__ = "0.1.0"
