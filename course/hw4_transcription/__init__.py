"""hw4_transcription: piano transcription with the baseline and Onsets and Frames, on log-mel frames.

``constants`` (grid, priors), ``model`` (ConvStack, the baseline), ``data`` (cached log-mels and
crops), ``training`` (loss, loop, checkpoints), ``evaluation`` (frame and note F1),
``experiments`` (Q2's cached sweeps). The transcribers of Q3 and the decoder are the students'.
"""
