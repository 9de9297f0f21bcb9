"""Anhui's disclosure platform (信息公开目录, "Epoint" to some crawlers): columns filled by a label service.

A column is ``/public/column/{organId}?type=4&catId=…&action=list``; its list
is rendered in the browser from ``/site/label/8888?labelName=publicInfoList``
with the column's ids and a site-specific template path (``file=
/xxgk/publicInfoList_newest2020``), answered with an HTML fragment
(``div.xxgk_navli`` items: ``a[title]`` to ``/public/{organId}/{id}.html`` and
a ``span.date``) and the page count as ``pageCount:N``. Some sites render the
first page on the server: its links are read as any static list.

The label parameters are read from the column page: ``organId`` from the path,
``catId`` and ``type`` from the query, ``siteId`` from the SiteId meta, the
template path and page size from the page's label script. Where the template
path cannot be found the list is not guessed at: the column is reported as
having no readable list. Stored crawlers of these sites show the service, its
parameters and its fragment; where the column page keeps the template path is
inferred (an inline script), and the mock portal serves that shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from crawler.adapters.base import MAX_PAGES, Fetch, Listing, html_listing, static_listing
from monitor.portal.links import url_safe
from monitor.portal.page import parse_html

LABEL_PATH = "/site/label/8888"
_ORGAN = re.compile(r"/public/column/(\d+)")
_FILE = re.compile(r"""['"]?\bfile['"]?\s*[:=]\s*['"]([^'"]*publicInfoList[^'"]*)['"]""")
_FILE_IN_URL = re.compile(r"""[?&]file=([^&'"\s]*publicInfoList[^&'"\s]*)""")
_SITE_META = re.compile(r"""<meta\s+name=["']SiteId["']\s+content=["'](\d+)["']""", re.I)
_SITE_ID = re.compile(r"""\bsiteId['"]?\s*[:=]\s*['"]?(\d+)""")
_PAGE_SIZE = re.compile(r"""\bpageSize['"]?\s*[:=]\s*['"]?(\d{1,9})(?!\d)""")
_PAGE_COUNT = re.compile(r"\bpageCount\s*[:=]\s*['\"]?(\d{1,9})(?!\d)")
_CAT_IDS = re.compile(r"""\bcatIds['"]?\s*[:=]\s*['"]([\d,]*)['"]""")
_NO_RECORDS = "暂无相关信息"


def is_label_column(url: str, text: str) -> bool:
    return bool(_ORGAN.search(urlsplit(url).path)) or LABEL_PATH in text or "labelName=publicInfoList" in text


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    """A column page: its server-rendered links, then the label service for the (other) pages."""
    listing = static_listing("epoint", url, text, params)
    label = label_params(url, text)
    if label is None:
        if not listing.entries:
            listing.notes.append("Anhui label column without its template path (file=…): list not read")
        return listing
    pages = int(m.group(1)) if (m := _PAGE_COUNT.search(text)) else 1
    first = 2 if listing.entries else 1
    listing.fetches = [
        label_fetch(url, label, n, params.get("scope")) for n in range(first, min(pages, MAX_PAGES) + 1)
    ]
    if not listing.fetches and not listing.entries:
        listing.fetches.append(label_fetch(url, label, 1, params.get("scope")))
    return listing


def label_params(url: str, text: str) -> dict[str, str] | None:
    """The label service's parameters for this column, or None when its template path is not on the page."""
    organ = _ORGAN.search(urlsplit(url).path)
    template = _FILE.search(text) or _FILE_IN_URL.search(text)
    site = _SITE_META.search(text) or _SITE_ID.search(text)
    if not (organ and template and site):
        return None
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    cat_ids = _CAT_IDS.search(text)
    return {
        "labelName": "publicInfoList",
        "siteId": site.group(1),
        "pageSize": m.group(1) if (m := _PAGE_SIZE.search(text)) else "15",
        "action": "list",
        "isDate": "true",
        "dateFormat": "yyyy-MM-dd",
        "length": "80",
        "organId": organ.group(1),
        "type": query.get("type", "4"),
        "catId": query.get("catId", ""),
        "catIds": cat_ids.group(1) if cat_ids else query.get("catId", ""),
        "cId": "",
        "result": _NO_RECORDS,
        "file": unquote(template.group(1)),
    }


def label_fetch(column_url: str, label: dict[str, str], page: int, scope: str | None) -> Fetch:
    parts = urlsplit(column_url)
    fields = {"IsAjax": "1", "dataType": "html", **label, "pageIndex": str(page)}
    query = urlencode({key: url_safe(value) for key, value in fields.items()})
    return Fetch(
        f"{parts.scheme}://{parts.netloc}{LABEL_PATH}?{query}",
        kind="epoint_label",
        headers={"Referer": column_url, "X-Requested-With": "XMLHttpRequest"},
        params={"column_url": column_url, "label": label, "page": page, "scope": scope},
    )


def parse_label(url: str, text: str, params: dict[str, Any]) -> Listing:
    """One page of the label service: its items; the first page also asks for the others."""
    column_url = params.get("column_url", url)
    doc = parse_html("<div>" + text + "</div>")
    listing = html_listing("epoint", column_url, doc, params.get("scope"))
    listing.column_hint = True
    for entry in listing.entries:
        entry.list_url = url
    page = int(params.get("page", 1))
    listing.empty = page == 1 and not listing.entries and _NO_RECORDS in text
    if page == 1 and (m := _PAGE_COUNT.search(text)):
        label = params["label"]
        listing.fetches = [
            label_fetch(column_url, label, n, params.get("scope"))
            for n in range(2, min(int(m.group(1)), MAX_PAGES) + 1)
        ]
    return listing
