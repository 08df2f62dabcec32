"""Builders of the course's embedded datasets and loaders of their layouts (and the real sets').

Everything is made from music21's bundled corpus and rendered locally with FluidSynth, so no
download is needed but the released model weights (:mod:`data_scripts.weights`):

========================  ===================================================================
``corpus``, ``perform``   the scores and pools of pieces; the simulated performer
``build``, ``manifest``   the build machinery; complete vs half-built sets, file hashes
``piano``                 the piano transcription set (hw4, the hw5 problem set), MAESTRO layout
``multi``                 the multi-instrument set with pitch bends and Basic Pitch labels (hw5)
``maestro``               MAESTRO v3's layout: the piano set or a real MAESTRO download
``multi_dataset``         the multi-instrument set's loader (hw5)
``weights``               released weights fetched at set-up (Basic Pitch, hw5)
========================  ===================================================================

Every loader gives whole recordings through ``piece(i)`` (:mod:`course.datasets`).
``python -m data_scripts build --profile cpu`` builds every set and fetches the weights.
"""
