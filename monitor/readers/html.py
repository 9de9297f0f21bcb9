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
from dataclasses import dataclass
from datetime import date

import lxml.html
from lxml import etree

from monitor.errors import UnreadableInput
from monitor.readers.base import Line, SourceDocument
from monitor.readers.encoding import declared_charset, decode_text, looks_binary, normalise_encoding

__all__ = ["clean_text", "join_parts", "read_html"]

# Elements whose content is never report text.
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "input",
    "select",
    "button",
    "textarea",
    "option",
    "svg",
    "canvas",
    "audio",
    "video",
    "map",
    "nav",
    "link",
    "meta",
)
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
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# A line break in the source between two CJK characters renders as nothing (CSS segment-break rules).
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f]*\n\s*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def clean_text(text: str) -> str:
    """Collapse whitespace as a browser would; keep full-width spaces inside the text."""
    text = _CJK_BREAK.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip(" \u3000")


def _is_cjk(ch: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", ch))


def join_parts(parts: list[str]) -> str:
    """Join the paragraphs of one table cell: nothing between CJK characters, else one space.

    Word and CMS editors split header cells such as 社会公益<br>组织 over lines.
    """
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and not (_is_cjk(out[-1]) and _is_cjk(part[0])):
            out += " "
        out += part
    return out


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


def _classes(el: etree._Element) -> set[str]:
    return {c.lower() for c in (el.get("class") or "").split()}


def _hidden(el: etree._Element) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None


def _span(value: str | None, limit: int, zero_to_end: bool = False) -> int:
    m = re.match(r"\s*(\d+)", value or "")
    n = int(m.group(1)) if m else 1  # as browsers: the leading digits ("2;", "2.0"), else 1
    if n == 0 and zero_to_end:
        return limit  # rowspan="0": to the end of the table section
    return max(1, min(n, limit))


class _Flattener:
    """Walks elements in document order and emits Lines."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.table_count = 0
        self.images: list[str] = []

    def flush(self) -> None:
        if self.buf:
            text = clean_text("".join(self.buf))
            self.buf = []
            if text:
                self.lines.append(Line(text=text))

    def walk(self, el: etree._Element) -> None:
        """Emit el's content (not its tail)."""
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:
            return  # comment or processing instruction
        tag = tag.lower()
        if tag in _DROP_TAGS or _hidden(el):
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
        sub = _Flattener()
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
        for r, row in enumerate(cells_per_row):
            c = 0
            for cell in row:
                while (r, c) in grid:
                    c += 1
                rs = _span(cell.get("rowspan"), n_rows - r, zero_to_end=True)
                cs = _span(cell.get("colspan"), 200)
                text = self.cell_text(cell)
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(r + dr, c + dc)] = text if dr == 0 and dc == 0 else ""
                c += cs
        width = max((c for (_r, c) in grid), default=-1) + 1
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
    return [r for r in rows if not _hidden(r)]


def _cells(tr: etree._Element) -> list[etree._Element]:
    return [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in {"td", "th"} and not _hidden(c)]


def _flatten(el: etree._Element) -> _Flattener:
    f = _Flattener()
    f.walk(el)
    f.flush()
    return f


# ---------------------------------------------------------------- finding the body

_SECTION_HEADING = re.compile(
    r"^\s*[#\s]*[一二三四五六][、.．，,\s]\s*"
    r"(总体情况|概述|总体概况|主动公开|收到和处理|政府信息公开行政复议|存在的主要问题|存在问题|主要问题|其他需要报告)"
)
_STRONG_CLASSES = ("trs_editor", "trs_ueditor", "custom_unionstyle")
_GENERIC_NAME = re.compile(
    r"(^|[-_])(zoom|article|content|contents|con|detail|details|text|txt|zw|nr|main[-_]?text|"
    r"news[-_]?cont\w*|art[-_]?con\w*|info[-_]?cont\w*|pages?[-_]?content|wzy|view)([-_]|$)|"
    r"article|content|detail|zoom",
    re.I,
)
_BODY_NAMES = {
    "div.trs_editor": "div.TRS_Editor",
    "div.trs_ueditor": "div.TRS_UEDITOR",
    "div.custom_unionstyle": "div.Custom_UnionStyle",
}
_MARKERS = (
    ("<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->"),
    ("<!--<$[信息内容]>begin-->", "<!--<$[信息内容]>end-->"),
)


