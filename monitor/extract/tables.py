"""Align the rows of tables 2, 3 and 4 to the template's rows and columns.

Rows are recognised by their labels, not by position: PDF-to-text output
breaks rows across pages, splits header cells over lines and shifts cells.
A row's values are the cells after its last label cell, fitted to the
number of columns the template gives that row (surplus empty cells at either
end dropped; a missing cell becomes blank, which the rules report, never 0).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from monitor.extract.normalize import compact, has_cjk
from monitor.extract.sections import Layout
from monitor.model import Cell, Table, is_placeholder
from monitor.readers.base import Line
from monitor.template import (
    TABLE3_COLUMNS,
    TABLE3_GROUPS,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE4_ROW,
    TEMPLATE_2019_MARKERS,
    TEMPLATE_2021_MARKERS,
    Block,
    Column,
    table2_blocks,
    table2_row_key,
    table3_required_rows,
)

_TABLE3_HEADER_WORDS = ("自然人", "商业企业", "申请人情况", "勾稽", "法人或其他组织", "科研机构")
_TABLE4_HEADER_WORDS = ("行政复议", "行政诉讼", "结果维持", "复议后起诉", "直接起诉")
_OTHER_SUBROW = re.compile(r"^(3[.、]?)?其[他它]$")


@dataclass
class RowMatch:
    key: str
    label_end: int  # index of the last label cell
    line: int


_CHANGE = re.compile(r"^[增减]\d+(\.\d+)?$")  # the 2019 template's 本年增/减 column: 增1, 减18


def _is_value_cell(text: str) -> bool:
    """A cell that holds (or stands for) a value: a number, a blank, a placeholder, 增1/减18, no Chinese."""
    t = compact(text)
    return (
        not t
        or is_placeholder(t)
        or Cell.parse(t).value is not None
        or bool(_CHANGE.match(t))
        or not has_cjk(t)
    )


def fit(cells: Sequence[str], width: int) -> list[str]:
    """Fit the value cells of a row to ``width`` columns, dropping surplus empty cells at the ends."""
    tail = [c.strip() for c in cells]
    while len(tail) > width and not tail[-1]:
        tail.pop()
    while len(tail) > width and not tail[0]:
        tail.pop(0)
    if len(tail) > width:
        # Still too many: keep the window holding the most non-empty cells (leftmost on ties).
        best = max(
            range(len(tail) - width + 1), key=lambda i: (sum(bool(c) for c in tail[i : i + width]), -i)
        )
        tail = tail[best : best + width]
    return tail + [""] * (width - len(tail))


def split_paragraph_row(text: str) -> list[str] | None:
    """A table row flattened into one line of text ("行政许可 627", "一、本年新收… 0 0 0 0 0 0 0")."""
    tokens = re.sub(r"([增减])\s+(?=\d)", r"\1", text).split()  # "增 1" is one cell
    if len(tokens) < 2:
        return None
    values: list[str] = []
    while tokens and _is_value_cell(tokens[-1]):
        values.insert(0, tokens.pop())
    if not tokens or not values or not has_cjk(tokens[-1]):
        return None
    return [" ".join(tokens), *values]


# --- template detection -------------------------------------------------------


def detect_template(lines: Sequence[Line], year: int | None) -> tuple[str | None, str | None]:
    """'2019' or '2021' with the phrase that decided it; by year when the table says nothing."""
    for line in lines:
        text = compact(line.text)
        for marker in TEMPLATE_2019_MARKERS:
            if marker in text:
                return "2019", line.text.strip()
    for line in lines:
        text = compact(line.text)
        for marker in TEMPLATE_2021_MARKERS:
            if marker in text:
                return "2021", line.text.strip()
    if year is not None:
        return ("2021" if year >= 2021 else "2019"), None
    return None, None


def rows_of_section(lines: Sequence[Line], layout: Layout, number: int) -> Iterator[tuple[int, list[str]]]:
    """(line index, cells) of the table rows that belong to section ``number``.

    When the report has that section's heading, only rows under it (or before the first heading)
    count; when the heading is missing, rows anywhere do (labels still decide which table).
    A paragraph is split into a row only inside the section: prose elsewhere is never a row.
    """
    has_heading = any(h.number == number for h in layout.headings)
    for i, line in enumerate(lines):
        section = layout.section_of(i)
        if has_heading and section not in (0, number):
            continue
        if line.cells is not None:
            yield i, line.cells
        elif section == number or not layout.headings:
            cells = split_paragraph_row(line.text) or _number_tokens(line.text)
            if cells is not None:
                yield i, cells


def _number_tokens(text: str) -> list[str] | None:
    """A line of five or more numbers and placeholders only: a label-less row flattened to text."""
    tokens = text.split()
    if len(tokens) >= 5 and all(_is_value_cell(t) for t in tokens):
        return tokens
    return None


def _store_row(table: Table, key: str, columns: Sequence[Column], cells: Sequence[str], line: int) -> None:
    """Keep a row's values fitted to its columns, unless a row with values was already read for ``key``."""
    if key in table.rows and any(c.raw for c in table.rows[key].values()):
        return
    values = fit(cells, len(columns))
    table.rows[key] = {col.key: Cell.parse(v) for col, v in zip(columns, values, strict=True)}
    table.lines[key] = line + 1
    table.found = True


