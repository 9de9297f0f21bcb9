"""When was a report published? Dates from the detail page, the list page and the URL.

Every date found is kept as evidence (``monitor.model.DateSeen``);
``choose_publication`` picks one by a fixed precedence, strongest first:

1. ``text:发布时间`` – the page's own stated publication time in its header
   (发布时间 / 发布日期 / 发表日期 / 发布于);
2. ``meta:PubDate`` – the CMS's publication meta (PubDate, PublishDate, pubdate,
   firstpublishedtime, article:published_time);
3. ``text:日期`` – a header date with a weaker label (公开日期, 添加时间, 时间, 日期,
   生成日期 in the info table);
4. ``meta:Maketime`` – Hanweb's creation stamp;
5. ``list`` – the date printed beside the link on the list page (or the
   gkmlpt API's ``create_time``);
6. ``url`` – a full date embedded in the URL (t20240129_…, /art/2024/1/22/,
   /20230331/). A month alone (…/202401/…) is never used.

Labelled dates are read from the page's header and info block only, never
from the report body (``本报告统计时间：2023年1月1日至…`` is not when the page
was published), and a date followed by 至 … (a period) is not a publication
date. A report of year Y cannot be published before January 1 of Y+1: such a
date stays evidence but is never chosen as the publication date.

format.md: "prefer the page's own stated publication time, and keep all of them
as evidence". 成文日期 (the date the document was signed) is never a
publication date. Dates after ``today`` are discarded as impossible.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from monitor.model import CST, DateSeen
from monitor.patterns import FULL_DATE

SOURCE_RANK: dict[str, int] = {
    "text:发布时间": 1,
    "meta:PubDate": 2,
    "text:日期": 3,
    "meta:Maketime": 4,
    "list": 5,
    "url": 6,
}

_DATE = FULL_DATE
# Hanweb list quirk: "2026-\n01-\n23" – the parts split across lines.
_SPLIT_WS = re.compile(r"(?<=[\d\-/.年月])\s+(?=[\d\-/.年月日])")

_META_PUB = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "publishtime")
_META_MAKE = ("maketime",)

# Labels in page text, strongest first. 时间/日期 alone must not be the tail of 成文日期 etc.
_LABEL_PUB = re.compile(r"(发布时间|发布日期|发表日期|发布于)\s*[:：]?\s*")
_LABEL_WEAK = re.compile(
    r"(公开日期|公开时间|添加时间|生成日期|更新时间|(?<![成文发布表开加生更登止至])(?:时间|日期))\s*[:：]?\s*"
)
# "2023年1月1日至2023年12月31日", "2023-01-01～2023-12-31": a period, not a publication date.
_RANGE_NEXT = re.compile(r"\s*(?:至|到|[-－—–~～])\s*(?:(?:19|20)\d{2}|\d{1,2}\s*月)")


def parse_date(text: str) -> date | None:
    """The first full date in ``text`` (2024-01-25, 2024/1/25, 2024.01.25, 2024年1月25日)."""
    if not text:
        return None
    m = _DATE.search(text) or _DATE.search(_SPLIT_WS.sub("", text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def date_from_timestamp(value: Any) -> date | None:
    """A unix timestamp (seconds or milliseconds, as gkmlpt's create_time) read in China time."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, UTC).astimezone(CST).date()


_URL_PATTERNS = (
    # TRS: /202401/t20240129_1926722.shtml
    re.compile(r"/t((?:19|20)\d{6})_\d+"),
    # Hanweb: /art/2024/1/22/art_…
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    # Hebei: /columns/{uuid}/202301/30/…
    re.compile(r"/((?:19|20)\d{2})(\d{2})/(\d{2})/"),
    # Fujian: /2013-01-25/…
    re.compile(r"/((?:19|20)\d{2})-(\d{2})-(\d{2})/"),
    # Shanghai: /20230331/…
    re.compile(r"/((?:19|20)\d{6})/"),
)


def date_from_url(url: str) -> DateSeen | None:
    """A full date the CMS wrote into the URL path; month-only paths give nothing."""
    path = unquote(urlsplit(url).path)
    for pattern in _URL_PATTERNS:
        m = pattern.search(path)
        if not m:
            continue
        groups = m.groups()
        if len(groups) == 1:
            y, mo, d = groups[0][:4], groups[0][4:6], groups[0][6:8]
        else:
            y, mo, d = groups
        try:
            return DateSeen("url", date(int(y), int(mo), int(d)), m.group(0), url)
        except ValueError:
            continue
    return None


def strip_scripts(doc: Any) -> None:
    """Remove the page's scripts and styles (in place): their text is not the page's."""
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()


def _visible(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text)


def page_text(doc: Any) -> str:
    """Visible text of a parsed page, scripts and styles removed, whitespace collapsed per line."""
    strip_scripts(doc)
    text = doc.text_content() if hasattr(doc, "text_content") else ""
    return _visible(text)


def _header_text(doc: Any, body: Any | None) -> str:
    """The page's text without the report body: the header and info block the labels are read from."""
    text = page_text(doc)
    if body is None or body is doc:
        return text
    inner = _visible(body.text_content() or "")
    if len(inner.strip()) < 10 or inner not in text:
        return text
    return text.replace(inner, "\n", 1)


def _labelled_date(tail: str) -> date | None:
    """The date right after a label, unless it opens a period (…至…)."""
    for candidate in (tail, _SPLIT_WS.sub("", tail)):
        m = _DATE.match(candidate)
        if m:
            if _RANGE_NEXT.match(candidate, m.end()):
                return None
            return parse_date(m.group(0))
    return None


def dates_from_doc(doc: Any, url: str = "", body: Any | None = None) -> list[DateSeen]:
    """Metas and header-label dates of an already parsed page (its scripts are removed in the process).

    ``body`` is the report body element (``monitor.portal.page.body_element``): labels inside it are not read.
    """
    found: list[DateSeen] = []
    for meta in doc.xpath("//meta[@name or @property]"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        value = parse_date(content)
        if not value:
            continue
        if name in _META_PUB:
            found.append(
                DateSeen(
                    "meta:PubDate",
                    value,
                    f'<meta name="{meta.get("name") or name}" content="{content}">',
                    url,
                )
            )
        elif name in _META_MAKE:
            found.append(
                DateSeen("meta:Maketime", value, f'<meta name="{meta.get("name")}" content="{content}">', url)
            )
    text = _header_text(doc, body)
    for pattern, source in ((_LABEL_PUB, "text:发布时间"), (_LABEL_WEAK, "text:日期")):
        for m in pattern.finditer(text):
            tail = text[m.end() : m.end() + 40]
            value = _labelled_date(tail)
            if value:
                quote = (m.group(0) + tail).split("\n")[0].strip()
                found.append(DateSeen(source, value, quote[:60], url))
                break  # the header's first occurrence is the page's own date
    return found


def earliest_publication(year: int | None) -> date | None:
    """A report of ``year`` covers that whole year: it cannot be published before January 1 of the next."""
    return date(year + 1, 1, 1) if year else None


def choose_publication(
    evidence: list[DateSeen], today: date | None = None, year: int | None = None
) -> DateSeen | None:
    """The publication date by the precedence in the module docstring; None when nothing usable.

    Dates after ``today`` are impossible, and so are dates before January 1 after the report's ``year``
    (a date in the period the report covers): both stay evidence but are never chosen.
    """
    earliest = earliest_publication(year)
    usable = [
        e for e in evidence if (today is None or e.date <= today) and (earliest is None or e.date >= earliest)
    ]
    if not usable:
        return None
    return min(usable, key=lambda e: SOURCE_RANK.get(e.source, 99))