def _heading_elements(root: etree._Element) -> list[etree._Element]:
    """Elements whose own text starts a section heading of the report (一、总体情况 …)."""
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in _DROP_TAGS:
            continue
        own = clean_text(el.text or "")
        if own and _SECTION_HEADING.match(own):
            found.append(el)
        for child in el:
            if child.tail and _SECTION_HEADING.match(clean_text(child.tail)):
                found.append(el)
    return found


def _contains(ancestor: etree._Element, el: etree._Element) -> bool:
    return any(a is ancestor for a in el.iterancestors()) or el is ancestor


def _lca(elements: list[etree._Element]) -> etree._Element | None:
    if not elements:
        return None
    chain = [elements[0], *elements[0].iterancestors()]
    for cand in chain:
        if all(_contains(cand, e) for e in elements[1:]):
            return cand
    return None


def _weight(el: etree._Element) -> int:
    return sum(len(t.strip()) for t in el.itertext())


@dataclass
class _Body:
    element: etree._Element
    how: str  # which rule chose it: shows in meta["body"]
    strong: bool  # a CMS body container: no page chrome inside


def _find_body(root: etree._Element, headings: list[etree._Element]) -> _Body:
    body = root.find("body")
    if body is None:
        body = root
    elements = [el for el in root.iter() if isinstance(el.tag, str)]

    def holds_report(el: etree._Element) -> bool:
        if len(headings) < 2:
            return _weight(el) > 0 or el.find(".//img") is not None
        inside = sum(1 for h in headings if _contains(el, h))
        return inside * 2 > len(headings)

    def outermost(cands: list[etree._Element]) -> list[etree._Element]:
        return [c for c in cands if not any(a in cands for a in c.iterancestors())]

    for cls in _STRONG_CLASSES:
        cands = outermost([el for el in elements if cls in _classes(el)])
        good = [c for c in cands if holds_report(c)]
        if good:
            return _Body(max(good, key=_weight), f"div.{cls}", True)
    for el in elements:
        if "news_cont_d_wrap" in _classes(el) and holds_report(el):
            return _Body(el, "div.news_cont_d_wrap", True)
    for el in elements:
        if (el.get("id") or "").lower() == "zoom" and holds_report(el):
            return _Body(el, "#zoom", True)
    generic = [
        el
        for el in elements
        if el is not body
        and el.tag.lower() not in {"html", "body", "head"}
        and any(_GENERIC_NAME.search(name) for name in [el.get("id") or "", *_classes(el)])
    ]
    if len(headings) >= 2:
        lca = _lca(headings)
        holders = [el for el in generic if lca is not None and _contains(el, lca)]
        if holders:
            # The innermost named container that holds every section heading.
            best = min(holders, key=lambda el: sum(1 for _ in el.iter()))
            return _Body(best, "class/id " + (best.get("id") or best.get("class") or ""), False)
        if lca is not None:
            if lca.tag.lower() in {"tr", "tbody", "table"}:
                parent = lca.getparent() if lca.tag.lower() != "table" else lca
                lca = parent if parent is not None else lca
            return _Body(lca, "section headings", False)
    else:
        total = _weight(body)
        named = [el for el in generic if _weight(el) >= 0.6 * total and total > 0]
        if named:
            best = min(named, key=lambda el: sum(1 for _ in el.iter()))
            return _Body(best, "class/id " + (best.get("id") or best.get("class") or ""), False)
    # Descend while one child carries almost all of the text.
    el = body
    while True:
        total = _weight(el)
        kids = [k for k in el if isinstance(k.tag, str) and k.tag.lower() not in _DROP_TAGS]
        heavy = [k for k in kids if total and _weight(k) >= 0.85 * total]
        if len(heavy) != 1 or heavy[0].tag.lower() in {"tr", "tbody", "thead", "td", "th"}:
            break
        el = heavy[0]
    return _Body(el, "body" if el is body else "densest element", False)


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


