"""Small assertions the tests share."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def present(value: T | None) -> T:
    """``value``, which the test expects to be there (fails on None)."""
    assert value is not None
    return value
