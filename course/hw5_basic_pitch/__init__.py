"""hw5_basic_pitch: Basic Pitch / NMP around the layers students write, on the given CQT front end.

``constants``, ``model`` (front end, transcriber), ``inference`` (whole pieces), ``data`` (cached
windows), ``training`` (loss, loop), ``evaluation`` (note F, frame accuracy), ``augment``
(augmentations and the masking non-example), ``released`` (Spotify's released weights).
"""
