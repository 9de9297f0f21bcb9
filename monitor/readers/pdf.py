"""PDF reader: ruled tables as rows, the text around them as paragraphs, in reading order.

Measured on this machine (CPU time, one core; Word-style report PDFs printed by LibreOffice and
table-dense fpdf2 PDFs): pypdfium2 extracts text at 1,100-2,500 pages/s but knows nothing of
tables; pdfplumber finds ruled tables cell for cell (merged cells come back as None) at 19-38
pages/s including the text lines; this reader runs at 20-36 pages/s, above the 10 pages/s target.
So pypdfium2 does the cheap checks first (opens the file, detects encryption, counts the text
layer per page so scanned pages never reach pdfplumber, and stands in for pdfminer on pages it
cannot parse), and pdfplumber lays out the pages that have text.

Visual lines are joined back into paragraphs (a line that runs to the right margin continues on
the next, unindented line, also across a page break); page numbers and running headers are
dropped. A table that continues on the next page keeps its index, its fragments are put on one
column grid (a page holding only header rows lacks the inner rules of the label columns), and a
row that the page break cut in two is joined again.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from monitor.errors import DamagedDocument, EncryptedDocument, NotAReport, UnreadableInput
from monitor.readers.base import Line, SourceDocument
from monitor.readers.inflate import PartTooLarge, inflated_streams
from monitor.readers.limits import (
    MAX_PAGE_OBJECTS,
    MAX_PAGES,
    MAX_PDF_CONTENT_BYTES,
    MAX_PDF_FONT_BYTES,
    Budget,
    inflates_too_much,
    too_many_pages,
)
from monitor.readers.pdfgrid import TextLine, find_grids, segments_of
from monitor.text import join_parts

__all__ = ["read_pdf"]


_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(\d{1,4}|[ivxlcIVXLC]{1,6})[-—–－\s]*$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$|"
    r"^\d+\s*/\s*\d+$|^共\s*\d+\s*页\s*第\s*\d+\s*页$"
)
_HEADING_START = re.compile(r"^\s*([（(]?[一二三四五六七八九十]+[）)、.．]|[（(]\d+[）)]|\d+[、.．](?!\d))")
_NUMBER = re.compile(r"^[+-]?[\d,.]+%?$")


@dataclass
class _Text:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    page: int


@dataclass
class _Table:
    rows: list[list[str]]
    cells: list[list[tuple[float, str]]]  # per row: (left edge, text) of the cells that start in it
    columns: list[float]  # column edges, left to right, the table's right edge last
    top: float
    bottom: float
    page: int
    index: int = -1
    lines: list[Line] = field(default_factory=list)
    open_cells: list[float] = field(default_factory=list)  # left edges of last-row cells whose text runs on
    doubts: list[str | None] = field(default_factory=list)  # per row: why its cells are not sure
    ruled: bool = True  # False: placed by where its figures sit (pdfgrid), never joined across pages


@dataclass
class _Page:
    number: int
    height: float
    items: list[_Text | _Table] = field(default_factory=list)


def _open_error(exc: Exception, path: str) -> UnreadableInput:
    # The PDF libraries say "encrypted" only in their messages: read here, once, into a class.
    message = f"{type(exc).__name__} {exc}".lower()
    if "password" in message or "encrypt" in message or "security" in message:
        return EncryptedDocument(path, "PDF 已加密，无法读取")
    return DamagedDocument(path, "PDF 文件已损坏，无法解析")


def _check_streams(data: bytes, path: str) -> None:
    """Refuse a flate bomb before any PDF library inflates it (OverLimit)."""
    try:
        inflated_streams(data, MAX_PDF_CONTENT_BYTES, MAX_PDF_FONT_BYTES)
    except PartTooLarge as exc:
        if str(exc) == "font":
            raise inflates_too_much(path, "PDF 的嵌入字体", MAX_PDF_FONT_BYTES) from None
        raise inflates_too_much(path, "PDF 的页面内容", MAX_PDF_CONTENT_BYTES) from None


def _text_layer(data: bytes, path: str) -> tuple[list[int], list[int]]:
    """Non-blank characters and objects per page, read with pypdfium2 (fast); raises for unopenable
    files and for more than MAX_PAGES pages."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _open_error(exc, path) from None
    counts = []
    objects = []
    try:
        if len(pdf) > MAX_PAGES:
            raise too_many_pages(path, len(pdf))
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            counts.append(len(re.sub(r"\s", "", text)))
            objects.append(max(pdfium_c.FPDFPage_CountObjects(page), len(text)))
            textpage.close()
            page.close()
    except pdfium.PdfiumError:
        raise DamagedDocument(path, "PDF 文件已损坏，无法解析") from None
    finally:
        pdf.close()
    return counts, objects


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def _cell(value: str | None) -> str:
    if not value:
        return ""
    return join_parts(value.split("\n"))


