"""Tables without ruling lines in PDFs: rows found by where the figures sit.

WPS and Word print some tables without borders, and their labels often wrap in a narrow column
("2. 其 / 他法 / 律行 / 政法规…") while the figures of the row sit beside them, at the top of
the label or vertically centred on it. Only runs of lines whose figures line up in columns become
a table; headings and paragraphs never do (a paragraph runs from the margin into the figures'
columns; a heading opens with its numeral in the body's larger type).

Each line is cut into segments where the gap between two characters is wider than a column gap.
A row is anchored by a line whose last segments are figures. The figures are put in columns by
their horizontal centres, so a blank cell stays blank in its own column; a figure that lines up
with no column, or two in one column, make the row uncertain. The label is the text gathered
beside the figures: fragments on consecutive lines that overlap horizontally form a cell (a cell
also opens with its numbering), and each cell belongs to the row whose figures it flanks; a cell
flanking several rows is a group label ("（三）不予公开", "三、本年度办理结果") and goes with the
first of them.

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
MARKER_GAP = 0.6  # ems: a narrower gap does too when a label's numbering follows it ("办 （三）不予公开")
LABEL_GAP = 0.8  # ems: inside a table's label columns, where no prose is letter-spaced, so does this
_FIGURE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|元|件|个|项|条|宗)?$")
_CHANGE = re.compile(r"^[增减]\d+(?:\.\d+)?$")
_MARKER = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[.．、]|[①-⑩])"
)
_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_NUMERALS = set("一二三四五六七八九十")
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
    chars: list[tuple[str, float, float]] = field(default_factory=list)  # text, x0, x1 of each

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    def split(self, gap: float) -> list[Segment]:
        """The segment cut again wherever two characters stand more than ``gap`` apart."""
        out: list[Segment] = []
        start = 0
        for k in range(1, len(self.chars) + 1):
            if k < len(self.chars) and self.chars[k][1] - self.chars[k - 1][2] <= gap:
                continue
            part = self.chars[start:k]
            out.append(
                Segment("".join(c[0] for c in part), part[0][1], part[-1][2], self.top, self.bottom, part)
            )
            start = k
        return out or [self]


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


def _compact(text: str) -> str:
    return text.translate(_FULLWIDTH).replace(" ", "").replace("\u3000", "")


def segments_of(chars: Sequence[dict[str, Any]], size: float) -> list[Segment]:
    """A line's characters cut where the gap is wider than a column gap."""
    visible = [c for c in chars if c["text"].strip()]
    text = "".join(c["text"] for c in visible)
    out: list[Segment] = []
    start = 0
    for k in range(1, len(visible) + 1):
        if k < len(visible):
            gap = float(visible[k]["x0"]) - float(visible[k - 1]["x1"])
            if gap <= MARKER_GAP * size or (
                gap <= COLUMN_GAP * size and not _MARKER.match(_compact(text[k:]))
            ):
                continue
        part = visible[start:k]
        out.append(
            Segment(
                "".join(c["text"] for c in part),
                float(part[0]["x0"]),
                float(part[-1]["x1"]),
                min(float(c["top"]) for c in part),
                max(float(c["bottom"]) for c in part),
                [(c["text"], float(c["x0"]), float(c["x1"])) for c in part],
            )
        )
        start = k
    return out


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


def _belongs(line: TextLine, prev: TextLine, zone: float, left: float, size: float) -> bool:
    """Whether a line next to a table's rows is part of it (not a paragraph or a heading)."""
    gap = line.top - prev.bottom if line.top >= prev.top else prev.top - line.bottom
    prose = len(line.segments) == 1 and line.x1 > zone and line.x0 <= left + 3 * line.size
    heading = bool(_HEADING.match(_compact(line.text))) and line.size >= 1.2 * size
    return not (prose or heading or gap > 2.5 * max(line.size, prev.size))


