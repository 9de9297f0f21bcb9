"""Reading a report's tables in tests."""

from __future__ import annotations

from monitor.model import Table


def raw(table: Table, row: str, column: str) -> str:
    """A cell's text as the report printed it; the test fails if the table has no such cell."""
    cell = table.cell(row, column)
    assert cell is not None, f"no cell {row}/{column}"
    return cell.raw
