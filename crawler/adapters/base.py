"""What every list adapter returns, and the HTML helpers they share.

An adapter is a pure function ``(url, text, params) -> Listing``: it reads one
list page (or one API answer) and says which links it holds, which further
list pages to fetch and which sub-columns to walk. The spider turns that into
requests; tests call adapters directly on fixture bytes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from crawler.urls import looks_like_column, looks_like_detail
from monitor.patterns import FULL_DATE
from monitor.portal.dates import parse_date
from monitor.portal.links import absolute, is_document_link
from monitor.portal.page import parse_html
from monitor.portal.titles import classify_title, is_column_name, is_subcolumn_name, normalize_title

MAX_PAGES = 200  # portals.md §3: cap the pages walked per column


def json_answer(text: str) -> Any:
    """A JSON answer as Python, or None when it is not JSON (or nests deeper than the parser goes)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def json_count(value: Any) -> int | None:
    """A count or page number from a JSON field: 12, 12.0, "12"; None for anything else or absurd."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.replace(".", "", 1).isdigit() and len(value) <= 12):
            return None
        value = float(value)
    if isinstance(value, int):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, float) and math.isfinite(value) and 0 <= value < 1e9:
        return int(value)
    return None


@dataclass
class Entry:
    """A link on a list page, with the date printed beside it."""

    url: str
    title: str
    list_url: str
    list_date: date | None = None
    date_quote: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fetch:
    """A further list request: another page, a Hanweb dataproxy call, a gkmlpt API page."""

    url: str
    kind: str = "list"  # list | hanweb_proxy | gkmlpt_api | unitbuild
    method: str = "GET"
    formdata: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Listing:
    family: str
    entries: list[Entry] = field(default_factory=list)  # report and interpretation candidates
    fetches: list[Fetch] = field(default_factory=list)
    subcolumns: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # links naming a report column (from a start page)
    dated_items: int = 0  # list items carrying a date: evidence the list itself works
    column_hint: bool = False  # the page names itself a report column
    empty: bool = False  # the list says it has no records (API total 0)
    notes: list[str] = field(default_factory=list)


# A date printed with a list link, whole (group 1), and one in brackets: [2026-09-12] (Henan).
_DATE_NEAR = re.compile(f"({FULL_DATE.pattern})")
_BRACKETED = re.compile(f"[\\[【]\\s*({FULL_DATE.pattern})\\s*[\\]】]")
_WS = re.compile(r"\s+")


def _text(el: Any) -> str:
    return _WS.sub(" ", el.text_content() if el is not None else "").strip()


def _short_text(el: Any, limit: int = 400, nodes: int = 200) -> str | None:
    """The element's text when it has at most ``limit`` characters and ``nodes`` elements, else None --
    found without reading all of a large element: every link of a list asks this of its row, and a
    page of ten thousand links (or image links, without text) in one element would otherwise read that
    element ten thousand times."""
    if next(islice(el.iter(), nodes, None), None) is not None:
        return None
    parts = []
    size = 0
    for text in el.itertext():  # comments and processing instructions hold none
        size += len(text)
        if size > limit:
            return None
        parts.append(text)
    return "".join(parts)


def date_near(anchor: Any) -> tuple[date | None, str]:
    """The date printed with a list link: inside the anchor (Hubei), in a following span, in the row.

    A row may be a ``dl`` of ``dd`` cells (TRS list models: ``<dl><dd><a…></dd><dd>2024-03-08</dd></dl>``)
    or a ``tr`` of ``td`` cells: from the link's own cell the search goes on to the row around it.
    """
    own = anchor.text_content() or ""
    m = _DATE_NEAR.search(own)
    if m and parse_date(m.group(1)):
        return parse_date(m.group(1)), m.group(1)
    sibling = anchor.getnext()
    hops = 0
    while sibling is not None and hops < 3:
        # A comment or processing instruction between the link and its date holds no date (and
        # lxml's text_content() refuses one); a date is printed in a short element.
        text = (_short_text(sibling) or "") if isinstance(sibling.tag, str) else ""
        m = _BRACKETED.search(text) or _DATE_NEAR.search(re.sub(r"\s+", "", text))
        if m and parse_date(m.group(1)):
            return parse_date(m.group(1)), m.group(0).strip()
        sibling = sibling.getnext()
        hops += 1
    row = anchor.getparent()
    for _ in range(3):
        if row is None:
            break
        row_text = _short_text(row)
        if row_text is None:
            break
        rest = row_text.replace(own, " ")
        m = _BRACKETED.search(rest) or _DATE_NEAR.search(rest) or _DATE_NEAR.search(re.sub(r"\s+", "", rest))
        if m and parse_date(m.group(1)):
            return parse_date(m.group(1)), m.group(0).strip()
        if row.tag in ("li", "tr", "dl", "p"):
            break
        parent = row.getparent()
        if row.tag in ("dd", "dt", "td", "th") and (parent is None or parent.tag not in ("dl", "tr")):
            break  # a cell outside a row: no row to look in
        row = parent
    return None, ""


def link_title(anchor: Any) -> str:
    """The link's full title: the ``title`` attribute (lists truncate the text), else the text."""
    title = (anchor.get("title") or "").strip()
    text = _text(anchor)
    text = _DATE_NEAR.sub("", text).strip()
    return normalize_title(title if len(title) >= len(text) else text)


