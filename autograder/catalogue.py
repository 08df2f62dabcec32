"""The entry of a homework's catalogue of mistakes (``autograder/reference/<hw>/mistakes.py``).

A mistake is a plausible wrong answer written into the reference solution: the text ``old`` of
one solution cell replaced by ``new``; graded, it must lose exactly the test cells ``loses``.
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
