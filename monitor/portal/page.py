"""The one reader of a portal's report page: its body, title, publication dates, attachments, images.

The crawler (``parse_detail``) and the HTML reader behind ``nianbao check``
(``read_page``) both read a page here, so they agree on what the report is and
when it was published.

- **Body.** Hanweb's comment markers (``ZJEG_RSS.content``, ``<$[信息内容]>``)
  first; then a CMS body container (``div.TRS_Editor`` / ``TRS_UEDITOR`` /
  ``Custom_UnionStyle``, ``div.news_cont_d_wrap``, ``#zoom``) that holds the
  report's section headings; then the innermost named container (``content``,
  ``article``…) holding every section heading, or their nearest common
  ancestor; else the element that carries almost all of the page's text.
- **Title.** Among the ``ArticleTitle`` meta, the page's headings and title
  blocks and the parts of ``<title>``, the first that reads as an annual report
  (``portal.titles``); failing that, the first with a report word.
- **Publication dates.** Metas and labelled dates in the page around the body
  (and, when the body is no CMS container, its lines before the first section
  heading), by the one precedence of ``portal.dates``; a label inside the
  report body is never the page's date.
- **Attachments** are links to documents anywhere on the page (also those a
  template writes with ``document.write``, and Hanweb's
  ``downfile.jsp?filename=…``); **images** count only inside the body.
- **Image only**: the body has images and under 200 characters of text, and the
  page links no document; or the title says 图片版 and the body has images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from monitor.model import DateSeen
from monitor.portal.dates import dates_from_text, meta_dates
from monitor.portal.links import absolute, is_document_link, is_image_link
from monitor.portal.markup import DROP_TAGS, classes_of
from monitor.portal.titles import classify_title, normalize_title, title_year
from monitor.text import clean_text

MIN_BODY_TEXT = 200  # portals.md §3: judge a real page by at least 200 characters of body text

SECTION_HEADING = re.compile(
    r"^\s*[#\s]*[一二三四五六][、.．，,\s]\s*"
    r"(总体情况|概述|总体概况|主动公开|收到和处理|政府信息公开行政复议|存在的主要问题|存在问题|主要问题|其他需要报告)"
)
# What a heading's raw text must start with before it is worth cleaning (clean_text only drops and
# collapses white space, \u200b and \ufeff): most elements of a page are skipped by this.
_HEADING_START = re.compile(r"^[#\s\u200b\ufeff]*[一二三四五六]")
_STRONG_CLASSES = ("trs_editor", "trs_ueditor", "custom_unionstyle")
_GENERIC_NAME = re.compile(
    r"(^|[-_])(zoom|article|content|contents|con|detail|details|text|txt|zw|nr|main[-_]?text|"
    r"news[-_]?cont\w*|art[-_]?con\w*|info[-_]?cont\w*|pages?[-_]?content|wzy|view)([-_]|$)|"
    r"article|content|detail|zoom",
    re.I,
)
_CONTAINER_IDS = ("zoom", "ucap-content")  # TRS's and 开普云's article containers
_BODY_NAMES = {
    "div.trs_editor": "div.TRS_Editor",
    "div.trs_ueditor": "div.TRS_UEDITOR",
    "div.custom_unionstyle": "div.Custom_UnionStyle",
}
_MARKERS = (
    ("<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->"),
    ("<!--<$[信息内容]>begin-->", "<!--<$[信息内容]>end-->"),
)
_SCRIPT_LINK = re.compile(r"""(?:href|src)\s*=\s*\\?['"]([^'"\\]+)\\?['"]""", re.I)
_ICON = re.compile(r"(icon|logo|print|share|qr|weixin|wechat|erweima|close|btn|arrow|dot|blank|spacer)", re.I)
_WS = re.compile(r"\s+")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|—+|–|\s-\s|-{1,2}(?=\S))\s*")
_TITLE_WORDS = re.compile(r"报告|年报|年度")
_TITLE_CLASS = re.compile(r"title|biaoti|bt", re.I)


@dataclass
class Attachment:
    url: str
    name: str
    kind: str  # document | image


@dataclass
class Body:
    """The element holding the report, how it was found, and the page around it."""

    element: Any
    how: str  # which rule chose it, in the page's own terms (div.TRS_Editor, ZJEG_RSS, …)
    strong: bool  # a CMS body container or markers: no page chrome inside
    outside: Any | None = None  # the page without the body, when the body was cut out of the text (markers)


@dataclass
class PortalPage:
    """Everything read from one report page."""

    root: Any  # the parsed page, scripts and styles removed
    body: Body
    title: str | None = None
    title_source: str | None = None
    year: int | None = None  # of the title, when it reads as a report
    dates: list[DateSeen] = field(default_factory=list)  # publication date evidence of the page itself
    attachments: list[Attachment] = field(default_factory=list)
    body_images: list[str] = field(default_factory=list)
    body_text_length: int = 0
    image_only: bool = False
    source: str = ""  # 信息来源 / ContentSource

    @property
    def container(self) -> str:
        return self.body.how


def parse_html(text: str) -> Any:
    """A page's element tree; an empty page for text lxml cannot parse (binary junk, an empty body)."""
    try:
        return lxml.html.fromstring(text or "<html></html>")
    except (ValueError, etree.ParserError):
        return lxml.html.fromstring("<html></html>")