def page_base(url: str, doc: Any) -> str:
    """What the page's relative links are relative to: its ``<base href>`` when it has one, as in a browser."""
    for href in doc.xpath("//base/@href")[:1]:
        joined = absolute(url, str(href))
        if joined:
            return joined
    return url


def html_listing(
    family: str, url: str, doc: Any, scope: str | None = None, start_page: bool = False
) -> Listing:
    """Entries, sub-columns and column links in an HTML list (or a fragment of records)."""
    listing = Listing(family)
    seen: set[str] = set()
    base = page_base(url, doc)
    for anchor in doc.iter("a"):
        target = absolute(base, anchor.get("href"))
        if not target or target in seen:
            continue
        title = link_title(anchor)
        if not title:
            continue
        list_date, quote = date_near(anchor)
        if list_date is not None:
            listing.dated_items += 1
        info = classify_title(title)
        detail_like = looks_like_detail(target) or is_document_link(target)
        column_like = looks_like_column(target) and not detail_like
        if column_like and (is_subcolumn_name(title) or is_column_name(title) or info.kind == "report"):
            if is_column_name(title) and start_page:
                listing.columns.append(target)
            if scope is None or target.startswith(scope) or re.search(r"/col/col\d+/", target):
                listing.subcolumns.append(target)
                seen.add(target)
            continue
        if info.kind in ("report", "interpretation") and (info.year is not None or detail_like):
            listing.entries.append(Entry(target, title, url, list_date, quote))
            seen.add(target)
    return listing


_COLUMN_HINT = re.compile(r"(年报|年度报告|xxgknb|gknb|ndbg|bmnb)")


def column_hint(url: str, doc: Any) -> bool:
    """Does the page call itself a report column? Its ColumnName meta decides when it has one;
    otherwise its title, its breadcrumb (当前位置…) or, last, a report keyword in the URL."""
    names = doc.xpath("//meta[@name='ColumnName' or @name='columnname']/@content")
    if names:
        return any(_COLUMN_HINT.search(n) for n in names)
    title = " ".join(doc.xpath("//title//text()"))
    crumbs = " ".join(
        t for t in doc.xpath("//text()[contains(., '当前位置') or contains(., '您现在的位置')]/..//text()")
    )
    return bool(_COLUMN_HINT.search(title) or _COLUMN_HINT.search(crumbs) or _COLUMN_HINT.search(url))


# ---- pagination of static lists ----------------------------------------------------------------

_CREATE_PAGE = re.compile(
    r"""createPageHTML\(\s*(?:['"][\w-]+['"]\s*,\s*)?(\d{1,9})\s*,\s*(\d{1,9})\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"]"""
)
_PAGE_CONTROL = re.compile(
    r"""pageControl\(\s*(\d{1,9})\s*,\s*(\d{1,9})\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"]"""
)
_COUNT_PAGE = re.compile(r"""var\s+(?:countPage|totalPage|pageCount|totalPages)\s*=\s*['"]?(\d{1,9})(?!\d)""")
_TOTAL_PAGES_TEXT = re.compile(r"共\s*(\d{1,9})\s*页")
_PAGE_PARAM = re.compile(r"([?&](?:page|pageNo|PageIndex|pageIndex|curPage|pageNum)=)(\d{1,9})(?!\d)", re.I)
_INDEX_N = re.compile(r"(index|list|column-index)[_-](\d{1,9})\.(s?html?)$")
# Forward pager words only: 首页 / 上一页 lead back (and 首页 is also the site's home link).
_NEXT_WORDS = ("下一页", "下页", "尾页", "末页", "后页", "最后一页", ">", "»", ">>", "›")


