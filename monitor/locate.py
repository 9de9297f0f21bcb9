"""Where in a report a finding points, in words a supervisor can follow on the page.

"表三 第（七）行 总计列", "第二部分 第3段": never the reader's line numbers,
which mean nothing on a web page or a PDF. A location is given only when the
evidence and the stored report pin it down; otherwise there is none (a wrong
pointer is worse than no pointer).
"""

from __future__ import annotations

import re
from typing import Any

from monitor.template import CHINESE_NUMERALS, column_label, row_label

TABLE_NAMES = {"table2": "表二", "table3": "表三", "table4": "表四"}
_ROW_MARK = re.compile(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+[.．、])\s*(.*)$")
_QUOTE_PROBE = 16  # characters of a quote looked for in the paragraphs


def table_location(table: str, row: str | None, column: str | None, template: str = "2021") -> str | None:
    """ "表三 第（七）行 总计列" from the template's keys; None for an unknown table."""
    name = TABLE_NAMES.get(table)
    if name is None:
        return None
    parts = [name]
    if row and table != "table4":
        label = row_label(table, row, template)
        if label != row:
            mark = _ROW_MARK.match(label)
            if mark and mark.group(1).startswith("（"):
                parts.append(f"第{mark.group(1)}行")
            else:
                parts.append(f"“{label}”行")
    if column:
        label = column_label(table, column, template)
        if label != column:
            parts.append(f"{label}列")
    return " ".join(parts)


def text_location(quote: str, sections: dict[str, Any] | None) -> str | None:
    """ "第二部分 第3段": the section and paragraph where ``quote`` is, from the stored section texts."""
    probe = _normal(quote)[:_QUOTE_PROBE]
    if len(probe) < 4 or not sections:
        return None
    for key in sorted(sections, key=lambda k: int(k) if str(k).isdigit() else 99):
        section = sections[key]
        if not isinstance(section, dict) or not str(key).isdigit() or not 1 <= int(key) <= 6:
            continue
        part = f"第{CHINESE_NUMERALS[int(key) - 1]}部分"
        if probe in _normal(str(section.get("heading", ""))):
            return f"{part} 标题"
        paragraphs = [p for p in str(section.get("text", "")).split("\n") if p.strip()]
        for index, paragraph in enumerate(paragraphs, start=1):
            if probe in _normal(paragraph):
                return f"{part} 第{index}段"
    return None


def location(evidence: dict[str, Any], sections: dict[str, Any] | None, template: str | None) -> str | None:
    """The finding's place in its report, in words, or None."""
    table = evidence.get("table")
    if isinstance(table, str) and table in TABLE_NAMES:
        row = evidence.get("row") if isinstance(evidence.get("row"), str) else None
        column = evidence.get("column") if isinstance(evidence.get("column"), str) else None
        return table_location(table, row, column, template or "2021")
    quote = evidence.get("quote")
    if isinstance(quote, str):
        found = text_location(quote, sections)
        if found is None and "signed" in evidence and sections:
            return "文末落款"  # the signature follows the last section; the reader keeps it apart
        return found
    return None


def _normal(text: str) -> str:
    return "".join(text.split())
