"""Reading HTML in tests (BeautifulSoup): an element that must be there, an attribute that must be text."""

from __future__ import annotations

from bs4 import Tag


def one(node: Tag, selector: str) -> Tag:
    """The first element under ``node`` that ``selector`` matches; the test fails if none does."""
    found = node.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


def attr(tag: Tag, name: str) -> str:
    """The value of a single-valued attribute (``data-*``, ``href``); fails if it is missing."""
    value = tag.get(name)
    assert isinstance(value, str), f"{tag.name} has no {name}"
    return value


def classes(tag: Tag) -> list[str]:
    return list(tag.get_attribute_list("class"))
