"""No answers in what students receive: a submission built from the bundle alone must earn nothing.

Students get ``course/`` and ``data_scripts/``. If a function or class a student must write (or a
value they must find) could be imported from there, a one-line answer would pass the hidden
tests. :func:`bundle_cheat` writes that one-line answer for every solution cell of a homework:
each name the reference solution defines is taken from the bundle where the bundle has it, under
that name or its singular/plural (``harmonic_shift`` / ``harmonic_shifts``), directly or wrapped
so that a list-valued library function answers a scalar question. Graded, such a submission must
score zero (tests/test_pipeline.py); :func:`bundle_exports` lists what the bundle offers.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import pkgutil
import re

from autograder import cells
from autograder.config import REPO

BUNDLE_PACKAGES = ("course", "data_scripts")


def bundle_exports() -> dict[str, list[str]]:
    """``{name: [module, ...]}`` of every public function, class and constant the bundle defines."""
    exports: dict[str, list[str]] = {}
    for package_name in BUNDLE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                defined_here = getattr(value, "__module__", info.name) == info.name
                if not name.startswith("_") and defined_here and not inspect.ismodule(value):
                    exports.setdefault(name, []).append(info.name)
    return exports


def defined_names(source: str) -> list[str]:
    """Top-level functions, classes and assigned names of a cell (magics and markers ignored)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _variants(name: str) -> list[str]:
    return [name, name + "s", re.sub(r"s$", "", name)]


def cheat_source(names: list[str], exports: dict[str, list[str]]) -> str | None:
    """The one-line answers for ``names`` from the bundle, or None when it offers none of them."""
    lines = []
    for name in names:
        for variant in _variants(name):
            if variant in exports:
                module = exports[variant][0]
                if variant == name:
                    lines.append(f"from {module} import {name}")
                else:  # a plural library function answering the singular task, element-wise
                    lines.append(f"from {module} import {variant} as _bundle_{name}\n"
                                 f"def {name}(*args, **kwargs):\n"
                                 f"    out = _bundle_{name}(*[[a] if i == 0 else a for i, a in enumerate(args)], **kwargs)\n"
                                 f"    return out[0] if isinstance(out, (list, tuple)) and len(out) == 1 else out")
                break
    return "\n".join(lines) or None


def bundle_cheat(homework: str, dest: pathlib.Path) -> dict[str, str]:
    """Write ``dest/<notebook>``: the release with every solution cell answered from the bundle.

    Returns:
        ``{grade_id or cell id: the answer written}`` for the cells the bundle could answer.
    """
    import nbformat

    exports, answered = bundle_exports(), {}
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for source_path in sorted((REPO / "solutions" / homework).glob("*.ipynb")):
        release = cells.read(REPO / "assignments" / homework / source_path.name)
        solutions = {c.get("id"): c for c in cells.read(source_path).cells}
        for cell in release.cells:
            reference = solutions.get(cell.get("id"))
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("solution") or reference is None:
                continue
            answer = cheat_source(defined_names(reference.source), exports)
            if answer:
                cell.source = answer
                answered[meta.get("grade_id") or cell.get("id")] = answer
        nbformat.write(release, str(dest / source_path.name))
    return answered
