"""One Python floor everywhere (issue 17): what pip enforces, what ruff lints for and what mypy checks agree."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_python_requires_ruff_and_mypy_share_one_floor():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    requires = setup["options"]["python_requires"].strip()
    ruff_target = tomllib.loads((REPO / "ruff.toml").read_text())["target-version"]
    mypy_version = setup["mypy"]["python_version"].strip()
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", setup["metadata"]["classifiers"])

    assert requires == ">=3.11"
    assert ruff_target == "py311"
    assert mypy_version == "3.11"
    assert min(classifiers, key=lambda version: tuple(map(int, version.split(".")))) == "3.11"
