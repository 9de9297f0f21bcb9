"""Tables without ruling lines in PDFs: rows found by where the figures sit.

WPS and Word print some tables without borders, and their labels often wrap in a narrow column
("2. 其 / 他法 / 律行 / 政法规…") while the figures of the row sit beside them, at the top of
the label or vertically centred on it. Only runs of lines whose figures line up in columns become
a table; headings and paragraphs never do (a paragraph runs from the margin into the figures'
columns; a heading opens with its numeral).

Each line is cut into segments where the gap between two characters is wider than a column gap.
A row is anchored by a line whose last segments are figures. The figures are put in columns by
their horizontal centres, so a blank cell stays blank in its own column; a figure that lines up
with no column, or two in one column, make the row uncertain. The label is the text gathered
beside the figures: label fragments are grouped into cells (a cell opens with its numbering, or
after a wider gap), and each cell belongs to the row whose figures it flanks; a cell flanking
several rows is a group label ("（三）不予公开") and goes with the first of them.

Pure functions over positioned text; the PDF reader (pdf.py) supplies the lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.model import is_placeholder

__all__ = ["Grid", "Segment", "TextLine", "find_grids", "segments_of"]

COLUMN_GAP = 1.2  # ems: a wider gap between two characters separates table cells
_FIGURE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|元|件|个|项|条|宗)?$")
_CHANGE = re.compile(r"^[增减]\d+(?:\.\d+)?$")
_MARKER = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[.．、]|[①-⑩])"
)
_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}

WHY_OFF_COLUMN = "数字未与任何列对齐"
WHY_SHARED_COLUMN = "两个数字落在同一列"


@dataclass
class Segment:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class TextLine:
    """One visual line of a page, with its segments (cells, where the line has column gaps)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    segments: list[Segment]


@dataclass
class Grid:
    """An unruled table: its rows on one grid (label columns, then figure columns)."""

    top: float
    bottom: float
    rows: list[list[str]]
    doubts: list[str | None]
    lines: list[int]  # indexes of the text lines it was made of


def segments_of(chars: Sequence[dict[str, Any]], size: float) -> list[Segment]:
    """A line's characters cut where the gap is wider than a column gap."""
    visible = [c for c in chars if c["text"].strip()]
    out: list[Segment] = []
    start = 0
    for k in range(1, len(visible) + 1):
        if k == len(visible) or float(visible[k]["x0"]) - float(visible[k - 1]["x1"]) > COLUMN_GAP * size:
            part = visible[start:k]
            if part:
                out.append(
                    Segment(
                        "".join(c["text"] for c in part),
                        float(part[0]["x0"]),
                        float(part[-1]["x1"]),
                        min(float(c["top"]) for c in part),
                        max(float(c["bottom"]) for c in part),
                    )
                )
            start = k
    return out


def _compact(text: str) -> str:
    return text.translate(_FULLWIDTH).replace(" ", "").replace("\u3000", "")


def _is_figure(seg: Segment) -> bool:
    return bool(_FIGURE.match(_compact(seg.text)))


def _is_value(seg: Segment) -> bool:
    t = _compact(seg.text)
    return bool(_FIGURE.match(t) or _CHANGE.match(t)) or is_placeholder(t)


def _first_value(line: TextLine) -> int | None:
    """Index of the first of the line's trailing value segments, when the line is a table row."""
    segs = line.segments
    k = len(segs)
    while k > 0 and _is_value(segs[k - 1]):
        k -= 1
    values = segs[k:]
    if not values or not any(_is_figure(s) for s in values):
        return None
    if k == 0 and len(values) < 2:
        return None  # one lone number is a page number or a year, not a row
    return k


@dataclass
class _Block:
    anchors: list[int] = field(default_factory=list)  # line indexes of rows with figures
    members: list[int] = field(default_factory=list)  # every line index, in order
    headers: list[int] = field(default_factory=list)  # header lines above the first anchor


