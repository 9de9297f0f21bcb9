"""Columns placed by the table's own header, where the reader kept the table's grid.

HTML, DOCX and PDF tables come with a grid: a merged cell leaves its covered positions "", and
header and figures share the positions. The header row says which position holds which
template column, so "规章 | 13 | 13 (colspan=2) | 524" under "信息内容 | 本年新制作数量 |
本年新公开数量 (colspan=2) | 对外公开总数量" gives 524 to 对外公开总数量 however the cells
are spanned. Text dumps have no grid; their rows are fitted by count (cells.fit).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.extract.cells import WHY_HEADER_CONFLICT, Fitted, fit
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


def place(cells: Sequence[str], start: int, mapping: dict[int, str], columns: Sequence[Column]) -> Fitted:
    """The row's values by header position; a figure at a position the header does not name is a
    conflict, and the row is fitted by count instead, marked doubtful."""
    by_key = {key: cells[pos].strip() if pos < len(cells) else "" for pos, key in mapping.items()}
    stray = [
        c for pos, c in enumerate(cells) if pos >= start and pos not in mapping and c.strip()
    ]
    if stray or min(mapping) < start:
        fitted = fit(cells[start:], len(columns))
        return Fitted(fitted.values, fitted.doubt or WHY_HEADER_CONFLICT)
    return Fitted([by_key[col.key] for col in columns])