_CELL_PADDING = 6.0


def _open_cells(chars: list[dict[str, Any]], table: Any) -> list[float]:  # table: a pdfplumber Table
    """Cells of the table's last row whose last text line is full: text that a page break cut off.

    A row that Word or LibreOffice breaks over two pages leaves a cell whose lines fill its width
    down to the break; a complete cell ends with a line that leaves room for more.
    """
    if not table.rows:
        return []
    top = min((box[1] for box in table.rows[-1].cells if box), default=0)
    chars = [c for c in chars if c["bottom"] >= top and table.bbox[0] <= c["x0"] <= table.bbox[2]]

    def lines_in(box: tuple[float, float, float, float]) -> list[list[dict[str, Any]]]:
        inside = [
            c
            for c in chars
            if box[0] <= (c["x0"] + c["x1"]) / 2 <= box[2]
            and box[1] <= (c["top"] + c["bottom"]) / 2 <= box[3]
            and c["text"].strip()
        ]
        rows: dict[int, list[dict[str, Any]]] = {}
        for c in inside:
            rows.setdefault(round(c["top"] / 2), []).append(c)
        return [rows[k] for k in sorted(rows)]

    out = []
    for box in table.rows[-1].cells:
        if not box:
            continue
        lines = lines_in(box)
        if not lines:
            continue
        last = lines[-1]
        size = max(c["x1"] - c["x0"] for c in last)
        # room for less than one more character, allowing for the cell's padding (Word: 5.4 pt)
        if box[2] - max(c["x1"] for c in last) < 0.9 * size + _CELL_PADDING:
            out.append(round(box[0], 1))
    return out


def _is_rule(obj: dict[str, Any]) -> bool:
    """Whether a rect can be part of a table's ruling.

    WPS and Word put a white, unstroked box behind every line of text (paragraph shading); those
    boxes are invisible and their edges are no rules. A filled, unstroked box larger than a hairline
    is a background (cell shading): its edges coincide with real rules where there are any.
    """
    if obj.get("object_type") != "rect" or obj.get("stroke"):
        return True
    if not obj.get("fill"):
        return False
    return min(float(obj["width"]), float(obj["height"])) <= _HAIRLINE


_HAIRLINE = 2.0  # points: Word draws cell borders as filled rects this thin


def _ruling(page: Any) -> Any:  # a pdfplumber Page, filtered
    if any(not _is_rule(r) for r in page.rects):
        return page.filter(lambda o: o.get("object_type") != "rect" or _is_rule(o))
    return page


def _closing_rules(page: Any) -> list[dict[str, Any]]:
    """Horizontal rules where a table's vertical rules end with none drawn across them.

    WPS leaves the last row on a page open (the rule is drawn at the top of the next page), so
    pdfplumber would drop that row; the rule the reader sees is added back.
    """
    verticals = [e for e in page.edges if e["orientation"] == "v" and e["height"] > _EDGE]
    if len(verticals) < 3:
        return []
    horizontals = [e for e in page.edges if e["orientation"] == "h"]
    extra: list[dict[str, Any]] = []
    for key in ("top", "bottom"):
        ends: dict[int, list[dict[str, Any]]] = {}
        for e in verticals:
            ends.setdefault(round(float(e[key])), []).append(e)
        for y, group in ends.items():
            if len(group) < 3:
                continue
            x0 = min(float(e["x0"]) for e in group)
            x1 = max(float(e["x1"]) for e in group)
            covered = any(
                abs(float(h["top"]) - y) <= _EDGE
                and float(h["x0"]) <= x0 + _EDGE
                and float(h["x1"]) >= x1 - _EDGE
                for h in horizontals
            )
            if not covered:
                extra.append(
                    {
                        "x0": x0,
                        "x1": x1,
                        "top": float(y),
                        "bottom": float(y),
                        "width": x1 - x0,
                        "height": 0.0,
                        "object_type": "line",
                        "orientation": "h",
                    }
                )
    return extra


def _is_prose(rows: list[list[str]]) -> bool:
    """A 'table' whose every row has at most one filled cell is a box drawn around text."""
    return all(sum(1 for v in row if v) <= 1 for row in rows)


