"""Templates and assets are package data: a non-editable install carries every one of them."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ["agent/console/templates", "agent/console/static", "sidecar/api/templates"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_file_is_declared_package_data(folder: str) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = config["tool"]["setuptools"]["package-data"]
    files = [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    assert files
    for path in files:
        package = next(p for p in declared if path.is_relative_to(ROOT / p.replace(".", "/")))
        inside = path.relative_to(ROOT / package.replace(".", "/")).as_posix()
        assert any(fnmatch(inside, glob) for glob in declared[package]), inside
