"""Align the rows of tables 2, 3 and 4 to the template's rows and columns.

Rows are recognised by their labels, not by position: PDF-to-text output breaks rows across
pages, splits header cells over lines and shifts cells. A label the template's phrases miss is
matched by its place in the table's order and its resemblance to the template's wording
(labels.py). A row's values are placed under the table's own header where the reader kept the
grid (columns.py), else fitted to the number of columns the template gives that row (cells.py).
A missing cell becomes blank, which the rules report, never 0; a row whose cells cannot be
placed with confidence is kept but marked uncertain (``Table.uncertain``), and so is a template
row that a row the reader could not recognise might be.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from monitor.extract.cells import (
    Fitted,
    fit,
    has_number,
    is_value_cell,
    label_end,
    number_tokens,
    parse_cell,
    split_paragraph_row,
)
from monitor.extract.columns import header_map, names_any, place
from monitor.extract.labels import Placed, fill_gaps
from monitor.extract.normalize import compact, has_cjk
from monitor.extract.sections import Layout
from monitor.model import Cell, Table, is_placeholder
from monitor.readers.base import Line
from monitor.template import (
    TABLE3_COLUMNS,
    TABLE3_GROUPS,
    TABLE3_ROW_INDEX,
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

__all__ = ["detect_template", "read_table2", "read_table3", "read_table4", "rows_of_section"]

_TABLE3_HEADER_WORDS = ("自然人", "商业企业", "申请人情况", "勾稽", "法人或其他组织", "科研机构")
_TABLE4_HEADER_WORDS = ("行政复议", "行政诉讼", "结果维持", "复议后起诉", "直接起诉")
_OTHER_SUBROW = re.compile(r"^(3[.、]?)?其[他它]$")


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


def rows_of_section(
    lines: Sequence[Line], layout: Layout, number: int
) -> Iterator[tuple[int, list[str], Line]]:
    """(line index, cells, line) of the table rows that belong to section ``number``.

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
            yield i, line.cells, line
        elif section == number or not layout.headings:
            cells = split_paragraph_row(line.text) or number_tokens(line.text)
            if cells is not None:
                yield i, cells, line


# --- collecting and storing rows ------------------------------------------------


@dataclass
class _Row(Placed):
    columns: Sequence[Column] = ()
    tail: list[str] = field(default_factory=list)  # the cells after the row's label
    cells: list[str] = field(default_factory=list)  # the whole row, on the source table's grid
    start: int = 0  # index of the first cell after the label
    line: int = 0
    header: list[list[str]] | None = None  # the source table's header rows above this row


