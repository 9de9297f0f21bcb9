"""Evidence as a page shows it: Chinese labels (``monitor.evidence``), a location in words, no line numbers.

The terminal shows the reader's line numbers (``nianbao check`` works on a
file the user has open); a page does not: it says where in words
(``nianbao.digest.locate``). Timestamps read as dates and times, publication
date sources as what they are, and markup quoted from a portal page (a
``<meta>`` date) as its name and value, never as raw HTML.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from monitor.codes import RunStatus
from monitor.evidence import evidence_items, shorten
from nianbao.digest.locate import location

# Keys the location replaces, or that mean nothing on a page.
_PLACE_KEYS = frozenset({"line", "lines", "table", "row", "column", "where"})
_TIMESTAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?")
_META = re.compile(
    r"""<meta\b[^>]*?\bname\s*=\s*["']?([^"'\s>]+)["']?[^>]*?\bcontent\s*=\s*["']?([^"'>]*)""", re.I
)
_TAG = re.compile(r"<[a-zA-Z/!][^>]{0,400}>")

SOURCE_NAMES = {
    "text:发布时间": "网页正文标注的“发布时间”",
    "text:日期": "网页正文标注的日期",
    "meta:PubDate": "网页元数据 PubDate",
    "meta:Maketime": "网页元数据 Maketime",
    "list": "栏目列表页上的日期",
    "url": "网址中的日期",
    "option": "人工录入（--published）",
}


def source_name(source: str | None) -> str:
    """A publication date's source in words ("meta:PubDate" → 网页元数据 PubDate)."""
    if not source:
        return "未知"
    return SOURCE_NAMES.get(source, source)


def readable(text: str) -> str:
    """Timestamps as "2024-02-12 09:05", a quoted <meta> as its name and value, other markup dropped."""
    text = _TIMESTAMP.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _META.sub(lambda m: f"网页元数据 {m.group(1)}：{m.group(2)}", text)
    if _TAG.search(text) and not _TAG.sub("", text).strip():
        return text  # nothing but markup: show it as text rather than nothing (it is escaped)
    return text


def page_evidence(
    evidence: dict[str, Any],
    *,
    message: str = "",
    sections: dict[str, Any] | None = None,
    template: str | None = None,
) -> list[tuple[str, str]]:
    """(label, text) pairs for a page: 位置 first when known, then the rest without line numbers."""
    out: list[tuple[str, str]] = []
    place = location(evidence, sections, template)
    if place:
        out.append(("位置", place))
    elif isinstance(evidence.get("where"), str):
        out.append(("位置", shorten(evidence["where"])))
    rest = {k: v for k, v in evidence.items() if k not in _PLACE_KEYS}
    for key, value in rest.items():
        if key == "published_source" and isinstance(value, str):
            rest[key] = source_name(value)
        elif key == "status" and isinstance(value, str) and value in RunStatus._value2member_map_:
            rest[key] = RunStatus(value).label
        elif key == "status" and isinstance(value, int):
            rest[key] = f"HTTP {value}"
        elif isinstance(value, dict):
            rest[key] = {k: v for k, v in value.items() if k not in ("line", "lines")}
        elif isinstance(value, list):
            rest[key] = [
                {k: v for k, v in item.items() if k not in ("line", "lines")}
                if isinstance(item, dict)
                else item
                for item in value
            ]
    for label, text in evidence_items(rest):
        text = readable(text)
        if text and text != message:
            out.append((label, text))
    return out


def day(stamp: str | None) -> str | None:
    """The date of an archive timestamp ("2024-02-12")."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).date().isoformat()
    except ValueError:
        return stamp[:10]


def moment(stamp: str | None) -> str | None:
    """An archive timestamp as "2024-02-12 09:05" (China Standard Time, as stored)."""
    if not stamp:
        return None
    return readable(stamp)
