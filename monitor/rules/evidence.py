"""Helpers that build the evidence dictionaries findings carry."""

from __future__ import annotations

from typing import Any

from monitor.model import Cell, Report
from monitor.template import TABLE_TITLES, column_label, row_label


def quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_ref(report: Report, table: str, row: str, col: str, cell: Cell | None = None) -> dict[str, Any]:
    """Where a cell is: table, row and column (keys and Chinese labels), its text and source line."""
    tmpl = report.template or "2021"
    ref: dict[str, Any] = {
        "table": table,
        "row": row,
        "column": col,
        "where": (
            f"{TABLE_TITLES[table]}「{column_label(table, col, tmpl)}」列"
            if table == "table4"
            else f"{TABLE_TITLES[table]}「{row_label(table, row, tmpl)}」行「{column_label(table, col, tmpl)}」列"
        ),
    }
    if cell is not None:
        ref["raw"] = cell.raw
    line = report.tables[table].lines.get(row) if table in report.tables else None
    if line:
        ref["line"] = line
    return ref
