"""Helpers that build the evidence dictionaries findings carry."""

from __future__ import annotations

from typing import Any

from monitor.extract.labels import bare
from monitor.model import Cell, Report
from monitor.template import TABLE_TITLES, column_label, row_label


def quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_name(report: Report, table: str, row: str) -> str:
    """The template's label of a row, with the report's own wording when it differs
    ("2.其他法律行政法规禁止公开（原表：2.其他法律行政止公开）")."""
    label = row_label(table, row, report.template or "2021")
    t = report.tables.get(table)
    printed = t.labels.get(row, "") if t else ""
    own = label.rsplit("·", 1)[-1]  # table 2's labels carry their block: 第二十条第（五）项·行政许可
    if printed and bare(own) not in bare(printed):
        return f"{label}（原表：{printed}）"
    return label


def uncertain_rows(report: Report, table: str) -> dict[str, str]:
    """Rows of a table the reader could not place with confidence: label -> why."""
    t = report.tables.get(table)
    if not t:
        return {}
    return {row_name(report, table, row): why for row, why in t.uncertain.items()}


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
            else f"{TABLE_TITLES[table]}「{row_name(report, table, row)}」行「{column_label(table, col, tmpl)}」列"
        ),
    }
    if cell is not None:
        ref["raw"] = cell.raw
    line = report.tables[table].lines.get(row) if table in report.tables else None
    if line:
        ref["line"] = line
    return ref
