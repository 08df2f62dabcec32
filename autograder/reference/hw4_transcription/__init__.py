"""hw4_transcription's reference: the transcribers and decoder students write, Q1's shape table,
the catalogue of mistakes and the trained checkpoint a reference student hands in."""