def _dir_of(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[0] + "/"


def trs_pages(url: str, text: str) -> list[str]:
    """TRS's createPageHTML / pageControl / countPage: page 0 is name.ext, page k is name_k.ext."""
    total = None
    name, ext = "index", None
    for pattern in (_CREATE_PAGE, _PAGE_CONTROL):
        m = pattern.search(text)
        if m:
            total, name, ext = int(m.group(1)), m.group(3), m.group(4)
            break
    if total is None:
        m = _COUNT_PAGE.search(text)
        if m:
            total = int(m.group(1))
    if not total or total <= 1:
        return []
    if ext is None:
        last = url.split("?", 1)[0].rsplit("/", 1)[-1]
        m = re.match(r"([\w-]+?)(?:_\d+)?\.(\w+)$", last)
        name, ext = (m.group(1), m.group(2)) if m else ("index", "html")
    base = _dir_of(url)
    total = min(total, MAX_PAGES)
    return [f"{base}{name}.{ext}"] + [f"{base}{name}_{k}.{ext}" for k in range(1, total)]


def pager_links(url: str, doc: Any, text: str) -> list[str]:
    """Other pages of a static list: numbered and next/last links, index_N and ?page=N series."""
    pages: set[str] = set()
    highest_index = 0
    index_template = None
    param_max = 0
    param_template = None
    for anchor in doc.iter("a"):
        target = absolute(url, anchor.get("href"))
        if not target:
            continue
        label = _text(anchor)
        if not (label.isdigit() or label in _NEXT_WORDS or re.fullmatch(r"第\s*\d+\s*页", label)):
            continue
        if _dir_of(target) != _dir_of(url):
            continue  # a pager stays in its list's directory
        path = target.split("?", 1)[0]
        m = _INDEX_N.search(path)
        if m:
            n = int(m.group(2))
            if n > highest_index:
                highest_index, index_template = n, (path[: m.start()], m.group(1), m.group(3))
        mp = _PAGE_PARAM.search(target)
        if mp:
            n = int(mp.group(2))
            if n > param_max:
                param_max, param_template = n, target
        if len(pages) < MAX_PAGES and (
            m or mp or looks_like_column(target) or re.search(r"/\d{1,3}\.s?html?$", path)
        ):
            pages.add(target)  # a pager of twenty thousand numbered links stays within the cap
    if index_template and highest_index:
        prefix, name, ext = index_template
        for k in range(1, min(highest_index, MAX_PAGES) + 1):
            pages.add(f"{prefix}{name}_{k}.{ext}")
    if param_template and param_max:
        for k in range(1, min(param_max, MAX_PAGES) + 1):
            pages.add(_PAGE_PARAM.sub(rf"\g<1>{k}", param_template, count=1))
    total = _TOTAL_PAGES_TEXT.search(text)
    if total and not pages and int(total.group(1)) > 1:
        # "共 N 页" with no usable links: the common index_N series.
        last = url.split("?", 1)[0].rsplit("/", 1)[-1]
        m = re.match(r"([\w-]+?)(?:_\d+)?\.(\w+)$", last)
        name, ext = (m.group(1), m.group(2)) if m else ("index", "html")
        base = _dir_of(url)
        for k in range(1, min(int(total.group(1)), MAX_PAGES)):
            pages.add(f"{base}{name}_{k}.{ext}")
    return sorted(pages)


def static_listing(family: str, url: str, text: str, params: dict[str, Any]) -> Listing:
    """A static HTML list: entries, sub-columns and the other pages of the series."""
    doc = parse_html(text)
    listing = html_listing(family, url, doc, params.get("scope"), params.get("start_page", False))
    listing.column_hint = column_hint(url, doc)
    pages = trs_pages(url, text) or pager_links(url, doc, text)
    listing.fetches = [Fetch(p) for p in pages if p != url]
    return listing