class RowCollector:
    """The rows of one table, aligned together once all are read.

    Where a row has more cells than columns and empty cells at both ends, which end to drop is
    ambiguous; the table's complete rows of the same shape show how many empty cells stand
    between label and values, and the ambiguous rows follow them.
    """

    def __init__(self) -> None:
        self.items: list[_Row] = []
        self._headers: dict[int, list[list[str]]] = {}  # source table -> its current header rows
        self._after_data: set[int] = set()  # source tables whose last row was a data row
        self._maps: dict[tuple[int, int], dict[int, str] | None] = {}  # header rows, columns -> map

    def header(self, line: Line, cells: Sequence[str]) -> None:
        """A header row of a table with a grid: rows below it are placed by its positions."""
        if line.table is None:
            return
        if line.table in self._after_data or line.table not in self._headers:
            self._headers[line.table] = []
            self._after_data.discard(line.table)
        self._headers[line.table].append(list(cells))

    def add(
        self,
        key: str | None,
        columns: Sequence[Column],
        cells: Sequence[str],
        end: int,
        line: int,
        source: Line,
    ) -> None:
        header = None
        if source.table is not None:
            self._after_data.add(source.table)
            header = self._headers.get(source.table)
        # Text right of the recognised label where the row has cells to spare (a wrapped label's
        # last line, a block title beside it) is still label; the values start after it.
        last = end
        while (
            columns
            and len(cells) - (last + 2) >= len(columns)
            and cells[last + 1].strip()
            and not is_value_cell(cells[last + 1])
            and has_number(cells[last + 2 :])
        ):
            last += 1
        tail = [c.strip() for c in cells[last + 1 :]]
        label = "".join(c.strip() for c in cells[end : last + 1]) if end >= 0 else ""
        self.items.append(
            _Row(
                key=key,
                label=label,
                has_values=has_number(tail),
                doubt=source.uncertain,
                columns=columns,
                tail=tail,
                cells=list(cells),
                start=last + 1,
                line=line,
                header=header,
            )
        )

    def continue_last(self, cells: Sequence[str], line: int) -> bool:
        """Values on the line after a row cut by a page break ("情形)\t0\t0…" under "(二) 部分公开…不计其他")."""
        if not self.items:
            return False
        last = self.items[-1]
        if last.key is None or any(last.tail) or line - last.line > 3:
            return False
        end = label_end(cells)
        tail = [c.strip() for c in cells[end + 1 :]]
        if not any(Cell.parse(c).value is not None for c in tail):
            return False
        last.tail, last.header, last.has_values = tail, None, True
        return True

    def _gaps(self) -> dict[tuple[int, int], int]:
        seen: dict[tuple[int, int], Counter[int]] = {}
        for c in self.items:
            width, filled = len(c.columns), [i for i, v in enumerate(c.tail) if v]
            if c.key and filled and len(filled) == width and filled[-1] - filled[0] == width - 1:
                seen.setdefault((c.start - 1, width), Counter())[filled[0]] += 1
        return {shape: counts.most_common(1)[0][0] for shape, counts in seen.items()}

    def _values(self, row: _Row, gaps: dict[tuple[int, int], int]) -> Fitted:
        if row.header:
            cache = (id(row.header), id(row.columns))
            if cache not in self._maps:
                self._maps[cache] = header_map(row.header, row.columns)
            mapping = self._maps[cache]
            placed = place(row.cells, row.start, mapping, row.columns) if mapping is not None else None
            if placed is not None:
                return placed
        tail, gap = row.tail, gaps.get((row.start - 1, len(row.columns)))
        if gap and len(tail) > len(row.columns) and not any(tail[:gap]):
            tail = tail[gap:]
        return fit(tail, len(row.columns))

    def store(self, table: Table) -> None:
        gaps = self._gaps()
        for row in self.items:
            if row.key is None:
                continue
            if row.key in table.rows and any(c.raw for c in table.rows[row.key].values()):
                continue  # a row with values was already read for this key
            fitted = self._values(row, gaps)
            table.rows[row.key] = {
                col.key: parse_cell(v) for col, v in zip(row.columns, fitted.values, strict=True)
            }
            table.lines[row.key] = row.line + 1
            if row.label:
                table.labels[row.key] = row.label
            doubt = row.doubt or fitted.doubt
            if doubt and any(v for v in fitted.values):
                table.uncertain[row.key] = doubt
            else:
                table.uncertain.pop(row.key, None)
            table.found = True


def _add_unrecognised(
    rows: RowCollector, columns: Sequence[Column], cells: Sequence[str], i: int, line: Line
) -> None:
    """A labelled row with figures that no template phrase names: matched later by its place."""
    end = label_end(cells)
    if end >= 0 and has_number(cells[end + 1 :]):
        rows.add(None, columns, cells, end, i, line)


