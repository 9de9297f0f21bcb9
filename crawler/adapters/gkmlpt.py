"""Guangdong gkmlpt (政府信息公开目录平台): a JavaScript app over a JSON list API.

The column is addressed by the URL fragment (``…/gkmlpt/index#721``), which
never reaches the server; the page only reveals ``SID: '…'``. The list comes
from ``{prefix}/gkmlpt/api/all/{catId}?page=N&sid={SID}``: JSON with
``total`` and ``articles[]`` (``id``, ``title``, ``url``/``post_url``,
``create_time`` in unix seconds, ``publisher``).
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from crawler.adapters.base import MAX_PAGES, Entry, Fetch, Listing, column_hint, json_answer, json_count
from monitor.portal.dates import date_from_timestamp
from monitor.portal.links import absolute
from monitor.portal.page import parse_html
from monitor.portal.titles import classify_title, is_column_name

_SID = re.compile(r"""\bSID\s*[:=]\s*['"]([\w-]+)['"]""")
_CAT_LINK = re.compile(r"""href=['"][^'"]*#(\d+)['"][^>]*>([^<]{0,40})<""")


def api_url(page_url: str, cat_id: str, sid: str, page: int) -> str:
    parts = urlsplit(page_url)
    path = parts.path
    prefix = path[: path.index("/gkmlpt")] if "/gkmlpt" in path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/gkmlpt/api/all/{cat_id}?page={page}&sid={sid}"


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    """The gkmlpt app page: find SID and the category, then ask the API for page 1."""
    listing = Listing("gkmlpt")
    listing.column_hint = column_hint(url, parse_html(text))
    sid = _SID.search(text)
    if not sid:
        listing.notes.append("gkmlpt page without SID")
        return listing
    cat = params.get("fragment") or urlsplit(url).fragment
    if not (cat and cat.isdigit()):
        cat = next((c for c, label in _CAT_LINK.findall(text) if is_column_name(label.strip())), "")
    if not cat:
        listing.notes.append("gkmlpt page without a report category (#catId)")
        return listing
    listing.column_hint = True
    listing.fetches.append(
        Fetch(
            api_url(url, cat, sid.group(1), 1),
            kind="gkmlpt_api",
            params={
                "page_url": url,
                "cat": cat,
                "sid": sid.group(1),
                "page": 1,
                "scope": params.get("scope"),
            },
        )
    )
    return listing


def parse_api(url: str, text: str, params: dict[str, Any]) -> Listing:
    """One API page: its articles; page 1 also schedules the remaining pages."""
    listing = Listing("gkmlpt", column_hint=True)
    data = json_answer(text)
    if not isinstance(data, dict):
        listing.notes.append("gkmlpt API answered with something that is not a JSON object")
        return listing
    articles = (
        [a for a in data.get("articles") or [] if isinstance(a, dict)]
        if isinstance(data.get("articles"), list)
        else []
    )
    listing.empty = not articles and int(params.get("page", 1)) == 1
    page_url = params.get("page_url", url)
    for article in articles:
        title = str(article.get("title") or "").strip()
        target = absolute(page_url, article.get("url") or article.get("post_url"))
        if not (title and target):
            continue
        created = date_from_timestamp(article.get("create_time"))
        listing.dated_items += 1
        info = classify_title(title)
        if info.kind in ("report", "interpretation"):
            quote = f"create_time={article.get('create_time')}" if created else ""
            listing.entries.append(
                Entry(
                    target,
                    title,
                    url,
                    created,
                    quote,
                    {"publisher": article.get("publisher"), "id": article.get("id")},
                )
            )
    if int(params.get("page", 1)) == 1 and articles:
        total = json_count(data.get("total")) or len(articles)
        pages = min(math.ceil(total / len(articles)), MAX_PAGES)
        for n in range(2, pages + 1):
            listing.fetches.append(
                Fetch(
                    api_url(page_url, params["cat"], params["sid"], n),
                    kind="gkmlpt_api",
                    params={**params, "page": n},
                )
            )
    return listing