# ---------------------------------------------------------------- dates and title

_DATE = (
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
)
_TEXT_DATE = re.compile(
    r"(?<![\u3400-\u9fff])(发布时间|发布日期|发表日期|发表时间|公开日期|公开时间|生成日期|添加时间|"
    r"更新时间|日期|时间)\s*[:：]?\s*" + _DATE
)
_TEXT_RANK = {
    "发布时间": 0,
    "发布日期": 0,
    "发表日期": 0,
    "发表时间": 0,
    "公开日期": 1,
    "公开时间": 1,
    "添加时间": 1,
    "日期": 1,
    "时间": 1,
    "生成日期": 1,
    "更新时间": 4,
}
_META_DATES = {
    "pubdate": 2,
    "publishdate": 2,
    "firstpublishedtime": 2,
    "article:published_time": 2,
    "publishtime": 2,
    "maketime": 3,
}
_META_DATE_VALUE = re.compile(_DATE)


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        value = date(int(y), int(m), int(d))
    except ValueError:
        return None
    if not 1990 <= value.year <= 2100:
        return None
    return value.isoformat()


def _date_candidates(root: etree._Element, header_lines: list[str]) -> list[tuple[int, int, dict[str, str]]]:
    found: list[tuple[int, int, dict[str, str]]] = []
    order = 0
    for line in header_lines:
        for m in _TEXT_DATE.finditer(line):
            value = _iso(m.group(2), m.group(3), m.group(4))
            if value:
                label = m.group(1)
                quote = clean_text(m.group(0))
                found.append(
                    (
                        _TEXT_RANK[label],
                        order,
                        {"source": f"页面文字 {label}", "value": value, "quote": quote},
                    )
                )
                order += 1
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip()
        rank = _META_DATES.get(name.lower())
        content = meta.get("content") or ""
        hit = _META_DATE_VALUE.search(content)
        if rank is None or not hit:
            continue
        value = _iso(hit.group(1), hit.group(2), hit.group(3))
        if value:
            attr = "name" if meta.get("name") else "property"
            quote = f'<meta {attr}="{name}" content="{content.strip()}">'
            found.append((rank, order, {"source": f"meta {name}", "value": value, "quote": quote}))
            order += 1
    found.sort(key=lambda t: (t[0], t[1]))
    return found


_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|—+|–|\s-\s|-{1,2}(?=\S))\s*")
_TITLE_WORDS = re.compile(r"报告|年报|年度")
_TITLE_CLASS = re.compile(r"title|biaoti|bt", re.I)