def read_page(html_text: str, url: str = "", root: Any | None = None) -> PortalPage:
    """Read a report page (``root``: the page already parsed, e.g. by a reader that decodes bytes itself)."""
    root = parse_html(html_text) if root is None else root
    scripts = [str(t) for t in root.xpath("//script/text()")]
    title = page_title(root)
    for tag in ("script", "style", "noscript", "template"):
        etree.strip_elements(root, tag, with_tail=False)
    body = find_body(root, html_text)
    page = PortalPage(root, body)
    if title is not None:
        page.title, page.title_source = title
        info = classify_title(page.title)
        page.year = info.year if info.kind == "report" else None
    page.source = meta_content(root, "ContentSource") or ""
    page.attachments = _attachments(root, scripts, url)
    page.dates = page_dates(root, body, url)
    page.body_text_length = len(_WS.sub("", body.element.text_content() or ""))
    page.body_images = _body_images(body.element, url)
    title_image = bool(page.title and classify_title(page.title).image_edition)
    has_images = bool(page.body_images)
    page.image_only = (
        has_images and not page.attachments and (title_image or page.body_text_length < MIN_BODY_TEXT)
    )
    return page


def parse_detail(html_text: str, url: str) -> PortalPage:
    """The crawler's reading of a detail page: ``read_page``, with an image-only body's images to fetch."""
    page = read_page(html_text, url)
    if page.image_only:
        page.attachments.extend(
            Attachment(src, src.rsplit("/", 1)[-1], "image")
            for src in page.body_images
            if is_image_link(src) or "." not in src.rsplit("/", 1)[-1]
        )
    return page


# ---- body -------------------------------------------------------------------------------------