def _layout(page: Any, number: int) -> _Page:  # page: a pdfplumber Page
    out = _Page(number, float(page.height))
    chars = page.chars
    # Fake bold (each glyph printed twice, slightly offset) doubles every character.
    seen = Counter((c["text"], round(c["x0"]), round(c["top"])) for c in chars)
    if sum(n - 1 for n in seen.values()) > len(chars) * 0.05:
        page = page.dedupe_chars()
    # Rotated text is a watermark or a stamp, not report text.
    page = page.filter(lambda o: o.get("object_type") != "char" or o.get("upright", True))
    ruled = _ruling(page)
    found = []
    if ruled.lines or ruled.rects or ruled.curves:
        closing = _closing_rules(ruled)
        found = ruled.find_tables({"explicit_horizontal_lines": closing} if closing else {})
    boxes = []
    for t in found:
        rows: list[list[str]] = []
        cells: list[list[tuple[float, str]]] = []
        for row, values in zip(t.rows, t.extract(), strict=True):
            texts = [_cell(v) for v in values]
            if any(texts):
                rows.append(texts)
                cells.append([(box[0], text) for box, text in zip(row.cells, texts, strict=True) if box])
        if not rows or _is_prose(rows):
            continue
        boxes.append(t.bbox)
        columns = sorted({round(c.bbox[0], 1) for c in t.columns if c.bbox} | {round(t.bbox[2], 1)})
        table = _Table(rows, cells, columns, t.bbox[1], t.bbox[3], number)
        table.open_cells = _open_cells(page.chars, t)
        out.items.append(table)
    text_page = page
    if boxes:
        text_page = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes))
    # Page numbers first: one at the foot of a table would be read as part of its last label.
    lines = [ln for ln in _text_lines(text_page) if not _page_number(ln, out.height)]
    consumed: set[int] = set()
    for grid in find_grids(lines, _left_margin(lines)):
        table = _Table(
            grid.rows, [[(0.0, c) for c in row] for row in grid.rows], [], grid.top, grid.bottom, number
        )
        table.doubts, table.ruled = grid.doubts, False
        out.items.append(table)
        consumed.update(grid.lines)
    for k, ln in enumerate(lines):
        if k not in consumed:
            out.items.append(_Text(ln.text, ln.x0, ln.x1, ln.top, ln.bottom, number))
    out.items.sort(key=lambda it: it.top)
    return out