def _grow(
    lines: Sequence[TextLine], firsts: Sequence[int | None], start: int, left: float, floor: int
) -> list[int]:
    """The line indexes around an anchor that make one table: anchors, wrapped labels, headers."""
    anchors = [start]
    members = [start]
    size = lines[start].size
    k = start + 1
    while k < len(lines):
        zone = _zone(lines, firsts, anchors)
        if firsts[k] is not None:
            anchors.append(k)
            size = min(size, lines[k].size)
        elif not _belongs(lines[k], lines[members[-1]], zone, left, size):
            break
        members.append(k)
        k += 1
    # Lines after the last row that reach into the figures' columns belong to what follows.
    zone = _zone(lines, firsts, anchors)
    while members[-1] != anchors[-1] and any(s.centre >= zone for s in lines[members[-1]].segments):
        members.pop()
    k = start - 1
    while k >= floor and firsts[k] is None and _belongs(lines[k], lines[members[0]], zone, left, size):
        members.insert(0, k)
        k -= 1
    return members


def _split(lines: Sequence[TextLine], firsts: Sequence[int | None], members: list[int]) -> list[_Block]:
    """Blocks of rows under their own header lines (table 2's 第二十条 blocks)."""
    anchors = [m for m in members if firsts[m] is not None]
    zone = _zone(lines, firsts, anchors)
    blocks: list[_Block] = []
    current = _Block()
    for m in members:
        is_header = firsts[m] is None and any(s.centre >= zone for s in lines[m].segments)
        if is_header and current.anchors:
            blocks.append(current)
            current = _Block()
        current.members.append(m)
        if firsts[m] is not None:
            current.anchors.append(m)
        elif is_header:
            current.headers.append(m)
    blocks.append(current)
    return [b for b in blocks if b.anchors]


