"""hw5_basic_pitch's reference: the problem set's functions, the NMP layers, note creation and
augmentations students write, and the catalogue of mistakes."""