def _text_lines(page: Any) -> list[TextLine]:  # page: a pdfplumber Page
    out = []
    for ln in page.extract_text_lines(strip=True, return_chars=True):
        text = ln["text"].strip()
        if not text:
            continue
        sizes = sorted(float(c["size"]) for c in ln["chars"] if c["text"].strip())
        size = sizes[len(sizes) // 2] if sizes else 10.0
        segments = segments_of(ln["chars"], size)
        out.append(TextLine(text, ln["x0"], ln["x1"], ln["top"], ln["bottom"], size, segments))
    return out


def _page_number(line: TextLine, height: float) -> bool:
    return (line.bottom < height * 0.08 or line.top > height * 0.9) and bool(_PAGE_NUMBER.match(line.text))


def _left_margin(lines: list[TextLine]) -> float:
    x0s = sorted(ln.x0 for ln in lines)
    return x0s[len(x0s) // 10] if x0s else 0.0


def _fallback_layout(data: bytes, index: int) -> _Page:
    """Text lines of one page from pypdfium2 when pdfplumber fails on it: no tables."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[index]
            height = page.get_height()
            text = page.get_textpage().get_text_range()
        finally:
            pdf.close()
    except pdfium.PdfiumError:
        return _Page(index + 1, 0.0)
    out = _Page(index + 1, height)
    y = 0.0
    for raw in text.splitlines():
        if raw.strip():
            y += 1
            out.items.append(_Text(raw.strip(), 0, 0, y, y, index + 1))
    return out


def _drop_page_furniture(pages: list[_Page]) -> None:
    """Page numbers, and running headers/footers repeated on most pages."""

    def zone(it: _Text, page: _Page) -> bool:
        return it.bottom < page.height * 0.08 or it.top > page.height * 0.9

    repeated = Counter(
        text for p in pages for text in {i.text for i in p.items if isinstance(i, _Text) and zone(i, p)}
    )
    limit = max(2, int(len(pages) * 0.6 + 0.5))
    for p in pages:
        p.items = [
            it
            for it in p.items
            if not (
                isinstance(it, _Text)
                and zone(it, p)
                and it.x1 > 0
                and (_PAGE_NUMBER.match(it.text) or (len(pages) >= 3 and repeated[it.text] >= limit))
            )
        ]


def _join_text(a: str, b: str) -> str:
    """Join a wrapped line: Latin words had a space at the break; CJK text and numbers did not
    (Word never breaks inside a number, so digits on both sides are one number broken by a
    character-wrapping generator)."""
    if a and b and a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


_EDGE = 3.0  # points: column edges closer than this are the same edge


def _same_table(a: list[float], b: list[float]) -> bool:
    """Fragments of one table share their outer edges; inner edges may be missing from either,
    where every cell of a fragment spans them (e.g. a page holding only table 3's header rows)."""
    return abs(a[0] - b[0]) <= _EDGE and abs(a[-1] - b[-1]) <= _EDGE


def _union(a: list[float], b: list[float]) -> list[float]:
    edges: list[float] = []
    for x in sorted(a + b):
        if not edges or x - edges[-1] > _EDGE:
            edges.append(x)
    return edges


def _regrid(table: _Table, edges: list[float]) -> list[list[str]]:
    """The table's rows on a finer column grid: each cell at the column where it starts."""
    out = []
    for cells in table.cells:
        row = [""] * (len(edges) - 1)
        for x0, text in cells:
            i = min(range(len(edges) - 1), key=lambda k: abs(edges[k] - x0))
            row[i] = join_parts([row[i], text])
        out.append(row)
    return out


def _continues_row(prev: list[str], new: list[str], open_at: list[float], edges: list[float]) -> bool:
    """A row that Word/LibreOffice split at the page break: no figures, and text only under cells
    whose text the break cut off."""
    filled = [i for i, v in enumerate(new) if v]
    return bool(filled) and all(
        prev[i] and not _NUMBER.match(new[i]) and any(abs(edges[i] - x) <= _EDGE for x in open_at)
        for i in filled
    )


def _assemble(pages: list[_Page]) -> list[Line]:
    texts = [it for p in pages for it in p.items if isinstance(it, _Text) and it.x1 > 0]
    if texts:
        x0s = sorted(t.x0 for t in texts)
        x1s = sorted(t.x1 for t in texts)
        left = x0s[len(x0s) // 10]
        right = x1s[(len(x1s) * 9) // 10]
        heights = sorted(t.bottom - t.top for t in texts)
        cw = max(heights[len(heights) // 2], 4.0)
    else:
        left = right = 0.0
        cw = 10.0

    lines: list[Line] = []
    group: list[_Table] = []  # fragments of the current table, one per page
    edges: list[float] = []  # their common column edges
    last: _Text | _Table | None = None  # the previous item, across page breaks
    last_line: Line | None = None
    table_count = 0
    for p in pages:
        first_on_page = True
        for it in p.items:
            if isinstance(it, _Text):
                joinable = (
                    isinstance(last, _Text)
                    and last_line is not None
                    and last_line.cells is None
                    and it.x1 > 0
                    and last.x1 >= right - 1.5 * cw
                    and it.x0 <= left + 0.8 * cw
                    and not _HEADING_START.match(it.text)
                    and abs((it.bottom - it.top) - (last.bottom - last.top)) < 0.25 * cw
                    and (
                        (it.page == last.page and 0 <= it.top - last.bottom <= 1.2 * cw)
                        or (it.page == last.page + 1 and first_on_page)
                    )
                )
                if joinable and last_line is not None:
                    last_line.text = _join_text(last_line.text, it.text)
                else:
                    last_line = Line(text=it.text, page=it.page)
                    lines.append(last_line)
            else:
                continued = (
                    isinstance(last, _Table)
                    and it.ruled
                    and last.ruled
                    and first_on_page
                    and last.page == it.page - 1
                    and _same_table(edges, it.columns)
                )
                if continued:
                    it.index = last.index  # type: ignore[union-attr]
                    if len(_union(edges, it.columns)) != len(edges):
                        edges = _union(edges, it.columns)
                        for fragment in group:  # the earlier pages' rows onto the finer grid
                            for line, row in zip(fragment.lines, _regrid(fragment, edges), strict=True):
                                line.cells, line.text = row, "\t".join(row)
                    rows = _regrid(it, edges)
                    prev = group[-1]
                    group.append(it)
                    if (
                        last_line is not None
                        and last_line.cells
                        and last_line.table == it.index
                        and _continues_row(last_line.cells, rows[0], prev.open_cells, edges)
                    ):
                        merged = [join_parts([a, b]) for a, b in zip(last_line.cells, rows[0], strict=True)]
                        last_line.cells = merged
                        last_line.text = "\t".join(merged)
                        # the row now belongs to the previous fragment (for any later re-gridding)
                        prev.cells[-1] = prev.cells[-1] + it.cells[0]
                        rows, it.rows, it.cells = rows[1:], it.rows[1:], it.cells[1:]
                else:
                    it.index = table_count
                    table_count += 1
                    group, edges = [it], it.columns
                    rows = it.rows
                doubts = it.doubts[len(it.doubts) - len(rows) :] if it.doubts else [None] * len(rows)
                for row, doubt in zip(rows, doubts, strict=True):
                    last_line = Line(
                        text="\t".join(row), cells=row, page=it.page, table=it.index, uncertain=doubt
                    )
                    lines.append(last_line)
                    it.lines.append(last_line)
            last = it
            first_on_page = False
    return lines


_PRODUCER_PREFIX = re.compile(r"^(Microsoft Word|Microsoft PowerPoint|WPS Office|Word)\s*-\s*", re.I)


def _title(metadata: dict[str, Any]) -> str | None:
    title = metadata.get("Title")
    if not isinstance(title, str):
        return None
    # "Microsoft Word - 2023年报告.docx": the file name Word put there, not a title
    title = _PRODUCER_PREFIX.sub("", title.strip())
    title = re.sub(r"\.(docx?|wps|pdf)$", "", title, flags=re.I).strip()
    return title or None


def _pages(
    data: bytes, counts: list[int], objects: list[int], doc: SourceDocument, path: str
) -> tuple[list[_Page], list[int]]:
    """Lay out the pages that have text with pdfplumber; pypdfium2's text where pdfminer fails, and
    on a page too crowded to lay out (MAX_PAGE_OBJECTS: a hostile page of drawing operators)."""
    import pdfplumber

    with_text = [i for i, n in enumerate(counts) if n]
    try:
        pdf = pdfplumber.open(BytesIO(data))
        plumber_pages = list(pdf.pages)
    except Exception as exc:  # pdfminer raises many types on files pdfium repairs
        error = _open_error(exc, path)
        if isinstance(error, EncryptedDocument):
            raise error from None
        return [_fallback_layout(data, i) for i in with_text], [i + 1 for i in with_text]
    pages: list[_Page] = []
    degraded: list[int] = []
    with pdf:
        title = _title(pdf.metadata or {})
        if title:
            doc.meta["title"] = title
            doc.meta["title_source"] = "PDF 文档属性"
        for i in with_text:
            if i >= len(plumber_pages) or objects[i] > MAX_PAGE_OBJECTS:
                pages.append(_fallback_layout(data, i))
                degraded.append(i + 1)
                continue
            page = plumber_pages[i]
            try:
                pages.append(_layout(page, i + 1))
            except Exception:  # one malformed page: keep its text, lose its tables
                pages.append(_fallback_layout(data, i))
                degraded.append(i + 1)
            finally:
                page.close()
    return pages, degraded


@contextlib.contextmanager
def _quiet_pdfminer() -> Iterator[None]:
    """pdfminer logs a warning for every malformed object it skips ("Could not get FontBBox ..."); the
    reader reports what it could not read, so while it reads these would only bury the user's output."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_pdf(data: bytes, path: str) -> SourceDocument:
    """Read a PDF report; a PDF without a text layer gives image_only=True and no lines."""
    tail = data[-4096:]
    if b"%%EOF" not in tail:
        raise DamagedDocument(path, "PDF 文件不完整（缺少文件结尾，可能下载中断），无法解析")
    _check_streams(data, path)
    counts, objects = _text_layer(data, path)
    doc = SourceDocument(path=path, format="pdf")
    doc.meta["pages"] = str(len(counts))
    if not counts:
        raise NotAReport(path, "PDF 没有任何页面")
    image_pages = [i + 1 for i, n in enumerate(counts) if n == 0]
    if image_pages:
        doc.meta["image_pages"] = ",".join(map(str, image_pages))
    if len(image_pages) == len(counts):
        doc.image_only = True
        return doc

    with _quiet_pdfminer():
        pages, degraded = _pages(data, counts, objects, doc, path)
    if degraded:
        doc.meta["degraded_pages"] = ",".join(map(str, degraded))
    _drop_page_furniture(pages)
    lines = _assemble(pages)
    Budget(path).add_lines(len(lines))
    # Glyphs without a Unicode mapping come out as (cid:NN): such a text layer says nothing.
    text = "".join(ln.text for ln in lines)
    cids = len(re.findall(r"\(cid:\d+\)", text))
    if cids and cids * 8 > len(text) * 0.5:
        doc.meta["text_layer"] = "无法映射的字形编码（cid）"
        doc.image_only = True
        return doc
    doc.lines = lines
    return doc