@dataclass
class _Candidate:
    key: str
    columns: Sequence[Column]
    tail: list[str]  # the cells after the row's label
    line: int
    shape: int  # index of the last label cell: rows laid out alike share it


class RowCollector:
    """The rows of one table, aligned together once all are read.

    Where a row has more cells than columns and empty cells at both ends, which end to drop is
    ambiguous; the table's complete rows of the same shape show how many empty cells stand
    between label and values, and the ambiguous rows follow them.
    """

    def __init__(self) -> None:
        self.items: list[_Candidate] = []

    def add(
        self, key: str, columns: Sequence[Column], cells: Sequence[str], label_end: int, line: int
    ) -> None:
        self.items.append(
            _Candidate(key, columns, [c.strip() for c in cells[label_end + 1 :]], line, label_end)
        )

    def continue_last(self, cells: Sequence[str], line: int) -> bool:
        """Values on the line after a row cut by a page break ("情形)\t0\t0…" under "(二) 部分公开…不计其他")."""
        if not self.items:
            return False
        last = self.items[-1]
        if any(last.tail) or line - last.line > 3:
            return False
        label_end = max((i for i, c in enumerate(cells) if has_cjk(c) and not _is_value_cell(c)), default=-1)
        tail = [c.strip() for c in cells[label_end + 1 :]]
        if not any(Cell.parse(c).value is not None for c in tail):
            return False
        last.tail = tail
        return True

    def _gaps(self) -> dict[tuple[int, int], int]:
        seen: dict[tuple[int, int], Counter[int]] = {}
        for c in self.items:
            width, filled = len(c.columns), [i for i, v in enumerate(c.tail) if v]
            if len(filled) == width and filled[-1] - filled[0] == width - 1:
                seen.setdefault((c.shape, width), Counter())[filled[0]] += 1
        return {shape: counts.most_common(1)[0][0] for shape, counts in seen.items()}

    def store(self, table: Table) -> None:
        gaps = self._gaps()
        for c in self.items:
            tail, gap = c.tail, gaps.get((c.shape, len(c.columns)))
            if gap and len(tail) > len(c.columns) and not any(tail[:gap]):
                tail = tail[gap:]
            _store_row(table, c.key, c.columns, tail, c.line)


# --- table 2 --------------------------------------------------------------------


def _table2_row(cells: Sequence[str], blocks: Sequence[Block]) -> tuple[Block, str, int] | None:
    for idx in range(len(cells) - 1, -1, -1):
        label = compact(cells[idx])
        if not label or not has_cjk(label) or is_placeholder(label):
            continue
        for block in blocks:
            for row in block.rows:
                if label in row.match if row.exact else any(p in label for p in row.match):
                    return block, table2_row_key(block, row), idx
    return None


