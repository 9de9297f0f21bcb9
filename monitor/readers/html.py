"""HTML reader: portal article pages (TRS, Hanweb, gkmlpt, 集约化 platforms) and bare fragments.

The page is decoded (HTTP header charset, then <meta> charset, then detection),
parsed with lxml, the article body is located among the page chrome, and the
body is flattened into paragraph lines and table rows (rowspan/colspan expanded,
spanned positions ""). Title and publication-date evidence go into ``meta``.
"""

from __future__ import annotations

import codecs
import json
import re

import lxml.html
from lxml import etree

from monitor.errors import UnreadableInput
from monitor.portal.markup import DROP_TAGS, is_hidden
from monitor.portal.page import meta_content, read_page
from monitor.readers.base import Line, SourceDocument
from monitor.readers.encoding import declared_charset, decode_text, looks_binary, normalise_encoding
from monitor.readers.limits import MAX_HTML_TAGS, Budget, too_many_tags
from monitor.text import clean_text, join_parts

__all__ = ["read_html"]

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dd",
        "dt",
        "section",
        "article",
        "aside",
        "blockquote",
        "pre",
        "center",
        "address",
        "header",
        "footer",
        "figure",
        "figcaption",
        "hr",
        "main",
        "form",
        "fieldset",
        "legend",
        "caption",
        "body",
        "html",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
        "title",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


# ---------------------------------------------------------------- decoding

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w-]+)""", re.I)


# Western single-byte charsets that CMS templates declare by default; on a Chinese page with
# non-ASCII bytes they are wrong, and decoding with them never fails, so they are tried last.
_WESTERN = {"latin-1", "iso8859-1", "cp1252", "ascii"}


def _decode(data: bytes, path: str, content_type: str | None) -> tuple[str, str]:
    """HTTP header charset, then <meta> charset, then UTF-8 / GB18030, then detection."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data, path)
    if looks_binary(data):
        raise UnreadableInput(path, "不是 HTML 页面（含二进制内容），无法作为年报读取")
    declared = declared_charset(b"", content_type) if content_type else None
    if not declared:
        # Only <meta> tags: a charset= on a <script> tag says nothing about the page.
        m = _META_CHARSET.search(data[:65536])
        if m:
            declared = normalise_encoding(m.group(1).decode("ascii", "ignore"))
    candidates = ["utf-8", "gb18030"]
    if declared and declared not in _WESTERN:
        candidates.insert(0, declared)
    elif declared:
        candidates.append(declared)
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue  # a wrong declaration: fall back as browsers do
    return decode_text(data, path)  # charset-normalizer's guess


# ---------------------------------------------------------------- flattening


_LEADING_DIGITS = re.compile(r"\s*(\d+)")


def _span(value: str | None, limit: int, zero_to_end: bool = False) -> int:
    if value is None:
        return 1
    m = _LEADING_DIGITS.match(value)
    digits = m.group(1).lstrip("0") if m else "1"  # as browsers: the leading digits ("2;", "2.0"), else 1
    # More digits than any table has rows or columns: as large as the table (and no int() of them).
    n = int(digits or "0") if len(digits) <= 9 else limit
    if n == 0 and zero_to_end:
        return limit  # rowspan="0": to the end of the table section
    return max(1, min(n, limit))


class _Flattener:
    """Walks elements in document order and emits Lines."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.table_count = 0
        self.images: list[str] = []

    def flush(self) -> None:
        if self.buf:
            text = clean_text("".join(self.buf))
            self.buf = []
            if text:
                self.budget.add_lines()
                self.lines.append(Line(text=text))

    def walk(self, el: etree._Element) -> None:
        """Emit el's content (not its tail)."""
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:
            return  # comment or processing instruction
        tag = tag.lower()
        if tag in DROP_TAGS or is_hidden(el):
            return
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            src = el.get("src") or el.get("data-src") or el.get("oldsrc") or ""
            self.images.append(src)
            return
        if tag == "table":
            self.flush()
            self.table(el)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        self.walk_content(el)
        if block:
            self.flush()

    def cell_text(self, cell: etree._Element) -> str:
        sub = _Flattener(self.budget)
        sub.walk_children(cell)
        self.images.extend(sub.images)
        # A table nested in a data cell becomes running text of that cell.
        return join_parts([" ".join(c for c in ln.cells if c) if ln.cells else ln.text for ln in sub.lines])

    def walk_content(self, el: etree._Element) -> None:
        """The element's own text, its children and their tails, in document order."""
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buf.append(child.tail)

    def walk_children(self, el: etree._Element) -> None:
        self.walk_content(el)
        self.flush()

    def table(self, table: etree._Element) -> None:
        rows = _rows(table)
        cells_per_row = [_cells(tr) for tr in rows]
        own_cells = sum(len(c) for c in cells_per_row)
        nested = sum(1 for _ in table.iter("td", "th")) - own_cells
        # A table around tables, or a single cell, is page layout: read its cells as blocks.
        if own_cells <= 1 or (nested > 0 and nested >= own_cells):
            for row in cells_per_row:
                for cell in row:
                    self.walk_children(cell)
            return
        grid: dict[tuple[int, int], str] = {}
        n_rows = len(rows)
        # Spans reach no further than the table's real extent: its rows, and its widest row's cells
        # (colspan="1000" on every cell of a 100 KB page would otherwise lay out billions of positions).
        real_width = max(len(row) for row in cells_per_row)
        for r, row in enumerate(cells_per_row):
            c = 0
            for cell in row:
                while (r, c) in grid:
                    c += 1
                rs = _span(cell.get("rowspan"), n_rows - r, zero_to_end=True)
                cs = _span(cell.get("colspan"), real_width)
                self.budget.add_cells(rs * cs)
                text = self.cell_text(cell)
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(r + dr, c + dc)] = text if dr == 0 and dc == 0 else ""
                c += cs
        width = max((c for (_r, c) in grid), default=-1) + 1
        self.budget.check_grid(n_rows, width)
        self.budget.add_lines(n_rows)
        index = self.table_count
        self.table_count += 1
        for r in range(n_rows):
            cells = [grid.get((r, c), "") for c in range(width)]
            if any(cells):
                self.lines.append(Line(text="\t".join(cells), cells=cells, table=index))


