"""TRS WCM (拓尔思) columns: static ``index.shtml`` + ``index_1.shtml``…, and the newer ``list2.trsapi`` list model.

Static columns: the pager is written by JavaScript, so the page series is
computed from the inline call (``createPageHTML(total, current, "index",
"shtml")``, the container-first variant, Hubei's ``pageControl`` or ``var
countPage = N``), falling back on whatever pager links the HTML does show
(see ``trs_pages``).

List-model columns (Fujian's TRS platform, e.g. 平潭综合实验区) page with
``listModel({quickMode: "动静结合", maxStaticIndex: S, listArgs: {channelid,
classsql, sortfield}, pagebar: {prepage: P, recordCount: 'R'}})``: pages 0…S
are static (``index.htm``, ``index_1.htm``…), the rest of the ceil(R / P) pages
come from the TRS search service the front end calls with the list arguments,
``POST /fjdzapp/search`` (form ``channelid``, ``classsql``, ``sortfield``,
``page`` from 1, ``prepage``), answering JSON ``{"pageCount", "recordCount",
"data": [{"doctitle", "chnldocurl", "docpuburl", "docreltime": "2024.03.08
15:34:00", …}]}``. ``channelid`` is usually ``SiteInfo.searchId``, defined in
an earlier script of the page. ``recordCount`` is baked into the page when it
was published and can be stale: when the last page read is full, one more API
page is asked for, and the series goes on while pages come back full.

The list-model script (``list2.trsapi``) itself was never seen; the endpoint,
its form and its answer are those independent crawlers of the same platform
use, and the mock portal serves that shape.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any
from urllib.parse import urlsplit

from crawler.adapters.base import MAX_PAGES, Entry, Fetch, Listing, json_answer, json_count, static_listing
from monitor.portal.dates import date_from_timestamp, parse_date
from monitor.portal.links import absolute
from monitor.portal.titles import classify_title

API_PATH = "/fjdzapp/search"
_LIST_MODEL = re.compile(r"listModel\s*\(\s*\{")
_INT = {
    "max_static": re.compile(r"\bmaxStaticIndex\s*:\s*['\"]?(\d{1,9})(?!\d)"),
    "prepage": re.compile(r"\bprepage\s*:\s*['\"]?(\d{1,9})(?!\d)"),
    "record_count": re.compile(r"\brecordCount\s*:\s*['\"]?(\d{1,9})(?!\d)"),
}
_ARG = re.compile(r"\b(channelid|classsql|sortfield)\s*:\s*([^\n]*?)\s*,?\s*(?://[^\n]*)?$", re.M)
_STRING = re.compile(r"""'([^']*)'|"([^"]*)\"""")
_CHNL_META = re.compile(r"""<meta\s+name=["']ChnlId["']\s+content=["'](\d+)["']""", re.I)
_STATIC_NAME = re.compile(r"/(index)(?:_(\d{1,9}))?\.(s?html?)$")
_TAGS = re.compile(r"<[^>]+>")
# A numeric character reference longer than any code point (html.unescape would int() its digits).
_ABSURD_CHARREF = re.compile(r"&#(?:[xX]0*[0-9a-fA-F]{7,}|0*\d{8,});?")


def unescape(text: str) -> str:
    return html.unescape(_ABSURD_CHARREF.sub("\ufffd", text))


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    listing = static_listing("trs", url, text, params)
    model = list_model(text)
    if model is None:
        return listing
    listing.fetches = [f for f in listing.fetches if f.kind != "list" or not _STATIC_NAME.search(f.url)]
    if "list_model" in params:  # a page this list model scheduled: only the stale-count guard remains
        page = int(params.get("page_index", 0))
        if page == params["list_model"]["last_planned"] and listing.dated_items >= model["prepage"]:
            listing.fetches.append(
                api_fetch(params["column_url"], params["list_model"], page + 2, probe=True)
            )
        return listing
    listing.fetches.extend(list_model_fetches(url, text, model, listing, params.get("scope")))
    return listing


def list_model(text: str) -> dict[str, Any] | None:
    """The numbers and list arguments of a ``listModel({...})`` call, or None without one."""
    call = _LIST_MODEL.search(text)
    if call is None:
        return None
    block = text[call.start() : call.start() + 3000]
    numbers = {key: int(m.group(1)) for key, pattern in _INT.items() if (m := pattern.search(block))}
    if "prepage" not in numbers:
        return None
    args = {name: _js_value(expr, text) for name, expr in _ARG.findall(block)}
    if not args.get("classsql") and (chnl := _CHNL_META.search(text)):
        args["classsql"] = f"chnlid={chnl.group(1)}"
    return {
        "max_static": numbers.get("max_static", 0),
        "prepage": max(1, numbers["prepage"]),
        "record_count": numbers.get("record_count"),
        "channelid": args.get("channelid") or "",
        "classsql": args.get("classsql") or "",
        "sortfield": args.get("sortfield") or "",
    }


