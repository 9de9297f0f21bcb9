"""Columns placed by the table's own header, where the reader kept the table's grid.

HTML, DOCX and PDF tables come with a grid: a merged cell leaves its covered positions "", and
header and figures share the positions. The header row says which position holds which
template column, so "规章 | 13 | 13 (colspan=2) | 524" under "信息内容 | 本年新制作数量 |
本年新公开数量 (colspan=2) | 对外公开总数量" gives 524 to 对外公开总数量 however the cells
are spanned. Text dumps have no grid; their rows are fitted by count (cells.fit).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.extract.cells import Fitted
from monitor.extract.normalize import compact
from monitor.template import Column


def names_any(cells: Sequence[str], columns: Sequence[Column]) -> bool:
    """Whether a row of text names any of ``columns`` (a header row)."""
    return any(col.names(compact(c)) for c in cells if c for col in columns)


def header_map(rows: Sequence[Sequence[str]], columns: Sequence[Column]) -> dict[int, str] | None:
    """Grid position -> column key, when the header rows name every column at exactly one position.

    A position is named by its lowest header text (法人或其他组织 spans 商业企业 … 其他 below it).
    """
    width = max((len(r) for r in rows), default=0)
    found: dict[int, str] = {}
    for pos in range(width):
        text = next((compact(r[pos]) for r in reversed(rows) if pos < len(r) and r[pos].strip()), "")
        if not text:
            continue
        named = [col.key for col in columns if col.names(text)]
        if len(named) > 1:
            return None
        if named:
            found[pos] = named[0]
    if sorted(found.values()) != sorted(col.key for col in columns):
        return None
    return found


def place(
    cells: Sequence[str], start: int, mapping: dict[int, str], columns: Sequence[Column]
) -> Fitted | None:
    """The row's values by header position, or None when the row does not sit on the header's grid
    (a figure where the header names no column, or a column inside the row's label): such a row,
    common in tables typed by hand, is fitted by count instead."""
    if min(mapping) < start or any(
        c.strip() for pos, c in enumerate(cells) if pos >= start and pos not in mapping
    ):
        return None
    by_key = {key: cells[pos].strip() if pos < len(cells) else "" for pos, key in mapping.items()}
    return Fitted([by_key[col.key] for col in columns])
