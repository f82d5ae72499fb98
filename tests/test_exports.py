"""The public surface: one sorted export list, every name importable."""

from __future__ import annotations

import coprod_connectors


def test_all_is_sorted_and_importable() -> None:
    names = coprod_connectors.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(coprod_connectors, name) is not None


def test_errors_share_one_base() -> None:
    from coprod_connectors import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, coprod_connectors.CoprodError)
