"""The package's import rules: parts see the services contract, never the Sidecar; a module that
another package imports is public (no leading underscore)."""

from __future__ import annotations

import ast
from pathlib import Path

import sidecar

ROOT = Path(sidecar.__file__).parent
HUB_USERS = {"_sidecar", "_runner", "_app_run", "_cli"}  # the sidecar itself and what starts it


def _modules() -> list[tuple[tuple[str, ...], ast.Module]]:
    """(dotted name parts below ``sidecar``, parsed module) for every module of the package."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((parts, ast.parse(path.read_text(), str(path))))
    return out


def _imported(parts: tuple[str, ...], tree: ast.Module) -> list[tuple[str, ...]]:
    """Every module a module imports from inside the package, as name parts below ``sidecar``."""
    package = parts if (ROOT.joinpath(*parts) / "__init__.py").exists() else parts[:-1]
    found: list[tuple[str, ...]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - node.level + 1]
        target = (*base, *node.module.split(".")) if node.module else base
        found.append(target)
        found += [(*target, alias.name) for alias in node.names]
    return [t for t in found if ROOT.joinpath(*t).with_suffix(".py").exists()]


def _package(parts: tuple[str, ...]) -> tuple[str, ...]:
    return parts[:-1]


def _foreign_private(importer: tuple[str, ...], target: tuple[str, ...]) -> bool:
    """``target`` is private and belongs to a package other than the importer's own."""
    home = importer if (ROOT.joinpath(*importer) / "__init__.py").exists() else _package(importer)
    return target[-1].startswith("_") and _package(target) != home


def test_only_the_sidecar_and_its_starters_import_the_sidecar() -> None:
    offenders = [
        ".".join(parts)
        for parts, tree in _modules()
        if parts not in {(m,) for m in HUB_USERS} and ("_sidecar",) in _imported(parts, tree)
    ]
    assert offenders == []


def test_no_module_imports_a_private_module_of_another_package() -> None:
    offenders = [
        f"{'.'.join(parts)} imports {'.'.join(target)}"
        for parts, tree in _modules()
        for target in _imported(parts, tree)
        if _foreign_private(parts, target)
    ]
    assert offenders == []
