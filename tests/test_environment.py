"""environment.yml (conda) lists the same packages and versions as pyproject.toml (pip)."""
import pathlib
import re
import tomllib

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch": "torch", "pysoundfile": "soundfile"}
NOT_ON_PYPI = {"python", "fluidsynth", "pip"}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(spec):
    name, _, version = re.split(r"(==|=)", spec.split("#")[0].strip(), maxsplit=1) if "=" in spec else (spec, "", "")
    return norm(CONDA_TO_PIP.get(name.strip(), name.strip())), version.strip()


def test_environment_yml_agrees_with_pyproject():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    pip = dict(parse(d) for d in pyproject["project"]["dependencies"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        for spec in (dep["pip"] if isinstance(dep, dict) else [dep]):
            name, version = parse(spec)
            if name not in NOT_ON_PYPI:
                conda[name] = version
    assert conda == pip
    assert "fluidsynth" in [parse(d)[0] for d in env["dependencies"] if isinstance(d, str)]


def test_torch_and_torchaudio_are_one_release():
    import torch
    import torchaudio

    assert torch.__version__.split("+")[0].rsplit(".", 1)[0] == torchaudio.__version__.split("+")[0].rsplit(".", 1)[0]