def find_body(root: Any, html_text: str = "") -> Body:
    """The element holding the report body (see the module docstring for the order)."""
    marked = _marker_body(html_text)
    if marked is not None:
        return marked
    headings = _heading_elements(root)
    body = root.find("body")
    if body is None:
        body = root
    elements = [el for el in root.iter() if isinstance(el.tag, str)]

    def holds_report(el: Any) -> bool:
        if len(headings) < 2:
            return _weight(el) > 0 or el.find(".//img") is not None
        inside = sum(1 for h in headings if _contains(el, h))
        return inside * 2 > len(headings)

    def outermost(cands: list[Any]) -> list[Any]:
        return [c for c in cands if not any(a in cands for a in c.iterancestors())]

    for cls in _STRONG_CLASSES:
        cands = outermost([el for el in elements if cls in classes_of(el)])
        good = [c for c in cands if holds_report(c)]
        if good:
            return Body(max(good, key=_weight), _BODY_NAMES[f"div.{cls}"], True)
    for el in elements:
        if "news_cont_d_wrap" in classes_of(el) and holds_report(el):
            return Body(el, "div.news_cont_d_wrap", True)
    for el in elements:
        if (el.get("id") or "").lower() in _CONTAINER_IDS and holds_report(el):
            return Body(el, "#" + (el.get("id") or ""), True)
    generic = [
        el
        for el in elements
        if el is not body
        and el.tag.lower() not in {"html", "body", "head"}
        and any(_GENERIC_NAME.search(name) for name in [el.get("id") or "", *classes_of(el)])
    ]
    if len(headings) >= 2:
        lca = _lca(headings)
        holders = [el for el in generic if lca is not None and _contains(el, lca)]
        if holders:
            # The innermost named container that holds every section heading.
            best = min(holders, key=lambda el: sum(1 for _ in el.iter()))
            return Body(best, "class/id " + (best.get("id") or best.get("class") or ""), False)
        if lca is not None:
            if lca.tag.lower() in {"tr", "tbody", "table"}:
                parent = lca.getparent() if lca.tag.lower() != "table" else lca
                lca = parent if parent is not None else lca
            return Body(lca, "section headings", False)
    else:
        total = _weight(body)
        named = [el for el in generic if _weight(el) >= 0.6 * total and total > 0]
        if named:
            best = min(named, key=lambda el: sum(1 for _ in el.iter()))
            return Body(best, "class/id " + (best.get("id") or best.get("class") or ""), False)
    # Descend while one child carries almost all of the text.
    el = body
    while True:
        total = _weight(el)
        kids = [k for k in el if isinstance(k.tag, str) and k.tag.lower() not in DROP_TAGS]
        heavy = [k for k in kids if total and _weight(k) >= 0.85 * total]
        if len(heavy) != 1 or heavy[0].tag.lower() in {"tr", "tbody", "thead", "td", "th"}:
            break
        el = heavy[0]
    return Body(el, "body" if el is body else "densest element", False)


def _marker_body(html_text: str) -> Body | None:
    """The Hanweb body between comment markers, and the page without it."""
    for begin, end in _MARKERS:
        i = html_text.find(begin)
        j = html_text.find(end, i + len(begin)) if i != -1 else -1
        if i != -1 and j != -1 and html_text[i + len(begin) : j].strip():
            inner = parse_html("<html><body>" + html_text[i + len(begin) : j] + "</body></html>")
            outer = parse_html("<html><body>" + html_text[:i] + html_text[j + len(end) :] + "</body></html>")
            for doc in (inner, outer):
                for tag in ("script", "style", "noscript", "template"):
                    etree.strip_elements(doc, tag, with_tail=False)
            element = inner.find("body")
            return Body(element if element is not None else inner, "ZJEG_RSS", True, outer)
    return None


def _heading_elements(root: Any) -> list[Any]:
    """Elements whose own text starts a section heading of the report (一、总体情况 …)."""
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in DROP_TAGS:
            continue
        text = el.text
        if text and _HEADING_START.match(text) and SECTION_HEADING.match(clean_text(text)):
            found.append(el)
        for child in el:
            tail = child.tail
            if tail and _HEADING_START.match(tail) and SECTION_HEADING.match(clean_text(tail)):
                found.append(el)
    return found


def _contains(ancestor: Any, el: Any) -> bool:
    return any(a is ancestor for a in el.iterancestors()) or el is ancestor


def _lca(elements: list[Any]) -> Any | None:
    if not elements:
        return None
    chain = [elements[0], *elements[0].iterancestors()]
    for cand in chain:
        if all(_contains(cand, e) for e in elements[1:]):
            return cand
    return None


def _weight(el: Any) -> int:
    return sum(len(t.strip()) for t in el.itertext())


# ---- title ------------------------------------------------------------------------------------


