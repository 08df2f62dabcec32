"""Build the embedded piano transcription set: corpus scores rendered as piano performances.

No download: the pieces are scores from music21's bundled corpus (400 Bach works, nearly all
four-part chorales, and 48 Monteverdi madrigals, :mod:`data_scripts.corpus`; every voice played
on one piano), each played by a simulated pianist (:mod:`data_scripts.perform`) -- a random
tempo, transposition, dynamics, accents and slightly uneven timing -- and rendered to audio with FluidSynth. The labels are exactly the notes of the MIDI
files written, so unlike a recording the ground truth is perfect.

The set is stored in MAESTRO v3's layout, so one loader (:mod:`data_scripts.maestro`) reads
both this set and a real MAESTRO download::

    <root>/maestro-v3.0.0.csv       canonical_composer, canonical_title, split, year,
    <root>/maestro-v3.0.0.json          midi_filename, audio_filename, duration
    <root>/2026/bach_bwv1.6_r0.midi  one piano track (program 0), no pedal
    <root>/2026/bach_bwv1.6_r0.wav   16 kHz mono PCM_16
    <root>/manifest.json            profile, seed, builder version, sha256 of every file

Splits are by piece: all renditions of a piece are in one split. Sizes come from the profile
(``P.data.piano``). The same seed gives byte-identical files, whatever the number of worker
processes.

Command line::

    python -m data_scripts.piano --profile cpu [--seed 0] [--force] [--root PATH]

Used by: hw4_transcription and the hw5 problem set (through ``data_scripts.maestro``).
"""
from __future__ import annotations

import sys

from course.constants import SAMPLE_RATE
from data_scripts import maestro
from data_scripts.build import DatasetSpec, RenderTask, command_line, start_rendition, write_rendition
from data_scripts.corpus import read_score
from data_scripts.perform import perform

# Bump whenever a change alters the files built: a complete set of another version is rebuilt.
BUILDER_VERSION = 2
DATASET_NAME = "piano"


def _render_piece(task: RenderTask) -> list[dict]:
    """Render every rendition of one piece; returns their csv rows (plus note counts)."""
    score = read_score(task.piece.corpus_path)
    rows = []
    for r in range(task.n_renditions):
        rng, transpose, stem = start_rendition(task, r)
        notes = perform(score, rng, transpose, task.max_seconds)
        _, audio = write_rendition(notes.to_pretty_midi(program=0), task.out_dir, stem, SAMPLE_RATE)
        rows.append(maestro.metadata_row(task.piece, task.split, stem, len(audio), SAMPLE_RATE, len(notes)))
    return rows


PIANO = DatasetSpec(DATASET_NAME, BUILDER_VERSION, SAMPLE_RATE, _render_piece, maestro.write_metadata, str(maestro.YEAR))


# Build the set (or find it built): build_piano_dataset(root=None, profile_name=None, seed=0, force=False,
# workers=None) -> its folder, data/<profile>/piano by default (data_scripts.build.build_dataset).
build_piano_dataset = PIANO.build


def main(argv: list[str] | None = None) -> None:
    command_line(PIANO, "Build the embedded piano transcription set (MAESTRO layout).", argv)


if __name__ == "__main__":
    main(sys.argv[1:])
