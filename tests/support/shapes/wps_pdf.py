"""A PDF laid out the way WPS prints an agency's report, drawn with fpdf2 at explicit positions.

What WPS output does that our own renderings did not (and the real reports in ../real do):
  * a white, unstroked box behind every line of text and every table cell (paragraph shading);
  * body text at 16 pt (三号) with 27 pt line pitch, first-line indent of two characters, headings
    indented exactly like paragraphs;
  * justified lines: the slack of a line that cannot take the next word (an e-mail address, a long
    number) is spread between its characters, so the text comes out letter-spaced;
  * page numbers "- 1 -" at the foot, alternately right and left;
  * tables ruled with thin lines, or not ruled at all, labels wrapped in narrow columns and the
    figures of a row centred on the label or at its top.
Used by build.py; needs fonts-wqy-zenhei.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
LEFT, RIGHT, TOP, BOTTOM = 74.3, 518.5, 80.0, 770.0
WIDTH = RIGHT - LEFT
BODY, PITCH = 16.0, 27.0
_TOKEN = re.compile(r"[A-Za-z0-9@._\-:/]+|\s+|.", re.S)

Cell = tuple[str, int, int]  # text, rowspan, colspan
Spec = list[list[Cell]]


@dataclass
class _Placed:
    text: str
    row: int
    col: int
    rowspan: int
    colspan: int


class WpsPdf:
    def __init__(self) -> None:
        self.pdf = FPDF(unit="pt", format="A4")
        self.pdf.set_creation_date(datetime(2024, 1, 22, tzinfo=UTC))  # same bytes on every run
        self.pdf.set_auto_page_break(False)
        self.pdf.add_font("wqy", fname=FONT)
        self.pdf.set_font("wqy", size=BODY)
        self.y = TOP
        self._new_page()

    # ------------------------------------------------------------ pages and lines

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.y = TOP
        n = self.pdf.page_no()
        self.pdf.set_font_size(14)
        label = f"- {n} -"
        x = RIGHT - 40 if n % 2 else LEFT + 40
        self.pdf.text(x, 806, label)
        self.pdf.set_font_size(BODY)

    def _ensure(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self._new_page()

    def width(self, text: str, size: float) -> float:
        self.pdf.set_font_size(size)
        return float(self.pdf.get_string_width(text))

    def wrap(self, text: str, width: float, size: float, first_indent: float = 0.0) -> list[str]:
        """Greedy line breaking as WPS does it: any CJK character may end a line, a run of ASCII
        letters and digits never breaks."""
        lines: list[str] = []
        current = ""
        limit = width - first_indent
        for token in _TOKEN.findall(text):
            if current and self.width(current + token, size) > limit + 0.01:
                lines.append(current)
                current = token.lstrip()
                limit = width
            else:
                current += token
        if current:
            lines.append(current)
        return lines

    def _line(self, text: str, x: float, size: float, justify_to: float | None = None) -> None:
        """One line of text on its white box; justified lines spread their slack between characters."""
        self.pdf.set_fill_color(255, 255, 255)
        self.pdf.rect(LEFT, self.y, WIDTH, PITCH, style="F")
        self.pdf.set_font_size(size)
        spacing = 0.0
        if justify_to is not None and len(text) > 1:
            natural = self.width(text, size)
            spacing = max(0.0, (justify_to - natural) / (len(text) - 1))
        self.pdf.set_char_spacing(spacing)
        self.pdf.text(x, self.y + (PITCH + size) / 2 - 2, text)
        self.pdf.set_char_spacing(0)
        self.y += PITCH

    # ------------------------------------------------------------ blocks

    def title(self, lines: Sequence[str], size: float = 22.0) -> None:
        for text in lines:
            self._ensure(PITCH + 6)
            self._line(text, LEFT + (WIDTH - self.width(text, size)) / 2, size)
            self.y += 6
        self.y += 8

    def paragraph(self, text: str, lines: Sequence[str] | None = None, indent: float = 2.0) -> None:
        """A paragraph with a first-line indent; ``lines`` fixes the line breaks (to place a break
        inside a date, or leave a final "。" alone on its line)."""
        first = indent * BODY
        broken = list(lines) if lines is not None else self.wrap(text, WIDTH, BODY, first)
        for k, line in enumerate(broken):
            self._ensure(PITCH)
            x = LEFT + (first if k == 0 else 0.0)
            last = k == len(broken) - 1
            self._line(line, x, BODY, None if last else RIGHT - x)

    def heading(self, text: str) -> None:
        """A section heading, indented like a paragraph (WPS keeps the body style's indent)."""
        self._ensure(PITCH * 3)
        self._line(text, LEFT + 2 * BODY, BODY)

    def right(self, text: str) -> None:
        self._ensure(PITCH)
        self._line(text, RIGHT - self.width(text, BODY) - 2 * BODY, BODY)

    def space(self, points: float) -> None:
        self.y += points

    def page_break(self) -> None:
        self._new_page()

    # ------------------------------------------------------------ tables

    def table(
        self,
        spec: Spec,
        widths: Sequence[float],
        size: float = 10.5,
        ruled: bool = True,
        valign: str = "centre",
        align: Sequence[str] | None = None,
        pitch: float | None = None,
        padding: float = 4.0,
        shift: dict[int, float] | None = None,
        labels: int = 3,
    ) -> None:
        """A table from a span spec (rows of (text, rowspan, colspan)); ``widths`` in points.

        Cells get white boxes as in WPS; ``ruled`` adds thin border lines. Rows that do not fit
        go to the next page; a merged cell that crosses the break prints its text on the first
        page. ``align`` per grid column: "centre" or "left" for its text. ``shift`` moves the
        figures of a row (spec row index -> points) off their columns: cells from grid column
        ``labels`` on.
        """
        pitch = pitch or size * 1.25
        placed = _place(spec)
        n_rows = len(spec)
        edges = [LEFT]
        for w in widths:
            edges.append(edges[-1] + w)
        heights = [0.0] * n_rows
        wrapped: dict[int, list[str]] = {}
        for k, p in enumerate(placed):
            cell_w = edges[p.col + p.colspan] - edges[p.col] - 2 * padding
            wrapped[k] = self.wrap(p.text, cell_w, size) if p.text else []
        for k, p in enumerate(placed):
            if p.rowspan == 1:
                heights[p.row] = max(
                    heights[p.row], len(wrapped[k]) * pitch + 2 * padding, pitch + 2 * padding
                )
        for k, p in enumerate(placed):
            if p.rowspan > 1:
                need = len(wrapped[k]) * pitch + 2 * padding
                have = sum(heights[p.row : p.row + p.rowspan])
                if need > have:
                    heights[p.row + p.rowspan - 1] += need - have
        tops: list[tuple[int, float]] = []  # per row: page, top
        for r in range(n_rows):
            if self.y + heights[r] > BOTTOM:
                self._new_page()
            tops.append((self.pdf.page_no(), self.y))
            self.y += heights[r]
        self.y += 10
        last_page = self.pdf.page_no()
        for k, p in enumerate(placed):
            spanned = range(p.row, p.row + p.rowspan)
            x0, x1 = edges[p.col], edges[p.col + p.colspan]
            # A merged cell that crosses a page break is boxed on each page; its text starts on the
            # first and runs on to the next where it does not fit, as in WPS.
            lines = list(wrapped[k])
            portions = []
            for page in sorted({tops[r][0] for r in spanned}):
                rows = [r for r in spanned if tops[r][0] == page]
                top = tops[rows[0]][1]
                portions.append((page, top, top + sum(heights[r] for r in rows)))
            for n, (page, top, bottom) in enumerate(portions):
                self._goto(page)
                self.pdf.set_fill_color(255, 255, 255)
                self.pdf.rect(x0, top, x1 - x0, bottom - top, style="F")
                if ruled:
                    self.pdf.set_line_width(0.5)
                    self.pdf.set_draw_color(0, 0, 0)
                    for y in (top, bottom):
                        self.pdf.line(x0, y, x1, y)
                    for x in (x0, x1):
                        self.pdf.line(x, top, x, bottom)
                room = max(1, int((bottom - top - 2 * padding) // pitch))
                here = lines if n == len(portions) - 1 else lines[:room]
                lines = lines[len(here) :]
                block = len(here) * pitch
                y = top + padding if valign == "top" or n else top + (bottom - top - block) / 2
                how = (align or ["centre"] * len(widths))[p.col]
                offset = (shift or {}).get(p.row, 0.0) if p.col >= labels else 0.0
                self.pdf.set_font_size(size)
                for line in here:
                    w = self.width(line, size)
                    x = (x0 + padding if how == "left" else x0 + (x1 - x0 - w) / 2) + offset
                    self.pdf.text(x, y + (pitch + size) / 2 - 1.5, line)
                    y += pitch
        self._goto(last_page)
        self.pdf.set_font_size(BODY)

    def _goto(self, page: int) -> None:
        """Draw on an earlier page; fpdf2 only writes a font size when it changes, and the page
        we return to last set the footer's, so the size is set again."""
        if self.pdf.page != page:
            self.pdf.page = page
            size = self.pdf.font_size_pt
            self.pdf.set_font_size(size + 1)
            self.pdf.set_font_size(size)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _place(spec: Spec) -> list[_Placed]:
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(spec):
        col = 0
        for text, rs, cs in row:
            while (r, col) in taken:
                col += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, col + dc))
            out.append(_Placed(text, r, col, rs, cs))
            col += cs
    return out