def _js_value(expr: str, text: str) -> str:
    """A list argument's value: a literal, the last non-empty string of ``"" || "x"``, or ``SiteInfo.key``."""
    expr = expr.strip().rstrip(",").strip()
    strings = [a or b for a, b in _STRING.findall(expr)]
    if strings:
        return next((v for v in reversed(strings) if v), "")
    if re.fullmatch(r"\d+", expr):
        return expr
    reference = re.fullmatch(r"[A-Za-z_$][\w$]*\.([A-Za-z_$][\w$]*)", expr)
    if reference:
        value = re.search(rf"""\b{re.escape(reference.group(1))}\s*:\s*(?:'([^']*)'|"([^"]*)"|(\d+))""", text)
        return next((v for v in value.groups() if v), "") if value else ""
    return ""


def list_model_fetches(
    url: str, text: str, model: dict[str, Any], listing: Listing, scope: str | None
) -> list[Fetch]:
    """Static pages 1…maxStaticIndex, then API pages, up to ceil(recordCount / prepage) pages in all."""
    per_page = model["prepage"]
    count = model["record_count"]
    pages = min(math.ceil(count / per_page), MAX_PAGES) if count else 1
    last_static = min(model["max_static"], pages - 1)
    base, ext = _static_base(url, listing)
    plan = {**model, "last_planned": max(pages - 1, 0), "scope": scope}
    fetches = []
    for k in range(1, last_static + 1):
        fetches.append(
            Fetch(
                f"{base}index_{k}.{ext}",
                params={"list_model": plan, "page_index": k, "column_url": url, "scope": scope},
            )
        )
    for k in range(last_static + 1, pages):
        fetches.append(api_fetch(url, plan, k + 1))
    if pages == 1 and listing.dated_items >= per_page:
        fetches.append(api_fetch(url, plan, 2, probe=True))  # page 0 full: the count may be stale
    return fetches


def _static_base(url: str, listing: Listing) -> tuple[str, str]:
    """The column directory and the static pages' extension (this page's, else its detail links')."""
    path = urlsplit(url).path
    m = _STATIC_NAME.search(path)
    directory = url.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    if m:
        return directory, m.group(3)
    extensions = [
        e.url.rsplit(".", 1)[-1].lower() for e in listing.entries if "." in e.url.rsplit("/", 1)[-1]
    ]
    extensions = [e for e in extensions if e in ("htm", "html", "shtml")]
    ext = max(set(extensions), key=extensions.count) if extensions else "html"
    return directory, ext


def api_fetch(column_url: str, model: dict[str, Any], page: int, *, probe: bool = False) -> Fetch:
    parts = urlsplit(column_url)
    form = {
        "channelid": str(model["channelid"]),
        "sortfield": model["sortfield"],
        "classsql": model["classsql"],
        # What the list model's front end sends besides its list arguments (seen in the requests it makes).
        "classcol": "publishyear",
        "classnum": "100",
        "classsort": "0",
        "cache": "true",
        "page": str(page),
        "prepage": str(model["prepage"]),
    }
    return Fetch(
        f"{parts.scheme}://{parts.netloc}{API_PATH}",
        kind="trs_api",
        method="POST",
        formdata=form,
        headers={"Referer": column_url, "X-Requested-With": "XMLHttpRequest"},
        params={
            "column_url": column_url,
            "list_model": model,
            "page": page,
            "probe": probe,
            "scope": model.get("scope"),
        },
    )


def parse_api(url: str, text: str, params: dict[str, Any]) -> Listing:
    """One page of the TRS search service: its documents; a full last page asks for the next one."""
    listing = Listing("trs", column_hint=True)
    data = json_answer(text)
    if not isinstance(data, dict):
        listing.notes.append("TRS list API answered with something that is not a JSON object")
        return listing
    found = data.get("data")
    rows: list[Any] = found if isinstance(found, list) else []
    column_url = params.get("column_url", url)
    model = params.get("list_model") or {}
    page = int(params.get("page", 1))
    for row in rows:
        if not isinstance(row, dict):
            continue
        title = unescape(_TAGS.sub("", str(row.get("doctitle") or ""))).strip()
        target = absolute(column_url, row.get("chnldocurl") or row.get("docpuburl") or row.get("url"))
        if not (title and target):
            continue
        listing.dated_items += 1
        raw = row.get("docreltime") or row.get("pubdate")
        listed = date_from_timestamp(raw) if isinstance(raw, int | float) else parse_date(str(raw or ""))
        info = classify_title(title)
        if info.kind in ("report", "interpretation"):
            quote = f"docreltime={raw}" if listed else ""
            listing.entries.append(Entry(target, title, url, listed, quote, {"docid": row.get("docid2")}))
    stated = json_count(data.get("pageCount")) or 0
    full = bool(rows) and len(rows) >= int(model.get("prepage") or 1)
    planned = (
        int(model.get("last_planned", 0)) + 1
    )  # the last page the list model's numbers promised (from 1)
    # Pages up to ``planned`` were all asked for by the column page; past it, go on while pages come back
    # full (a stale recordCount) or the service says there are more.
    if planned <= page < MAX_PAGES and (full or stated > page):
        listing.fetches.append(api_fetch(column_url, model, page + 1, probe=page + 1 > stated))
    listing.empty = not rows and page == 1
    return listing