def _columns(rows: list[list[Segment]], tol: float) -> list[float]:
    """Column centres: the figures' centres clustered. Where the table has enough rows, a cluster
    only a row or two put there is a misplaced figure, not a column."""
    clusters: list[list[tuple[float, int]]] = []
    for centre, row in sorted((s.centre, r) for r, segs in enumerate(rows) for s in segs):
        if clusters and centre - clusters[-1][-1][0] <= tol:
            clusters[-1].append((centre, row))
        else:
            clusters.append([(centre, row)])
    support = [len({row for _c, row in cluster}) for cluster in clusters]
    floor = max(2, len(rows) // 4) if len(rows) >= 4 else 1
    kept = [cluster for cluster, n in zip(clusters, support, strict=True) if n >= floor] or clusters
    return [sum(c for c, _r in cluster) / len(cluster) for cluster in kept]


def _nearest(columns: list[float], x: float) -> int:
    return min(range(len(columns)), key=lambda k: abs(columns[k] - x))


def _grid(lines: Sequence[TextLine], firsts: Sequence[int | None], block: _Block) -> Grid | None:
    anchors = block.anchors
    # A table is two rows or more, one row under a header (table 4, a block of table 2), or one
    # row of many figures (table 3's last row, alone at the top of a page).
    if (
        len(anchors) < 2
        and not block.headers
        and len(lines[anchors[0]].segments) - (firsts[anchors[0]] or 0) < 4
    ):
        return None
    zone = _zone(lines, firsts, anchors)
    size = min(lines[a].size for a in anchors)
    tol = 0.8 * size
    # Columns from the figures only: header words are centred over spans and wrap.
    columns = _columns([lines[a].segments[firsts[a] or 0 :] for a in anchors], tol)
    header_end = max((lines[h].bottom for h in block.headers), default=-1.0)
    fragments: list[Segment] = []
    header_labels: list[Segment] = []
    for m in block.members:
        if m in block.headers:
            continue
        segments = lines[m].segments[: firsts[m]] if firsts[m] is not None else lines[m].segments
        for seg in segments:
            if seg.centre < zone:
                pieces = seg.split(LABEL_GAP * lines[m].size)
                (header_labels if (seg.top + seg.bottom) / 2 < header_end else fragments).extend(pieces)
    labels = _labels(fragments, [lines[a] for a in anchors], size)
    slots = max((len(cells) for cells in labels), default=0) or 1
    width = slots + len(columns)

    rows: list[list[str]] = []
    doubts: list[str | None] = []
    for h in block.headers:
        row = [""] * width
        for seg in lines[h].segments:
            at = slots + _nearest(columns, seg.centre) if seg.centre >= zone else 0
            row[at] += seg.text
        rows.append(row)
        doubts.append(None)
    if rows and header_labels:
        rows[0][0] = "".join(seg.text for seg in header_labels) + rows[0][0]

    for a, cells in zip(anchors, labels, strict=True):
        # Label cells right-aligned: the row's own label stands next to its figures.
        row = [""] * (slots - len(cells)) + cells + [""] * len(columns)
        doubt = None
        for seg in lines[a].segments[firsts[a] or 0 :]:
            at = slots + _nearest(columns, seg.centre)
            if abs(columns[at - slots] - seg.centre) > tol:
                doubt = WHY_OFF_COLUMN
            if row[at]:
                doubt = WHY_SHARED_COLUMN
            row[at] += seg.text
        rows.append(row)
        doubts.append(doubt)

    top = min(lines[m].top for m in block.members)
    bottom = max(lines[m].bottom for m in block.members)
    return Grid(top, bottom, rows, doubts, list(block.members))


def _labels(fragments: list[Segment], anchors: list[TextLine], size: float) -> list[list[str]]:
    """Each anchored row's label cells, left to right."""
    middles = [(a.top + a.bottom) / 2 for a in anchors]
    assigned: list[list[tuple[float, str]]] = [[] for _ in anchors]
    for cell in _cells(fragments, size):
        top, bottom = min(s.top for s in cell), max(s.bottom for s in cell)
        flanked = [j for j, y in enumerate(middles) if top - 0.3 * size <= y <= bottom + 0.3 * size]
        j = (
            flanked[0]
            if flanked
            else min(range(len(middles)), key=lambda j: abs(middles[j] - (top + bottom) / 2))
        )
        assigned[j].append((min(s.x0 for s in cell), "".join(s.text for s in cell)))
    return [[text for _x, text in sorted(cells)] for cells in assigned]


def _vertical_marker(seg: Segment, below: list[Segment], size: float) -> bool:
    """A numeral printed one character per line with its "、" on the line below: 三 / 、 / 本 / 年…"""
    if _compact(seg.text) not in _NUMERALS:
        return False
    return any(
        _compact(b.text) in ("、", ".")
        and seg.bottom - 0.3 * size <= b.top <= seg.bottom + 0.6 * size
        and min(seg.x1, b.x1) > max(seg.x0, b.x0)
        for b in below
    )


def _cells(fragments: list[Segment], size: float) -> list[list[Segment]]:
    """Label fragments grouped into cells: a fragment continues the cell whose last fragment is on
    the line just above and overlaps it most, one fragment per cell and line, unless it opens with
    its own numbering (a lone numeral opens a label printed one character per line)."""
    cells: list[list[Segment]] = []
    ordered = sorted(fragments, key=lambda s: (s.top, s.x0))
    k = 0
    while k < len(ordered):
        line = [ordered[k]]
        while k + len(line) < len(ordered) and ordered[k + len(line)].top < line[0].top + 0.3 * size:
            line.append(ordered[k + len(line)])
        k += len(line)
        below = ordered[k : k + 2 * len(line) + 4]
        pairs = []
        for seg in line:
            if _MARKER.match(_compact(seg.text)) or _vertical_marker(seg, below, size):
                continue
            for c, cell in enumerate(cells):
                last = cell[-1]
                next_line = last.top + 0.3 * size < seg.top and seg.top - last.bottom <= 0.6 * size
                shared = min(seg.x1, last.x1) - max(seg.x0, last.x0)
                if next_line and shared > 0:
                    pairs.append((shared, id(seg), c, seg))
        taken_cells: set[int] = set()
        placed: set[int] = set()
        for _shared, key, c, seg in sorted(pairs, key=lambda p: -p[0]):
            if c not in taken_cells and key not in placed:
                cells[c].append(seg)
                taken_cells.add(c)
                placed.add(key)
        cells.extend([seg] for seg in line if id(seg) not in placed)
    return cells
