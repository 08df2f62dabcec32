"""Scores from music21's bundled corpus: which pieces, which split, and their notes.

The candidates are 400 Bach works (nearly all four-part chorales) and 48 Monteverdi madrigals;
:func:`choose_pieces` deals them into seeded train / validation / test pools shared by every set
built with one seed, so a piece tested in one set is never trained on in another.

Used by: ``data_scripts.piano`` and ``data_scripts.multi`` (the rendered sets).
"""
from __future__ import annotations

import dataclasses
import pathlib
import re

import numpy as np

from data_scripts.manifest import SPLITS

# Corpus sources: (music21 composer folder, file suffix, composer's name in the csv, file prefix).
_SOURCES = (
    ("bach", ".mxl", "Johann Sebastian Bach", "bach"),
    ("monteverdi", ".mxl", "Claudio Monteverdi", "monteverdi"),
)
# Every 10th piece of the shuffled list goes to test, the next to validation, the rest to train:
# the ci set's pieces are then a subset of the cpu set's, which are a subset of the gpu set's,
# so a model trained on a smaller profile never saw a larger profile's test pieces.
_POOL_PERIOD = 10


@dataclasses.dataclass(frozen=True)
class CorpusPiece:
    """One score of the corpus.

    Attributes:
        index: position in :func:`corpus_pieces` (fixed; it seeds the piece's renditions).
        composer: the composer's full name (csv ``canonical_composer``).
        title: the piece's title (csv ``canonical_title``), e.g. ``"BWV 1.6"``.
        corpus_path: path inside music21's corpus folder, e.g. ``"bach/bwv1.6.mxl"``.
        slug: file-name stem, e.g. ``"bach_bwv1.6"``.
    """

    index: int
    composer: str
    title: str
    corpus_path: str
    slug: str


def _title(folder: str, stem: str) -> str:
    if folder == "bach" and stem.startswith("bwv"):
        return "BWV " + stem[3:]
    if folder == "monteverdi" and stem.startswith("madrigal."):
        book, _, number = stem[len("madrigal."):].partition(".")
        return f"Madrigal, Book {book} No. {number}"
    return stem


def corpus_pieces() -> list[CorpusPiece]:
    """Every candidate piece of music21's corpus, in a fixed order.

    Versions of one piece (``bwv18.5-lz`` and ``bwv18.5-w``, the ``-sc``/``-inst``/``_old``
    variants) are kept once, the first by name, so no piece can land in two splits.

    Returns:
        The pieces sorted by source and file name; ``CorpusPiece.index`` is the position in this list.
    """
    from music21 import common, corpus

    corpus_dir = pathlib.Path(common.getCorpusFilePath())
    pieces, seen = [], set()
    for folder, suffix, composer, prefix in _SOURCES:
        paths = sorted(
            (p for p in corpus.getComposer(folder) if p.suffix == suffix),
            key=lambda p: p.name,
        )
        for path in paths:
            stem = path.name[: -len(suffix)]
            # "bwv18.5-lz" and "bwv18.5-w", "madrigal.3.1" and "madrigal.3.1_old" are one work.
            work = (folder, re.split(r"[-_]", stem)[0])
            if work in seen:
                continue
            seen.add(work)
            pieces.append(
                CorpusPiece(
                    index=len(pieces),
                    composer=composer,
                    title=_title(folder, stem),
                    corpus_path=path.relative_to(corpus_dir).as_posix(),
                    slug=f"{prefix}_{stem}",
                )
            )
    return pieces


def choose_pieces(
    n_train: int, n_validation: int, n_test: int, seed: int = 0, sizes_name: str = "piano"
) -> dict[str, list[CorpusPiece]]:
    """Pick each split's pieces from a seeded shuffle of :func:`corpus_pieces`.

    Args:
        n_train, n_validation, n_test: pieces wanted per split.
        seed: the shuffle's seed. Every set built with one seed shares the pools: a piece in
            the piano set's test pool is never in the multi-instrument set's training split.
        sizes_name: the profile's sizes being served (``piano``, ``multi``), for the error.

    Returns:
        ``{"train": [...], "validation": [...], "test": [...]}``, each sorted by ``CorpusPiece.index``;
        no piece is in two splits.

    Raises:
        ValueError: when the corpus has too few pieces for a split.
    """
    pieces = corpus_pieces()
    order = np.random.default_rng(seed).permutation(len(pieces))
    pools = {"test": [], "validation": [], "train": []}
    for position, i in enumerate(order):
        slot = position % _POOL_PERIOD
        pools["test" if slot == 0 else "validation" if slot == 1 else "train"].append(pieces[i])
    wanted = {"train": n_train, "validation": n_validation, "test": n_test}
    for split, n in wanted.items():
        if n > len(pools[split]):
            raise ValueError(
                f"The {split} split wants {n} pieces but the corpus offers {len(pools[split])} "
                f"for it ({len(pieces)} pieces in all). Lower the profile's {sizes_name} sizes "
                "(course/profiles.py) or add a corpus source to _SOURCES in data_scripts/corpus.py."
            )
    return {split: sorted(pools[split][: wanted[split]], key=lambda p: p.index) for split in SPLITS}


@dataclasses.dataclass
class ScoreNotes:
    """The notes of a score in quarter lengths, all parts merged (before any rendition).

    Attributes:
        onsets: ``(N,)`` onsets in quarter notes from the start.
        durations: ``(N,)`` durations in quarter notes (ties merged), all > 0.
        pitches: ``(N,)`` sounding MIDI pitches.
        beat_strengths: ``(N,)`` music21's metrical weight of each onset: 1 on a downbeat,
            0.5 / 0.25 / ... on weaker beats.
        parts: ``(N,)`` index of the note's part in the score (0 = the first, usually the top
            voice); :func:`perform_parts` gives each part an instrument of its own.
    """

    onsets: np.ndarray
    durations: np.ndarray
    pitches: np.ndarray
    beat_strengths: np.ndarray
    parts: np.ndarray


def read_score(corpus_path: str) -> ScoreNotes:
    """Every note of a corpus score: ties merged, transposing instruments at sounding pitch.

    Args:
        corpus_path: path inside music21's corpus (``CorpusPiece.corpus_path``).

    Returns:
        The notes of all parts; grace notes (zero duration) are dropped.
    """
    from music21 import common, converter

    path = pathlib.Path(common.getCorpusFilePath()) / corpus_path
    # forceSource/storePickle: read the file itself and write no cache, so builds depend on the
    # corpus file only.
    score = converter.parse(path, forceSource=True, storePickle=False)
    # In place: copying a score costs more than parsing it.
    score.toSoundingPitch(inPlace=True)  # a horn part is notated a fifth above where it sounds
    score.stripTies(inPlace=True)  # one note per sounded key, not one per tied notehead
    rows = []
    for part_index, part in enumerate(score.parts):
        for n in part.recurse().notes:
            duration = float(n.quarterLength)
            if duration <= 0:
                continue
            onset = float(n.getOffsetInHierarchy(part))
            strength = float(n.beatStrength)
            rows.extend((onset, duration, p.midi, strength, part_index) for p in n.pitches)
    if not rows:
        raise ValueError(f"The score {corpus_path} has no notes; remove it from the sources.")
    # Deterministic order, whatever the part order. The part comes last: rows equal in the first
    # four columns (two parts in unison) stay in the order the piano set was built with.
    rows.sort()
    a = np.array(rows, dtype=np.float64)
    return ScoreNotes(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3], a[:, 4].astype(np.int64))
