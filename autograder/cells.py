"""Reading nbgrader's cell metadata: one place, on nbgrader's own predicates.

Notebooks are read with nbformat (attribute access, as nbgrader's ``utils`` expects); grade and
solution flags come from ``nbgrader.utils.is_grade`` / ``is_solution``.
"""
from __future__ import annotations

import pathlib


def read(path: str | pathlib.Path):
    """A notebook as an nbformat v4 ``NotebookNode``."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id``, or ``None`` for an ordinary cell."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def grade_ids(nb) -> list[str]:
    """The ``grade_id`` of every nbgrader cell of a notebook, in order (repeats kept)."""
    return [g for g in map(grade_id, nb.cells) if g]


def find(nb, wanted: str):
    """The (first) cell whose ``grade_id`` is ``wanted``; ``KeyError`` if none."""
    for cell in nb.cells:
        if grade_id(cell) == wanted:
            return cell
    raise KeyError(f"no cell with grade_id {wanted!r}")


def is_written_answer(cell) -> bool:
    """A manually graded markdown answer (nbgrader: grade and solution, markdown)."""
    from nbgrader.utils import is_grade, is_solution

    return cell.cell_type == "markdown" and is_grade(cell) and is_solution(cell)


def is_test(cell) -> bool:
    """An autograded test cell (nbgrader: grade, code, not solution)."""
    from nbgrader.utils import is_grade, is_solution

    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)
