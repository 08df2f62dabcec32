"""Builders and loaders of the course's embedded datasets.

Everything is made from music21's bundled corpus and rendered locally with FluidSynth, so no
download is needed:

* :mod:`data_scripts.piano` -- builds the polyphonic piano transcription set (hw4, hw5) in
  MAESTRO v3's layout;
* :mod:`data_scripts.multi` -- builds the multi-instrument set with pitch bends and Basic Pitch
  labels (hw5), in the same layout plus label files;
* :mod:`data_scripts.maestro` -- reads that layout (the embedded set or a real MAESTRO download);
* :mod:`data_scripts.paths` -- where the datasets live and how to tell a complete one.

``python -m data_scripts build --profile cpu`` builds them all (and fetches Spotify's released
Basic Pitch model for hw5).
"""
