"""Instructor code reaches a hidden test only through directives that the trusted grader expands.

A hidden test never imports ``autograder``: the student's cells run first, in the same kernel,
and could import (or shadow) anything it imports. Instead a test cell names what it needs in a
directive line, and the grader -- in its own process, before the cell runs -- replaces the line:

``#| reference: <hw>.<module> as <name>`` (or ``... import <a>, <b> as <c>``)
    The source text of ``autograder/reference/<hw>/<module>.py`` is written into the cell and run
    there into a fresh module object ``<name>`` (or only the names imported are bound). Reference
    modules import only the course library and third-party packages; inside the sandbox
    ``autograder`` is not even importable.

``#| trusted: <hw>.<module>.<function> as <name>``
    ``autograder.reference.<hw>.<module>.<function>(folder)`` is called by the grader with the
    folder of the student's files (e.g. to score a handed-in checkpoint on the hidden split) and
    its JSON result is written into the cell as ``<name>``: code the student can reach never
    computes it. Where the function raises, ``<name>`` is ``{"error": "<why>"}``, so the test
    fails with the reason.

A test cell with directives runs as the body of a function, called once: the reference and
every name the test binds are locals that are gone when the cell ends, so no later cell finds
them. Only test cells (nbgrader grade cells without a solution, whose source the grader restores
from the gradebook) are expanded: a directive a student writes into a cell of their own stays a
comment. :class:`ExpandDirectives` is the nbgrader preprocessor that runs before ``Execute``;
:func:`expand_notebook` does the same for the test suite, which runs the source notebooks.
"""
from __future__ import annotations

import importlib
import json
import pathlib
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder import cells

REFERENCE_ROOT = pathlib.Path(__file__).resolve().parent / "reference"
DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)#\| (?P<kind>reference|trusted): (?P<target>[A-Za-z_][\w.]*)"
    r" (?:as (?P<name>[A-Za-z_]\w*)|import (?P<names>[\w ,]+?))[ \t]*$", re.M)
TEST_FUNCTION = "_dl4ma_hidden_test"


def reference_source(target: str) -> str:
    """The source text of ``autograder/reference/<hw>/<module>.py`` for ``target = "<hw>.<module>"``."""
    parts = target.split(".")
    path = REFERENCE_ROOT.joinpath(*parts[:-1], parts[-1] + ".py")
    if len(parts) < 2 or not path.is_file():
        raise ValueError(f"#| reference: {target}: no reference module {path.relative_to(REFERENCE_ROOT.parent)}")
    return path.read_text()


def _reference_code(target: str, name: str | None, names: str | None, indent: str) -> str:
    # The module gets a unique sys.modules entry only while its body runs (dataclasses and
    # typing look the defining module up there), then it is removed again.
    key = f"_reference_{abs(hash((target, name, names))):x}"
    module = name or "_reference"
    lines = [
        f"{module} = __import__('types').ModuleType({key!r})",
        f"__import__('sys').modules[{key!r}] = {module}",
        "try:",
        f"    exec(compile({reference_source(target)!r}, {'reference/' + target.replace('.', '/') + '.py'!r}, 'exec'), "
        f"{module}.__dict__)",
        "finally:",
        f"    del __import__('sys').modules[{key!r}]",
    ]
    for item in (names.split(",") if names else []):
        original, _, alias = (part.strip() for part in item.partition(" as "))
        lines.append(f"{alias or original} = {module}.{original}")
    return "\n".join(indent + line for line in lines)


def trusted_value(target: str, folder: pathlib.Path):
    """``autograder.reference.<target>(folder)``, computed here, in the grader's process."""
    module_path, _, function = target.rpartition(".")
    if not module_path or "." not in module_path:
        raise ValueError(f"#| trusted: {target}: expected <hw>.<module>.<function>")
    module = importlib.import_module(f"autograder.reference.{module_path}")
    return getattr(module, function)(pathlib.Path(folder))


def expand(source: str, folder: pathlib.Path | None) -> str:
    """``source`` with every directive replaced by its code (``folder``: the student's files),
    the whole run as the body of a function called once (``source`` itself without directives)."""
    def replace(m: re.Match) -> str:
        indent, kind, target, name, names = m.group("indent", "kind", "target", "name", "names")
        if kind == "reference":
            return _reference_code(target, name, names, indent)
        if name is None:
            raise ValueError(f"#| trusted: {target}: write 'as <name>'")
        try:
            value = json.dumps(trusted_value(target, folder))
        except Exception as e:  # the test fails with the reason; the submission is still graded
            value = json.dumps({"error": f"{type(e).__name__}: {e}"})
        return f"{indent}{name} = __import__('json').loads({value!r})"

    if not DIRECTIVE.search(source):
        return source
    body = DIRECTIVE.sub(replace, source)
    indented = "\n".join("    " + line if line.strip() else line for line in body.splitlines())
    return f"def {TEST_FUNCTION}():\n{indented}\n\n\n{TEST_FUNCTION}()\ndel {TEST_FUNCTION}\n"


def expand_notebook(nb, folder: pathlib.Path) -> None:
    """Expand the directives of every test cell of ``nb`` in place."""
    for cell in nb.cells:
        if cells.is_test(cell) and DIRECTIVE.search(cell.source):
            cell.source = expand(cell.source, folder)


class ExpandDirectives(Preprocessor):
    """nbgrader preprocessor (before ``Execute``): expand the directives of the test cells."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        folder = pathlib.Path(resources.get("metadata", {}).get("path") or ".")
        expand_notebook(nb, folder)
        return nb, resources
