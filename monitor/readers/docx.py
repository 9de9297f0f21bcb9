"""DOCX reader: the body's paragraphs and tables in document order, merged cells from the XML.

python-docx's ``Table.rows[i].cells`` repeats a merged cell across every grid
position it covers, so tables are read from the XML instead: a cell with
gridSpan n gives its text then n-1 "", a vMerge continuation gives "".
"""

from __future__ import annotations

import zipfile
from io import BytesIO

from lxml import etree

from monitor.errors import UnreadableInput
from monitor.readers.base import Line, SourceDocument
from monitor.readers.html import clean_text, join_parts

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


class _Reader:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.tables = 0
        self.images = 0

    def block(self, el: etree._Element) -> None:
        if el.tag == _P:
            self.images += len(el.findall(".//" + _q("drawing"))) + len(el.findall(".//" + _q("pict")))
            self.lines.extend(Line(text=t) for t in _paragraph_texts(el))
        elif el.tag == _TBL:
            self.table(el)

    def cell_text(self, tc: etree._Element) -> str:
        parts: list[str] = []
        for child in _children(tc):
            if child.tag == _P:
                parts.extend(_paragraph_texts(child))
            elif child.tag == _TBL:
                # a table nested in a cell becomes running text of that cell
                sub = _Reader()
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
        width = len(grid.findall(_q("gridCol"))) if grid is not None else 0
        out: list[list[str]] = []
        for tr, tcs in zip(rows, cells_of, strict=True):
            tr_pr = tr.find(_q("trPr"))
            cells: list[str] = [""] * (_int_val(tr_pr.find(_q("gridBefore")), 0) if tr_pr is not None else 0)
            for tc in tcs:
                pr = tc.find(_q("tcPr"))
                span = _int_val(pr.find(_q("gridSpan")) if pr is not None else None) or 1
                vmerge = pr.find(_q("vMerge")) if pr is not None else None
                hmerge = pr.find(_q("hMerge")) if pr is not None else None
                continued = (vmerge is not None and vmerge.get(_VAL, "continue") == "continue") or (
                    hmerge is not None and hmerge.get(_VAL, "continue") == "continue"
                )
                text = "" if continued else self.cell_text(tc)
                cells.extend([text] + [""] * (span - 1))
            out.append(cells)
        width = max([width, *(len(c) for c in out)])
        index = self.tables
        self.tables += 1
        for cells in out:
            cells += [""] * (width - len(cells))
            if any(cells):
                self.lines.append(Line(text="\t".join(cells), cells=cells, table=index))


def read_docx(data: bytes, path: str) -> SourceDocument:
    """Read a Word 2007+ document."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.LxmlError, EOFError) as exc:
        problem = f"DOCX 文件已损坏或不是 Word 文档，无法解析（{type(exc).__name__}）"
        raise UnreadableInput(path, problem) from None
    except Exception as exc:  # any other library failure on a malformed package
        raise UnreadableInput(path, f"DOCX 文件无法解析（{type(exc).__name__}）") from None
    doc = SourceDocument(path=path, format="docx")
    reader = _Reader()
    for child in _children(document.element.body):
        reader.block(child)
    doc.lines = reader.lines
    try:
        props = document.core_properties
        if props.title and props.title.strip():
            doc.meta["title"] = clean_text(props.title)
            doc.meta["title_source"] = "DOCX 文档属性"
        for key, value in (("created", props.created), ("modified", props.modified)):
            if value is not None:
                doc.meta[key] = value.date().isoformat()
    except (ValueError, etree.LxmlError):
        pass  # broken docProps/core.xml: the body is still good
    if not doc.lines and reader.images:
        doc.image_only = True  # a scan pasted into Word
    return doc