def _missing(table: Table, required: Sequence[str], maybe: dict[str, str]) -> None:
    """Required rows not read are missing, unless a row the reader could not recognise may be them."""
    for key, why in maybe.items():
        if key not in table.rows:
            table.uncertain[key] = why
    table.missing_rows = [k for k in required if k not in table.rows and k not in table.uncertain]


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
    columns = {table2_row_key(b, r): b.columns for b in blocks for r in b.rows}
    all_columns = [c for b in blocks for c in b.columns]
    table = Table("table2")
    rows = RowCollector()
    for i, cells, line in rows_of_section(lines, layout, 2):
        if any("第二十条" in compact(c) for c in cells):
            table.found = True
        match = _table2_row(cells, blocks)
        if match is not None:
            block, key, end = match
            rows.add(key, block.columns, cells, end, i, line)
        elif not has_number(cells) and names_any(cells, all_columns):
            rows.header(line, cells)
        elif not rows.continue_last(cells, i):
            _add_unrecognised(rows, (), cells, i, line)
    required = list(columns)
    maybe = fill_gaps(list(rows.items), required, _table2_labels(blocks))
    for row in rows.items:
        if row.key is not None and not row.columns:
            row.columns = columns[row.key]
    rows.store(table)
    if table.found:
        _missing(table, required, maybe)
    else:
        table.missing_rows = required
    return table


def _table2_labels(blocks: Sequence[Block]) -> dict[str, str]:
    return {table2_row_key(b, r): r.label for b in blocks for r in b.rows}


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


def _table3_order(template: str) -> list[str]:
    """The rows a table 3 of this template may hold, in print order (a 2021 report may print
    （六）其他处理 as the single row of the 2019 template)."""
    required = set(table3_required_rows(template))
    return [r.key for r in TABLE3_ROWS if r.key in required or r.key == "other"]


def read_table3(lines: Sequence[Line], layout: Layout, template: str) -> Table:
    table = Table("table3")
    rows = RowCollector()
    group: str | None = None
    seen_results = False
    for i, cells, line in rows_of_section(lines, layout, 3):
        if any(w in compact("".join(cells)) for w in _TABLE3_HEADER_WORDS):
            table.found = True
            rows.header(line, cells)
            continue
        group = _group_of(cells) or group
        match = _table3_match(cells, group, seen_results)
        if match is None:
            if not rows.continue_last(cells, i):
                _add_unrecognised(rows, TABLE3_COLUMNS, cells, i, line)
            continue
        key, end = match
        if key.startswith("other."):
            group = "other"
        if key not in ("new", "carried_over"):
            seen_results = True
        if key == "other" and template != "2019" and not any(c.strip() for c in cells[end + 1 :]):
            continue  # the 2021 template's （六） is only the label of its three sub-rows
        rows.add(key, TABLE3_COLUMNS, cells, end, i, line)
    order = _table3_order(template)
    labels = {k: TABLE3_ROW_INDEX[k].label for k in order}
    maybe = fill_gaps(list(rows.items), order, labels)
    rows.store(table)
    if "other" in table.rows and template != "2019":
        maybe = {k: v for k, v in maybe.items() if not k.startswith("other.")}
    _missing(table, table3_required_rows(template), maybe)
    return table


# --- table 4 --------------------------------------------------------------------


def read_table4(lines: Sequence[Line], layout: Layout) -> Table:
    table = Table("table4")
    in_table = False
    for i, cells, line in rows_of_section(lines, layout, 4):
        if any(w in compact("".join(cells)) for w in _TABLE4_HEADER_WORDS):
            in_table = table.found = True
            continue
        if not (in_table or layout.section_of(i) == 4):
            continue
        # The one row of table 4 is all numbers (or blanks): no label cell.
        if all(is_value_cell(c) for c in cells) and any(c.strip() for c in cells):
            fitted = fit(cells, len(TABLE4_COLUMNS))
            table.rows[TABLE4_ROW] = {
                col.key: parse_cell(v) for col, v in zip(TABLE4_COLUMNS, fitted.values, strict=True)
            }
            table.lines[TABLE4_ROW] = i + 1
            doubt = line.uncertain or fitted.doubt
            if doubt:
                table.uncertain[TABLE4_ROW] = doubt
            table.found = True
            break
    if table.found and TABLE4_ROW not in table.rows:
        # The header is there but no row of values: every cell is blank.
        table.rows[TABLE4_ROW] = {col.key: Cell("") for col in TABLE4_COLUMNS}
    if not table.found:
        table.missing_rows = [TABLE4_ROW]
    return table
