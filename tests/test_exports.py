"""The public surface: one sorted export list, every name importable, nothing else public."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import coprod_connectors

INIT = Path(coprod_connectors.__file__)
#: What the module needs for itself (lazy loading, type checking), not part of the surface.
PLUMBING = {"TYPE_CHECKING", "Any", "annotations", "importlib"}


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: SCREAMING_CASE, then CamelCase, then everything else."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_and_importable() -> None:
    names = coprod_connectors.__all__
    assert names == sorted(names, key=_isort_key)
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(coprod_connectors, name) is not None


def test_all_is_exactly_what_the_module_exports() -> None:
    lazy = coprod_connectors._EXPORTS
    assert set(coprod_connectors.__all__) == set(lazy) | {"__version__"}
    assert dir(coprod_connectors) == sorted(coprod_connectors.__all__)
    for name, module in lazy.items():
        assert getattr(coprod_connectors, name) is getattr(importlib.import_module(module), name)
    public = {
        name
        for name, value in vars(coprod_connectors).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public - PLUMBING <= set(coprod_connectors.__all__)


def test_the_type_checking_imports_match_the_lazy_table() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    declared: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                assert stmt.module is not None
                declared.update({alias.name: stmt.module for alias in stmt.names})
    assert declared == coprod_connectors._EXPORTS


def test_errors_share_one_base() -> None:
    from coprod_connectors import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, coprod_connectors.CoprodError)