def meta_content(root: Any, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for meta in root.iter("meta"):
        if (meta.get("name") or "").strip().lower() in wanted:
            content = clean_text(meta.get("content") or "")
            if content:
                return content
    return None


def page_title(root: Any) -> tuple[str, str] | None:
    """The report's title on the page, and where it was found."""
    headings: list[tuple[str, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in DROP_TAGS:
            continue
        tag = el.tag.lower()
        # The pattern has no anchors or spaces: searching "id class…" is searching each name.
        named = _TITLE_CLASS.search(f"{el.get('id') or ''} {el.get('class') or ''}") is not None
        if tag in {"h1", "h2", "h3"} or (named and tag not in {"html", "head", "title", "body"}):
            text = clean_text(" ".join(str(t) for t in el.itertext()))
            if 4 <= len(text) <= 120:
                headings.append((tag, text))
    parts = _title_parts(root)
    article = meta_content(root, "ArticleTitle")
    candidates = [
        *([(article, "meta ArticleTitle")] if article else []),
        *((text, "页面标题") for tag, text in headings if tag in {"h1", "h2", "h3"}),
        *((text, "页面标题") for tag, text in headings if tag not in {"h1", "h2", "h3"}),
        *((part, "<title>") for part in parts),
    ]
    reports = [(t, s) for t, s in candidates if classify_title(normalize_title(t)).kind == "report"]
    dated = [(t, s) for t, s in reports if title_year(normalize_title(t)) is not None]
    if dated or reports:  # the first that reads as the annual report itself, with its year if one has it
        return (dated or reports)[0]
    if article:
        return article, "meta ArticleTitle"
    for text, source in candidates:
        if _TITLE_WORDS.search(text):
            return text, source
    for tag, text in headings:
        if tag == "h1":
            return text, "页面标题"
    if parts:
        return max(parts, key=len), "<title>"
    return None


def _title_parts(root: Any) -> list[str]:
    # lxml reads <title> as RCDATA: a <script> in it is plain text here, never markup.
    title_el = root.find(".//title")
    text = clean_text("".join(str(t) for t in title_el.itertext())) if title_el is not None else ""
    return [p.strip() for p in _TITLE_SPLIT.split(text) if p.strip()] if text else []


# ---- dates, attachments, images ---------------------------------------------------------------


def page_dates(root: Any, body: Body, url: str = "") -> list[DateSeen]:
    """The page's own publication date evidence: its metas, and labelled dates around the report body."""
    header = _text_without(body.outside if body.outside is not None else root, body.element)
    if not body.strong:
        # A body found by its headings or its weight may start with the page's info line (发布时间 …):
        # its lines before the first section heading (the first 30 when it has none) are read too.
        lead: list[str] = []
        for line in (body.element.text_content() or "").splitlines():
            if SECTION_HEADING.match(clean_text(line)) or len(lead) >= 30:
                break
            lead.append(line)
        header += "\n" + "\n".join(lead)
    return [*meta_dates(root, url), *dates_from_text(header, url)]


def _text_without(root: Any, body: Any) -> str:
    """The visible text of ``root`` without ``body`` (which may not be inside it)."""
    parent = body.getparent()
    if parent is None or not _contains(root, body):
        return str(root.text_content() or "")
    index = parent.index(body)
    # lxml moves the tail with the element, and back on insert. (Setting the tail again would
    # refuse a control character the HTML parser let into the page.)
    parent.remove(body)
    try:
        return str(root.text_content() or "")
    finally:
        parent.insert(index, body)


def _attachments(root: Any, scripts: list[str], url: str) -> list[Attachment]:
    found: list[Attachment] = []
    seen: set[str] = set()
    for anchor in root.iter("a"):
        target = absolute(url, anchor.get("href"))
        if target and is_document_link(target) and target not in seen:
            seen.add(target)
            name = (
                normalize_title(anchor.get("title") or anchor.text_content() or "")
                or target.rsplit("/", 1)[-1]
            )
            found.append(Attachment(target, name, "document"))
    for script in scripts:  # links a template writes with document.write
        for href in _SCRIPT_LINK.findall(script):
            target = absolute(url, href)
            if target and is_document_link(target) and target not in seen:
                seen.add(target)
                found.append(Attachment(target, target.rsplit("/", 1)[-1], "document"))
    return found


def _body_images(body: Any, url: str) -> list[str]:
    images: list[str] = []
    web = url.startswith(("http://", "https://"))  # a page read from a file keeps its links as written
    for img in body.iter("img"):
        raw = img.get("src") or img.get("data-src") or img.get("oldsrc")
        src = absolute(url, raw) if web else raw
        if not src or _ICON.search(src.rsplit("/", 1)[-1]):
            continue
        width = re.sub(r"\D", "", img.get("width") or "")
        if width and len(width) <= 3 and int(width) < 100:  # more digits: wide, and no int() of them
            continue
        if src not in images:
            images.append(src)
    return images
