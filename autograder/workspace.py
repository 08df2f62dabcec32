"""Releases and grading workspaces: nbgrader's course roots, their source copies and submissions.

A grading workspace (default ``build/grading``) is an nbgrader course root: ``source/`` is a
copy of ``solutions/``, refreshed before every submission; ``submitted/<student>/<hw>/`` holds
the collected notebooks; nbgrader adds ``autograded/``, ``feedback/`` and the gradebook.
"""
from __future__ import annotations

import os
import pathlib
import shutil

from autograder.config import REPO, make_config


def api_for(config):
    """An ``NbGraderAPI`` for ``config`` (imported late: nbgrader is slow to import)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def check_result(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader failed to {what}:\n{result.get('error') or ''}\n{result.get('log') or ''}")


def homeworks_in(directory: pathlib.Path) -> list[str]:
    """Homework folders (those holding notebooks) of ``directory``, sorted."""
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def generate_releases(homeworks=None, release_root: pathlib.Path | None = None) -> list[str]:
    """Generate the student release of each homework from ``solutions/`` with nbgrader.

    Writes ``assignments/<hw>`` (or ``release_root/<hw>``); the gradebook nbgrader fills on the way
    lives in a temporary folder and is thrown away (grading uses its own, see :func:`grade`).
    """
    import tempfile

    homeworks = list(homeworks or homeworks_in(REPO / "solutions"))
    release_root = pathlib.Path(release_root or REPO / "assignments").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(REPO, source="solutions", release=os.path.relpath(release_root, REPO),
                             db_path=pathlib.Path(tmp) / "gradebook.db")
        api = api_for(config)
        for hw in homeworks:
            check_result(api.generate_assignment(hw, force=True, create=True), f"generate the release of {hw}")
    return homeworks


# What running a solution notebook in place leaves beside it, never part of a release: trained
# checkpoints, cached experiment results, notebook checkpoints.
RELEASE_EXCLUDES = (".ipynb_checkpoints", "__pycache__", "*.pt", "*.ckpt", "hw*_runs", "outputs")


def refresh_source(workspace: pathlib.Path) -> None:
    """(Re)copy ``solutions/`` to the workspace's ``source/``.

    A copy, not a link: a hostile submission runs next to it and must not reach solutions/; and a
    fresh copy before every submission undoes whatever the previous one did to it.
    """
    source = workspace / "source"
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(REPO / "solutions", source, ignore=shutil.ignore_patterns(*RELEASE_EXCLUDES))


def init_workspace(workspace: pathlib.Path, cell_timeout: int) -> pathlib.Path:
    """Create (or refresh) a grading workspace: a copy of ``solutions/`` as nbgrader's source."""
    workspace = pathlib.Path(workspace).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    refresh_source(workspace)
    (workspace / "nbgrader_config.py").write_text(
        "# Written by `python -m autograder grade`; lets `nbgrader formgrader` work in this folder.\n"
        "from autograder.config import configure\n"
        f"configure(get_config(), root={str(workspace)!r}, cell_timeout={cell_timeout})\n"
    )
    return workspace


def db_path(workspace: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(workspace) / "gradebook.db"


def collect(submissions: pathlib.Path, workspace: pathlib.Path, homework: str) -> list[str]:
    """Copy collected submissions into ``workspace/submitted/<student>/<homework>/``.

    ``submissions`` holds one folder per student, with the notebooks either directly inside or
    in a ``<homework>`` subfolder (nbgrader's own layout). Returns the student ids.
    """
    students = []
    for folder in sorted(p for p in pathlib.Path(submissions).iterdir() if p.is_dir()):
        src = folder / homework if (folder / homework).is_dir() else folder
        dest = workspace / "submitted" / folder.name / homework
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        students.append(folder.name)
    return students