def _meta_content(root: etree._Element, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for meta in root.iter("meta"):
        if (meta.get("name") or "").strip().lower() in wanted:
            content = clean_text(meta.get("content") or "")
            if content:
                return content
    return None


def _find_title(root: etree._Element) -> tuple[str, str] | None:
    article = _meta_content(root, "ArticleTitle")
    if article:
        return article, "meta ArticleTitle"
    headings = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in _DROP_TAGS:
            continue
        tag = el.tag.lower()
        named = any(_TITLE_CLASS.search(n) for n in [el.get("id") or "", *_classes(el)])
        if tag in {"h1", "h2", "h3"} or (named and tag not in {"html", "head", "title", "body"}):
            text = clean_text(" ".join(str(t) for t in el.itertext()))
            if 4 <= len(text) <= 120:
                headings.append((tag, text))
    for wanted in ({"h1", "h2", "h3"}, None):
        for tag, text in headings:
            if _TITLE_WORDS.search(text) and (wanted is None or tag in wanted):
                return text, "页面标题"
    parts = _title_parts(root)
    reportish = [p for p in parts if _TITLE_WORDS.search(p)]
    if reportish:
        return max(reportish, key=len), "<title>"
    for tag, text in headings:
        if tag == "h1":
            return text, "页面标题"
    if parts:
        return max(parts, key=len), "<title>"
    return None


def _title_parts(root: etree._Element) -> list[str]:
    # lxml reads <title> as RCDATA: a <script> in it is plain text here, never markup.
    title_el = root.find(".//title")
    text = clean_text("".join(str(t) for t in title_el.itertext())) if title_el is not None else ""
    return [p.strip() for p in _TITLE_SPLIT.split(text) if p.strip()] if text else []


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


def _outside_lines(root: etree._Element, body: etree._Element) -> list[Line]:
    """The page around the body: header lines with 发布时间, info tables with 公开日期."""
    parent = body.getparent()
    if parent is None:
        return []
    index, tail = parent.index(body), body.tail
    parent.remove(body)  # lxml moves the tail with the element; both are restored below
    try:
        return _flatten(root).lines
    finally:
        body.tail = tail
        parent.insert(index, body)


def _marker_body(text: str, path: str) -> tuple[etree._Element, etree._Element, str] | None:
    """The Hanweb body between comment markers, and the page without it."""
    for begin, end in _MARKERS:
        i = text.find(begin)
        j = text.find(end, i + len(begin)) if i != -1 else -1
        if i != -1 and j != -1 and text[i + len(begin) : j].strip():
            inner = _parse("<html><body>" + text[i + len(begin) : j] + "</body></html>", path)
            outer = _parse("<html><body>" + text[:i] + text[j + len(end) :] + "</body></html>", path)
            body = inner.find("body")
            return (body if body is not None else inner), outer, begin.strip("<!->")
    return None


def read_html(data: bytes, path: str, content_type: str | None = None) -> SourceDocument:
    """Read a portal article page or an HTML fragment."""
    try:
        return _read_html(data, path, content_type)
    except RecursionError:
        raise UnreadableInput(path, "HTML 页面嵌套过深，无法解析") from None


def _read_html(data: bytes, path: str, content_type: str | None) -> SourceDocument:
    text, encoding = _decode(data, path, content_type)
    root = _parse(text, path)
    doc = SourceDocument(path=path, format="html")
    doc.meta["encoding"] = encoding

    title = _find_title(root)
    if title:
        doc.meta["title"], doc.meta["title_source"] = title
    for key, names in (("source", ("ContentSource",)), ("site", ("SiteName",))):
        value = _meta_content(root, *names)
        if value:
            doc.meta[key] = value

    for tag in ("script", "style", "noscript", "template"):
        etree.strip_elements(root, tag, with_tail=False)

    marker = _marker_body(text, path)
    if marker is not None:
        body = _Body(marker[0], marker[2], True)
        flat = _flatten(body.element)
        outside = _flatten(marker[1]).lines
    else:
        body = _find_body(root, _heading_elements(root))
        flat = _flatten(body.element)
        outside = _outside_lines(root, body.element)
    doc.meta["body"] = _BODY_NAMES.get(body.how, body.how)

    lines = [ln for ln in flat.lines if ln.is_row or not _is_chrome(ln.text, body.strong)]
    doc.lines = lines

    # Date evidence: the page outside the body, then the body's lines before its first section.
    header = [ln.text for ln in outside]
    for ln in flat.lines[:30]:
        if _SECTION_HEADING.match(ln.text):
            break
        header.append(ln.text)
    candidates = _date_candidates(root, header)
    if candidates:
        best = candidates[0][2]
        doc.meta["pubdate"] = best["value"]
        doc.meta["pubdate_source"] = best["source"]
        doc.meta["pubdate_quote"] = best["quote"]
        doc.meta["pubdate_candidates"] = json.dumps([c[2] for c in candidates], ensure_ascii=False)

    body_chars = sum(len(re.sub(r"[\W_]", "", ln.text)) for ln in lines)
    if flat.images and body_chars < 30:
        doc.image_only = True
        doc.meta["images"] = json.dumps(flat.images, ensure_ascii=False)
    return doc
