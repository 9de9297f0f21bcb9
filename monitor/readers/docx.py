"""DOCX reader: the body's paragraphs and tables in document order, merged cells from the XML.

python-docx's ``Table.rows[i].cells`` would repeat a merged cell across every grid
position it covers, so tables are read from the XML instead: a cell with
gridSpan n gives its text then n-1 "", a vMerge continuation gives "".
"""

from __future__ import annotations

import re
import zipfile
import zlib
from io import BytesIO

from lxml import etree

from monitor.errors import DamagedDocument
from monitor.readers.base import Line, SourceDocument
from monitor.readers.inflate import PartTooLarge, read_part
from monitor.readers.limits import MAX_XML_BYTES, Budget, inflates_too_much
from monitor.text import clean_text, join_parts

__all__ = ["read_docx"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (_q(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
_T, _TAB, _BR, _CR, _NB_HYPHEN = (_q(t) for t in ("t", "tab", "br", "cr", "noBreakHyphen"))
_SKIP = {_q("del"), _q("moveFrom"), f"{{{_MC}}}Fallback", _q("instrText"), _q("delText")}
_WRAPPERS = {_q("customXml"), _q("smartTag"), _q("ins"), _q("moveTo"), _SDT, _SDT_CONTENT}
_VAL = _q("val")


def _paragraph_texts(p: etree._Element) -> list[str]:
    """A paragraph's text, split at manual line breaks (w:br / w:cr) as HTML splits at <br>."""
    parts: list[str] = [""]

    def visit(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if tag in _SKIP or not isinstance(tag, str):
                continue
            if tag == _T:
                parts[-1] += child.text or ""
            elif tag == _TAB:
                parts[-1] += " "
            elif tag in (_BR, _CR):
                parts.append("")
            elif tag == _NB_HYPHEN:
                parts[-1] += "-"
            elif tag == _P:
                # a paragraph inside a text box anchored in this one: its own line
                parts.append("")
                visit(child)
                parts.append("")
            else:
                visit(child)

    visit(p)
    return [t for t in (clean_text(x) for x in parts) if t]


def _children(el: etree._Element) -> list[etree._Element]:
    """Block children, looking through content controls and custom XML wrappers."""
    out = []
    for child in el:
        if child.tag in _WRAPPERS:
            out.extend(_children(child))
        elif isinstance(child.tag, str):
            out.append(child)
    return out


def _int_val(el: etree._Element | None, default: int = 1) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(_VAL, default)))
    except ValueError:
        return default


def _twips(el: etree._Element) -> int:
    """A gridCol's width; unknown or absurd widths (1e400, nan) count as wide (never a sliver)."""
    try:
        return int(float(el.get(_q("w"), "")))
    except (ValueError, OverflowError):
        return 1 << 20


# Narrower grid columns are rounding slivers (Word and LibreOffice add them when cell edges in
# different rows miss each other by a twip or two), not columns a reader can see.
_SLIVER_TWIPS = 60


def _visible_cells(placed: list[tuple[int, int, str]], widths: list[int]) -> list[str]:
    """Cells at grid positions -> the row's visible cells, spanned positions "" and slivers dropped."""
    end = max((c + s for c, s, _ in placed), default=0)
    visible = [i for i in range(max(end, len(widths))) if i >= len(widths) or widths[i] >= _SLIVER_TWIPS]
    if not widths or len(visible) == end:
        cells = [""] * end
        for col, _span, text in placed:
            cells[col] = text
        return cells
    index = {g: i for i, g in enumerate(visible)}
    cells = [""] * len(visible)
    for col, span, text in placed:
        targets = [index[g] for g in range(col, col + span) if g in index]
        if targets:
            cells[targets[0]] = join_parts([cells[targets[0]], text])
        elif text and cells:  # text in a sliver cell: keep it with its left neighbour
            left = max((i for g, i in index.items() if g < col), default=0)
            cells[left] = join_parts([cells[left], text])
    return cells


class _Reader:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.lines: list[Line] = []
        self.tables = 0
        self.images = 0

    def block(self, el: etree._Element) -> None:
        if el.tag == _P:
            self.images += len(el.findall(".//" + _q("drawing"))) + len(el.findall(".//" + _q("pict")))
            texts = _paragraph_texts(el)
            self.budget.add_lines(len(texts))
            self.lines.extend(Line(text=t) for t in texts)
        elif el.tag == _TBL:
            self.table(el)

    def cell_text(self, tc: etree._Element) -> str:
        parts: list[str] = []
        for child in _children(tc):
            if child.tag == _P:
                parts.extend(_paragraph_texts(child))
            elif child.tag == _TBL:
                # a table nested in a cell becomes running text of that cell
                sub = _Reader(self.budget)
                sub.table(child)
                parts.extend(" ".join(c for c in ln.cells or [ln.text] if c) for ln in sub.lines)
        return join_parts(parts)

    def table(self, tbl: etree._Element) -> None:
        rows = [r for r in _children(tbl) if r.tag == _TR]
        cells_of = [[c for c in _children(r) if c.tag == _TC] for r in rows]
        own = sum(len(c) for c in cells_of)
        nested = len(tbl.findall(".//" + _TC)) - own
        # One cell, or a table around tables: page layout, not data. Read its cells as blocks.
        if own <= 1 or (nested > 0 and nested >= own):
            for row in cells_of:
                for tc in row:
                    for child in _children(tc):
                        self.block(child)
            return
        grid = tbl.find(_q("tblGrid"))
        widths = [_twips(g) for g in grid.findall(_q("gridCol"))] if grid is not None else []
        # The table's real width: its grid, or its widest row. No span or skip reaches past it
        # (w:gridSpan="99999999" would otherwise lay out a row of a hundred million cells).
        real_width = max([len(widths), *(len(tcs) for tcs in cells_of)])
        out: list[list[str]] = []
        for tr, tcs in zip(rows, cells_of, strict=True):
            tr_pr = tr.find(_q("trPr"))
            col = _int_val(tr_pr.find(_q("gridBefore")), 0) if tr_pr is not None else 0
            col = min(col, real_width)
            placed: list[tuple[int, int, str]] = []  # grid column, span, text
            for tc in tcs:
                pr = tc.find(_q("tcPr"))
                span = _int_val(pr.find(_q("gridSpan")) if pr is not None else None) or 1
                span = max(1, min(span, real_width - col))  # never past the grid's last column
                vmerge = pr.find(_q("vMerge")) if pr is not None else None
                hmerge = pr.find(_q("hMerge")) if pr is not None else None
                continued = (vmerge is not None and vmerge.get(_VAL, "continue") == "continue") or (
                    hmerge is not None and hmerge.get(_VAL, "continue") == "continue"
                )
                placed.append((col, span, "" if continued else self.cell_text(tc)))
                col += span
            self.budget.add_cells(max(col, len(widths)))
            out.append(_visible_cells(placed, widths))
        self.budget.add_lines(len(out))
        width = max(len(c) for c in out) if out else 0
        index = self.tables
        self.tables += 1
        for cells in out:
            cells += [""] * (width - len(cells))
            if any(cells):
                self.lines.append(Line(text="\t".join(cells), cells=cells, table=index))


_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_STRICT = b"http://purl.oclc.org/ooxml/wordprocessingml/main"


def _parser() -> etree.XMLParser:
    # one per call: an lxml parser must not be shared between threads
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def _part(z: zipfile.ZipFile, name: str) -> bytes | None:
    """A part of the package, inflated with a cap (a zip bomb is stopped at MAX_XML_BYTES)."""
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    return read_part(z, info, MAX_XML_BYTES)


def _main_part_name(z: zipfile.ZipFile) -> str:
    """The main document part, as the package relationships name it (not always word/document.xml)."""
    rels = _part(z, "_rels/.rels")
    if rels:
        for rel in etree.fromstring(rels, _parser()).iter(f"{{{_PACKAGE_RELS}}}Relationship"):
            if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
                return (rel.get("Target") or "").lstrip("/")
    return "word/document.xml"


def _core_properties(z: zipfile.ZipFile, meta: dict[str, str]) -> None:
    try:
        core = _part(z, "docProps/core.xml")
        root = etree.fromstring(core, _parser()) if core else None
    except (ValueError, etree.LxmlError, zipfile.BadZipFile, zlib.error, EOFError, OSError, PartTooLarge):
        return  # broken or oversized properties: the body is still good
    if root is None:
        return
    title = root.findtext("{http://purl.org/dc/elements/1.1/}title")
    if title and title.strip():
        meta["title"] = clean_text(title)
        meta["title_source"] = "DOCX 文档属性"
    for key in ("created", "modified"):
        value = (root.findtext(f"{{http://purl.org/dc/terms/}}{key}") or "").strip()
        if re.match(r"\d{4}-\d{2}-\d{2}", value):
            meta[key] = value[:10]


def read_docx(data: bytes, path: str) -> SourceDocument:
    """Read a Word 2007+ document.

    The package is read with zipfile and lxml rather than python-docx: the reader needs only the
    body XML, and python-docx's package model cost 7 ms per document (of ~10 ms in all) and left
    reference cycles that grew a process by ~100 MB over a few hundred documents.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            xml = _part(z, _main_part_name(z))
            if xml is None:
                raise KeyError("word/document.xml")
            # Strict OOXML (ISO 29500 strict) differs from transitional in the namespace only.
            root = etree.fromstring(xml.replace(_STRICT, _W.encode()), _parser())
            body = root.find(_q("body"))
            if body is None:
                raise ValueError("no w:body")
            doc = SourceDocument(path=path, format="docx")
            _core_properties(z, doc.meta)
    except PartTooLarge as exc:
        raise inflates_too_much(path, f"DOCX 文件的 {exc} ", MAX_XML_BYTES) from None
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        etree.LxmlError,
        EOFError,
        OSError,
        RuntimeError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        # RuntimeError: an encrypted zip entry; OSError / EOFError: a truncated stream; zlib.error:
        # damaged compressed data; NotImplementedError: a compression method zipfile lacks
        detail = "压缩数据已损坏" if isinstance(exc, zlib.error) else type(exc).__name__
        problem = f"DOCX 文件已损坏或不是 Word 文档，无法解析（{detail}）"
        raise DamagedDocument(path, problem) from None
    reader = _Reader(Budget(path))
    try:
        for child in _children(body):
            reader.block(child)
    except RecursionError:
        raise DamagedDocument(path, "DOCX 文件的表格嵌套过深，无法解析") from None
    doc.lines = reader.lines
    if not doc.lines and reader.images:
        doc.image_only = True  # a scan pasted into Word
    return doc
