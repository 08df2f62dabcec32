"""Collect an LMS download into one folder per student, with nbgrader's ``zip_collect``.

A learning-management system hands the instructor one archive (or a folder) of every student's
uploaded files, each renamed with the student's id. :func:`collect_download` runs nbgrader's
``ZipCollectApp`` on it -- extract, parse every file name with :data:`CANVAS` (or your own
regular expression), keep the notebooks of the release and the files handed in beside them --
and writes ``<dest>/<student_id>/<homework>/``, the layout ``python -m autograder grade`` reads.

Canvas names a download ``<lastfirst>_[LATE_]<user id>_<submission id>_<original name>``, and a
re-upload ``<name>-1.ipynb``. For another LMS pass ``named_regexp`` (``--regexp``): a Python
regular expression matched against each extracted file's full path, with the named groups
``student_id`` and ``file_id`` (the original name, without a re-upload suffix).
"""
from __future__ import annotations

import pathlib
import shutil
import tempfile

from autograder.config import REPO, make_config

CANVAS = (r".*/(?P<name>[^/_]+)_(?:LATE_)?(?P<student_id>\d+)_\d+_"
          r"(?P<file_id>[^/]+?)(?:-\d+)?(?P<ext>\.ipynb|\.pt)$")
# Files kept: the notebooks, and what a student hands in beside them (hw4's checkpoint).
VALID_EXTENSIONS = [".ipynb", ".pt"]


def collect_download(homework: str, download: pathlib.Path, dest: pathlib.Path,
                     named_regexp: str = CANVAS) -> list[str]:
    """Sort an LMS download of ``homework`` into ``dest/<student_id>/<homework>/``.

    Args:
        homework: e.g. ``"hw4_transcription"`` (its release must be in ``assignments/``).
        download: the LMS's zip archive, or a folder of such archives and loose files.
        dest: where the students' folders go (existing ones of this homework are replaced).
        named_regexp: how a file name tells the student (see the module docstring).

    Returns:
        The student ids collected, sorted.

    Raises:
        FileNotFoundError: no such download, or no release of ``homework``.
        RuntimeError: nbgrader collected nothing (the message names the regular expression).
    """
    from nbgrader.apps import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    download, dest = pathlib.Path(download), pathlib.Path(dest)
    release = REPO / "assignments" / homework
    if not download.exists():
        raise FileNotFoundError(f"No LMS download at {download}: pass the zip file (or a folder of them).")
    if not release.is_dir():
        raise FileNotFoundError(f"No release of {homework} in assignments/: run `python -m autograder release`.")
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(release, root / "release" / homework)  # zip_collect keeps the release's notebooks
        archive = root / "downloaded" / homework / "archive"
        archive.mkdir(parents=True)
        for item in sorted(download.iterdir()) if download.is_dir() else [download]:
            if item.is_file():
                shutil.copy2(item, archive / item.name)
        config = make_config(root, db_path=root / "gradebook.db")
        config.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
        config.FileNameCollectorPlugin.named_regexp = named_regexp
        config.FileNameCollectorPlugin.valid_ext = VALID_EXTENSIONS
        config.ZipCollectApp.force = True
        app = ZipCollectApp(config=config)
        app.coursedir = CourseDirectory(config=config, parent=app)  # what the app's initialize() would set
        app.coursedir.assignment_id = homework
        app.init_plugins()
        app.extract_archive_files()
        app.process_extracted_files()
        collected = sorted(p.name for p in (root / "submitted").glob("*") if (p / homework).is_dir())
        if not collected:
            raise RuntimeError(
                f"No file of {download} matched the file-name pattern {named_regexp!r}: is it a download of "
                f"{homework} from this LMS? Pass --regexp with the named groups student_id and file_id.")
        for student in collected:
            target = dest / student / homework
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(root / "submitted" / student / homework, target)
    return collected