def read_table2(lines: Sequence[Line], layout: Layout, template: str) -> Table:
    blocks = table2_blocks(template)
    table = Table("table2")
    rows = RowCollector()
    for i, cells in rows_of_section(lines, layout, 2):
        if any("第二十条" in compact(c) for c in cells):
            table.found = True
        match = _table2_row(cells, blocks)
        if match is not None:
            block, key, label_end = match
            rows.add(key, block.columns, cells, label_end, i)
        else:
            rows.continue_last(cells, i)
    rows.store(table)
    required = [table2_row_key(b, r) for b in blocks for r in b.rows]
    table.missing_rows = [k for k in required if k not in table.rows] if table.found else required
    return table


# --- table 3 --------------------------------------------------------------------


def _table3_match(cells: Sequence[str], group: str | None, seen_results: bool) -> tuple[str, int] | None:
    """The row key of a table-3 row and the index of its last label cell."""
    labels = [(i, compact(c)) for i, c in enumerate(cells) if has_cjk(compact(c)) and not is_placeholder(c)]
    if not labels:
        return None
    joined = "".join(t for _, t in labels)
    if any(w in joined for w in _TABLE3_HEADER_WORDS):
        return None
    for idx, label in reversed(labels):
        for row in TABLE3_ROWS:
            if row.match and any(p in label for p in row.match):
                return row.key, idx
        if _OTHER_SUBROW.match(label) and group == "other":
            return "other.other", idx
        if "总计" in label and ("七" in label or seen_results):
            return "results_total", idx
    return None


def _group_of(cells: Sequence[str]) -> str | None:
    text = compact("".join(cells))
    found = None
    for group, phrases in TABLE3_GROUPS.items():
        if group != "results" and any(p in text for p in phrases):
            found = group
    return found


def read_table3(lines: Sequence[Line], layout: Layout, template: str) -> Table:
    table = Table("table3")
    rows = RowCollector()
    group: str | None = None
    seen_results = False
    for i, cells in rows_of_section(lines, layout, 3):
        if any(w in compact("".join(cells)) for w in _TABLE3_HEADER_WORDS):
            table.found = True
            continue
        group = _group_of(cells) or group
        match = _table3_match(cells, group, seen_results)
        if match is None:
            rows.continue_last(cells, i)
            continue
        key, label_end = match
        if key.startswith("other."):
            group = "other"
        if key not in ("new", "carried_over"):
            seen_results = True
        if key == "other" and template != "2019" and not any(c.strip() for c in cells[label_end + 1 :]):
            continue  # the 2021 template's （六） is only the label of its three sub-rows
        rows.add(key, TABLE3_COLUMNS, cells, label_end, i)
    rows.store(table)
    required = table3_required_rows(template)
    table.missing_rows = [k for k in required if k not in table.rows]
    return table


# --- table 4 --------------------------------------------------------------------


def read_table4(lines: Sequence[Line], layout: Layout) -> Table:
    table = Table("table4")
    in_table = False
    for i, cells in rows_of_section(lines, layout, 4):
        if any(w in compact("".join(cells)) for w in _TABLE4_HEADER_WORDS):
            in_table = table.found = True
            continue
        if not (in_table or layout.section_of(i) == 4):
            continue
        # The one row of table 4 is all numbers (or blanks): no label cell.
        if all(_is_value_cell(c) for c in cells) and any(c.strip() for c in cells):
            _store_row(table, TABLE4_ROW, TABLE4_COLUMNS, cells, i)
            break
    if table.found and TABLE4_ROW not in table.rows:
        # The header is there but no row of values: every cell is blank.
        table.rows[TABLE4_ROW] = {col.key: Cell("") for col in TABLE4_COLUMNS}
    if not table.found:
        table.missing_rows = [TABLE4_ROW]
    return table
