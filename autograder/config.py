"""nbgrader configuration of the course, in one place.

Two nbgrader course roots are used:

* the repository itself for releases: ``solutions/`` is nbgrader's source directory and
  ``assignments/`` its release directory (``python -m autograder release``);
* a grading workspace (default ``build/grading``) for a class's submissions: its ``source/`` is a
  copy of ``solutions/``, and it holds ``submitted/``, ``autograded/``, ``feedback/`` and the
  gradebook. The workspace gets an ``nbgrader_config.py`` that calls :func:`configure`, so
  ``nbgrader formgrader`` (manual grading of the written answers) works there too.
"""
from __future__ import annotations

import os
import pathlib
import sys
import tempfile

from traitlets.config import Config

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_CELL_TIMEOUT = 300  # seconds a single cell may run while grading

# nbgrader shells out to `alembic` (gradebook migrations) and jupyter finds kernels on PATH: make the
# environment's own bin folder visible even when the virtualenv was not activated.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def configure(c: Config, root: pathlib.Path | str, cell_timeout: int = DEFAULT_CELL_TIMEOUT,
              source: str = "source", release: str = "release", db_path: pathlib.Path | None = None) -> Config:
    """Fill an nbgrader ``Config`` for the course root ``root``."""
    root = pathlib.Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.Application.log_level = "ERROR"  # nbgrader logs every file it touches; errors still come through
    c.CourseDirectory.course_id = "dl4ma"
    c.CourseDirectory.source_directory = source
    c.CourseDirectory.release_directory = release
    c.CourseDirectory.db_url = f"sqlite:///{(db_path or root / 'gradebook.db').resolve()}"
    # No exchange is used (submissions are collected into a folder): keep nbgrader from probing
    # the system-wide default exchange directory.
    exchange = pathlib.Path(tempfile.gettempdir()) / "dl4ma-nbgrader-exchange"
    exchange.mkdir(exist_ok=True)
    c.Exchange.root = str(exchange)
    # Checkpoints are *not* ignored: a submission's trained model (hw4's onsets_and_frames.pt) must
    # reach the autograded folder. A release never holds one: the source is copied without them
    # (workspace.RELEASE_EXCLUDES).
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "outputs"]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.ExecutePreprocessor.timeout = cell_timeout
    c.Execute.timeout = cell_timeout
    c.Execute.interrupt_on_timeout = True
    # A deleted grade cell scores 0 (nbgrader's default). Re-adding it from the gradebook
    # (OverwriteCells.add_missing_cells) would show a deleted written answer's model solution in
    # the feedback, and in nbgrader 0.9.6 it crashes on a submission with duplicated cells.
    c.OverwriteCells.add_missing_cells = False
    # Hidden tests receive instructor code only here, in the grader's process, right before the
    # notebook runs (autograder.directives).
    from nbgrader.converters import Autograde

    from autograder.directives import ExpandDirectives

    c.Autograde.autograde_preprocessors = [ExpandDirectives] + list(Autograde.class_traits()["autograde_preprocessors"].default())
    c.LimitOutput.max_lines = 200
    return c


def make_config(root, **kwargs) -> Config:
    return configure(Config(), root, **kwargs)
