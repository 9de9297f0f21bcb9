"""HTML elements as readers see them: which hold no report text, which are hidden, their classes."""

from __future__ import annotations

import re
from typing import Any

# Elements whose content is never report text.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "input",
        "select",
        "button",
        "textarea",
        "option",
        "svg",
        "canvas",
        "audio",
        "video",
        "map",
        "nav",
        "link",
        "meta",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def classes_of(el: Any) -> set[str]:
    """The element's class names, lower-cased."""
    return {c.lower() for c in (el.get("class") or "").split()}


def is_hidden(el: Any) -> bool:
    """Hidden by an inline style or the ``hidden`` attribute: a browser shows none of it."""
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style") or ""))
