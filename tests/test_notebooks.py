"""Every solution notebook runs top to bottom in the ci profile; its test cells write nothing to stderr.

Hidden tests get their references as when graded (autograder.directives).

Each runs beside the files a student hands in with it (autograder.mistakes.HANDED_IN: hw4's
checkpoint trained in the cpu profile), as it is when graded."""
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.config import REPO
from autograder.directives import expand_notebook
from autograder.mistakes import HANDED_IN

NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.name}" for p in NOTEBOOKS])
def test_solution_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    work = tmp_path / path.parent.name
    shutil.copytree(path.parent, work)  # checkpoints and outputs land in the copy, not in solutions/
    for name, source in HANDED_IN.get(path.parent.name, {}).items():
        shutil.copy2(source, work / name)
    nb = nbformat.read(str(work / path.name), as_version=4)
    expand_notebook(nb, work)  # as the grader does: hidden tests get the references by directive
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    stderr = [(c.metadata.nbgrader.grade_id, o.get("text", "")[:300]) for c in tests
              for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, f"test cells wrote to stderr (nbgrader scores such a cell 0): {stderr}"