def _rows(table: etree._Element) -> list[etree._Element]:
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in {"thead", "tbody", "tfoot"}:
            rows.extend(tr for tr in child if isinstance(tr.tag, str) and tr.tag.lower() == "tr")
    return [r for r in rows if not is_hidden(r)]


def _cells(tr: etree._Element) -> list[etree._Element]:
    return [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in {"td", "th"} and not is_hidden(c)]


def _flatten(el: etree._Element, budget: Budget) -> _Flattener:
    f = _Flattener(budget)
    f.walk(el)
    f.flush()
    return f


# ---------------------------------------------------------------- chrome

_WIDGETS = re.compile(
    r"[\[【(（]?\s*(字号|字体|文字)\s*[:：]?\s*[\[【]?\s*([大中小]\s*)*[\]】]*\s*[\]】)）]?|"
    r"[\[【]?\s*(打印本页|打印此页|打印|关闭窗口|关闭本页|关闭|收藏|返回顶部|返回|下载Word|下载PDF|"
    r"扫一扫在手机打开当前页|扫一扫在手机上查看当前页面|分享到|分享|无障碍浏览|长者模式|网站首页|"
    r"手机版|我要纠错|保存本页)\s*[:：]?\s*[\]】]?|"
    r"(浏览次数|访问量|累计次数|点击数|阅读次数|浏览量)\s*[:：]?\s*\d*\s*次?"
)
_HEADER_LABEL = re.compile(
    r"(来源|信息来源|文章来源|发布时间|发布日期|发表日期|添加时间|日期|时间|发布机构|作者|浏览次数|访问量|"
    r"累计次数|点击数|字号|字体)\s*[:：]"
)
_BREADCRUMB = re.compile(r"^(当前位置|您现在的位置|您的位置|所在位置|现在位置)|^首页\s*[>/»＞]")


def _is_chrome(text: str, strong: bool) -> bool:
    rest = _WIDGETS.sub("", text)
    if not re.search(r"[\w\u3400-\u9fff]", rest):
        return True
    if strong:
        return False
    if _BREADCRUMB.match(text):
        return True
    return len(_HEADER_LABEL.findall(text)) >= 2 and len(text) < 160 and "。" not in text


# ---------------------------------------------------------------- entry point


def _parse(text: str, path: str) -> etree._Element:
    text = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        raise UnreadableInput(path, "HTML 页面为空，没有正文")
    try:
        return lxml.html.document_fromstring(text)
    except etree.ParserError:
        raise UnreadableInput(path, "HTML 页面为空，没有正文") from None
    except (etree.LxmlError, ValueError) as exc:
        raise UnreadableInput(path, f"HTML 页面无法解析（{type(exc).__name__}）") from None


def read_html(data: bytes, path: str, content_type: str | None = None) -> SourceDocument:
    """Read a portal article page or an HTML fragment."""
    try:
        return _read_html(data, path, content_type)
    except RecursionError:
        raise UnreadableInput(path, "HTML 页面嵌套过深，无法解析") from None


def _read_html(data: bytes, path: str, content_type: str | None) -> SourceDocument:
    text, encoding = _decode(data, path, content_type)
    if text.count("<") > MAX_HTML_TAGS:  # before lxml builds a tree of millions of elements
        raise too_many_tags(path)
    page = read_page(text, path, root=_parse(text, path))
    doc = SourceDocument(path=path, format="html")
    doc.meta["encoding"] = encoding
    if page.title:
        doc.meta["title"], doc.meta["title_source"] = page.title, page.title_source or ""
    if page.source:
        doc.meta["source"] = page.source
    site = meta_content(page.root, "SiteName")
    if site:
        doc.meta["site"] = site
    doc.meta["body"] = page.body.how
    doc.dates = page.dates

    flat = _flatten(page.body.element, Budget(path))
    doc.lines = [ln for ln in flat.lines if ln.is_row or not _is_chrome(ln.text, page.body.strong)]
    doc.image_only = page.image_only
    if page.image_only:
        doc.meta["images"] = json.dumps(page.body_images, ensure_ascii=False)
    return doc
