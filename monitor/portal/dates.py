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
_TIME = re.compile(r"\s*\d{1,2}:\d{2}(?::\d{2})?")
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
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 0 < seconds < 4_102_444_800:  # before 2100 (and not NaN)
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


def _visible(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text)


def _labelled_date(tail: str) -> tuple[date, str] | None:
    """The date right after a label (and the text it was read from, a time of day included),
    unless it opens a period (…至…)."""
    for candidate in (tail, _SPLIT_WS.sub("", tail)):
        m = _DATE.match(candidate)
        if m:
            if _RANGE_NEXT.match(candidate, m.end()):
                return None
            value = parse_date(m.group(0))
            if value is None:
                return None
            time = _TIME.match(candidate, m.end())
            return value, candidate[: time.end() if time else m.end()].rstrip()
    return None


def meta_dates(root: Any, url: str = "") -> list[DateSeen]:
    """The publication dates a page's metas state (PubDate and its kin; Hanweb's Maketime)."""
    found: list[DateSeen] = []
    for meta in root.xpath("//meta[@name or @property]"):
        attr = "name" if meta.get("name") else "property"
        name = (meta.get(attr) or "").strip()
        content = (meta.get("content") or "").strip()
        value = parse_date(content)
        if not value:
            continue
        quote = f'<meta {attr}="{name}" content="{content}">'
        if name.lower() in _META_PUB:
            found.append(DateSeen("meta:PubDate", value, quote, url))
        elif name.lower() in _META_MAKE:
            found.append(DateSeen("meta:Maketime", value, quote, url))
    return found


def dates_from_text(text: str, url: str = "") -> list[DateSeen]:
    """The labelled dates in a page's header text (发布时间, then the weaker labels): the first of each."""
    text = _visible(text)
    found: list[DateSeen] = []
    for pattern, source in ((_LABEL_PUB, "text:发布时间"), (_LABEL_WEAK, "text:日期")):
        for m in pattern.finditer(text):
            labelled = _labelled_date(text[m.end() : m.end() + 40])
            if labelled:
                value, shown = labelled
                found.append(DateSeen(source, value, (m.group(0) + shown).strip(), url))
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
