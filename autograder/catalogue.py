"""The entry of a homework's catalogues (``autograder/reference/<hw>/mistakes.py``).

A :class:`Mistake` is a plausible wrong answer written into the reference solution: the text
``old`` of one solution cell replaced by ``new``; graded, it must lose exactly the test cells
``loses``. An alternative is a different *correct* answer written the same way, with ``loses``
empty: graded, it must lose nothing. Both catalogues run in the pipeline test.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mistake:
    name: str
    notebook: str  # file name inside solutions/<homework>/
    cell: str  # grade_id of the solution cell that holds the mistake
    old: str  # text of the reference solution replaced ...
    new: str  # ... by this
    loses: tuple[str, ...]  # grade_ids of the test cells that must score 0