def find_grids(lines: Sequence[TextLine], left: float) -> list[Grid]:
    """The unruled tables among a page's text lines (``left``: the text's left margin)."""
    firsts = [_first_value(ln) for ln in lines]
    grids: list[Grid] = []
    i = floor = 0
    while i < len(lines):
        if firsts[i] is None:
            i += 1
            continue
        group = _grow(lines, firsts, i, left, floor)
        floor = max(group) + 1
        for block in _split(lines, firsts, group):
            grid = _grid(lines, firsts, block)
            if grid is not None:
                grids.append(grid)
        i = max(group) + 1
    return grids


def _zone(lines: Sequence[TextLine], firsts: Sequence[int | None], anchors: list[int]) -> float:
    """Where the figures' columns begin: left of it is the label."""
    x0 = min(lines[a].segments[firsts[a] or 0].x0 for a in anchors)
    return x0 - 0.5 * min(lines[a].size for a in anchors)


def _is_prose(line: TextLine, zone: float, left: float) -> bool:
    """A paragraph line: one stretch of text from the margin into the figures' columns."""
    return len(line.segments) == 1 and line.x1 > zone and line.x0 <= left + 3 * line.size


def _belongs(line: TextLine, prev: TextLine, zone: float, left: float) -> bool:
    gap = line.top - prev.bottom if line.top >= prev.top else prev.top - line.bottom
    return not (
        _is_prose(line, zone, left)
        or _HEADING.match(_compact(line.text))
        or gap > 2.5 * max(line.size, prev.size)
    )


def _grow(
    lines: Sequence[TextLine], firsts: Sequence[int | None], start: int, left: float, floor: int
) -> list[int]:
    """The line indexes around an anchor that make one table: anchors, wrapped labels, headers."""
    anchors = [start]
    members = [start]
    k = start + 1
    while k < len(lines):
        zone = _zone(lines, firsts, anchors)
        if firsts[k] is not None:
            anchors.append(k)
        elif not _belongs(lines[k], lines[members[-1]], zone, left):
            break
        members.append(k)
        k += 1
    # Lines after the last row that are not its label's continuation belong to what follows.
    zone = _zone(lines, firsts, anchors)
    while members[-1] != anchors[-1] and any(s.centre >= zone for s in lines[members[-1]].segments):
        members.pop()
    k = start - 1
    while k >= floor and _belongs(lines[k], lines[members[0]], zone, left) and firsts[k] is None:
        members.insert(0, k)
        k -= 1
    return members


def _is_header(line: TextLine, zone: float) -> bool:
    return any(s.centre >= zone for s in line.segments)


def _split(lines: Sequence[TextLine], firsts: Sequence[int | None], members: list[int]) -> list[_Block]:
    """Blocks of rows under their own header lines (table 2's 第二十条 blocks)."""
    anchors = [m for m in members if firsts[m] is not None]
    zone = _zone(lines, firsts, anchors)
    blocks: list[_Block] = []
    current = _Block()
    for m in members:
        is_header = firsts[m] is None and _is_header(lines[m], zone)
        if is_header and current.anchors:
            blocks.append(current)
            current = _Block()
        current.members.append(m)
        if firsts[m] is not None:
            current.anchors.append(m)
        elif is_header:
            current.headers.append(m)
    blocks.append(current)
    # Label lines after a block's last row but before the next header belong to the block.
    return [b for b in blocks if b.anchors]


def _columns(values: list[Segment], tol: float) -> list[float]:
    """Column centres: the figures' centres clustered."""
    centres = sorted(s.centre for s in values)
    clusters: list[list[float]] = []
    for c in centres:
        if clusters and c - clusters[-1][-1] <= tol:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    return [sum(c) / len(c) for c in clusters]


