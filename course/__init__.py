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
========================  =====================================================================
"""
__version__ = "0.1.0"
