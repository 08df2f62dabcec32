"""Every solution notebook runs top to bottom in the ci profile; its test cells write nothing to stderr."""
import os
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.config import REPO

NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.name}" for p in NOTEBOOKS])
def test_solution_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    work = tmp_path / path.parent.name
    shutil.copytree(path.parent, work)  # checkpoints and outputs land in the copy, not in solutions/
    nb = nbformat.read(str(work / path.name), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    stderr = [(c.metadata.nbgrader.grade_id, o.get("text", "")[:300]) for c in tests
              for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, f"test cells wrote to stderr (nbgrader scores such a cell 0): {stderr}"