def _grid(lines: Sequence[TextLine], firsts: Sequence[int | None], block: _Block) -> Grid | None:
    anchors = block.anchors
    # A table is two rows or more, or one row under a header (table 4, a block of table 2).
    if len(anchors) < 2 and not block.headers:
        return None
    zone = _zone(lines, firsts, anchors)
    size = min(lines[a].size for a in anchors)
    tol = 0.8 * size
    # Columns from the figures only: header words are centred over spans and wrap.
    columns = _columns([s for a in anchors for s in lines[a].segments[firsts[a] or 0 :]], tol)
    header_end = max((lines[h].bottom for h in block.headers), default=-1.0)
    label_segments: list[Segment] = []
    header_labels: list[Segment] = []
    for m in block.members:
        if m in block.headers:
            continue
        segments = lines[m].segments[: firsts[m]] if firsts[m] is not None else lines[m].segments
        for seg in segments:
            if seg.centre < zone:
                (header_labels if seg.middle < header_end else label_segments).append(seg)
    sub_columns = _sub_columns(label_segments, size)
    offset = len(sub_columns)
    width = offset + len(columns)

    rows: list[list[str]] = []
    doubts: list[str | None] = []
    for h in block.headers:
        row = [""] * width
        for seg in lines[h].segments:
            at = offset + _nearest(columns, seg.centre) if seg.centre >= zone else _sub_of(sub_columns, seg, size)
            row[at] = row[at] + seg.text
        rows.append(row)
        doubts.append(None)
    if rows and header_labels:
        rows[0][0] = "".join(seg.text for seg in header_labels) + rows[0][0]

    labels = _labels(label_segments, sub_columns, [lines[a] for a in anchors], size)
    for a, label_cells in zip(anchors, labels, strict=True):
        row = label_cells + [""] * len(columns)
        doubt = None
        for seg in lines[a].segments[firsts[a] or 0 :]:
            at = _nearest(columns, seg.centre)
            if abs(columns[at] - seg.centre) > tol:
                doubt = WHY_OFF_COLUMN
            if row[offset + at]:
                doubt = WHY_SHARED_COLUMN
            row[offset + at] = row[offset + at] + seg.text
        rows.append(row)
        doubts.append(doubt)

    top = min(lines[m].top for m in block.members)
    bottom = max(lines[m].bottom for m in block.members)
    return Grid(top, bottom, rows, doubts, list(block.members))


def _nearest(columns: list[float], x: float) -> int:
    return min(range(len(columns)), key=lambda k: abs(columns[k] - x))


def _sub_columns(segments: list[Segment], size: float) -> list[float]:
    """Left edges of the label columns: label fragments clustered by where they start."""
    edges: list[float] = []
    for x in sorted(s.x0 for s in segments):
        if not edges or x - edges[-1] > 1.5 * size:
            edges.append(x)
    return edges or [0.0]


def _sub_of(edges: list[float], seg: Segment, size: float) -> int:
    return max((k for k, e in enumerate(edges) if seg.x0 >= e - 0.75 * size), default=0)


def _labels(
    segments: list[Segment], edges: list[float], anchors: list[TextLine], size: float
) -> list[list[str]]:
    """The label cells of each anchored row, per label column."""
    out = [[""] * len(edges) for _ in anchors]
    middles = [(a.top + a.bottom) / 2 for a in anchors]
    for k in range(len(edges)):
        column = sorted((s for s in segments if _sub_of(edges, s, size) == k), key=lambda s: (s.top, s.x0))
        for cell in _cells(column, size):
            top, bottom = min(s.top for s in cell), max(s.bottom for s in cell)
            flanked = [j for j, y in enumerate(middles) if top - 0.3 * size <= y <= bottom + 0.3 * size]
            j = (
                flanked[0]
                if flanked
                else min(range(len(middles)), key=lambda j: abs(middles[j] - (top + bottom) / 2))
            )
            text = "".join(s.text for s in cell)
            out[j][k] = (out[j][k] + text) if out[j][k] else text
    return out


def _cells(column: list[Segment], size: float) -> list[list[Segment]]:
    """A label column's fragments grouped into cells: a cell opens with its numbering or after a gap
    wider than the line spacing within a cell."""
    cells: list[list[Segment]] = []
    for s in column:
        if cells:
            prev = cells[-1][-1]
            same_line = s.top < prev.bottom - 0.3 * size
            gap = s.top - prev.bottom
            if same_line or (gap <= 0.6 * size and not _MARKER.match(_compact(s.text))):
                cells[-1].append(s)
                continue
        cells.append([s])
    return cells
