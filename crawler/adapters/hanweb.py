"""Hanweb (大汉) jcms/jpage columns and the newer JPaaS "unitbuild" lists.

The first records sit in ``<script type="text/xml"><datastore>…<record><![CDATA[…]]>``,
which an HTML parser does not see; the rest come from a POST to
``/module/web/jpage/dataproxy.jsp?startrecord=…&endrecord=…&perpage=…`` with
the column's ``ajaxParam`` fields as a form, answered by bare XML with
``totalrecord``. JPaaS columns declare ``unitbuild.js url=… queryData=…``
and serve JSON pages ``{"data":{"html":"<ul>…"}}`` until one is empty.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urljoin

from crawler.adapters.base import MAX_PAGES, Fetch, Listing, column_hint, html_listing, json_answer
from monitor.portal.links import absolute, url_safe
from monitor.portal.page import parse_html

_DATASTORE_TAGS = (re.compile(r"<datastore>", re.I), re.compile(r"</datastore>", re.I))
_RECORD_TAGS = (re.compile(r"<record>", re.I), re.compile(r"</record>", re.I))
_TOTAL = re.compile(r"<totalrecord>\s*(\d{1,9})\s*</totalrecord>", re.I)
_CFG_INT = {
    "per_page": re.compile(r"perPage\s*:\s*['\"]?(\d{1,9})(?!\d)"),
    "total": re.compile(r"totalRecord\s*:\s*['\"]?(\d{1,9})(?!\d)"),
    "group": re.compile(r"groupSize\s*:\s*['\"]?(\d{1,9})(?!\d)"),
}
_PROXY_URL = re.compile(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""")
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.S)
_KV = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,\s}]+))""")
_UNITID = re.compile(r"(?:jpageform_|unitid=|unitid\s*:\s*['\"]?)(\d+)")
_WEBID = re.compile(r"webid(?:=|\s*:\s*['\"]?)(\d+)", re.I)
_COLID = re.compile(r"/col/col(\d+)/")
_UNITBUILD = re.compile(r"<script[^>]*unitbuild\.js[^>]*>", re.I)
_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"


def _elements(text: str, tags: tuple[re.Pattern[str], re.Pattern[str]]) -> list[tuple[int, int, int, int]]:
    """(start, inner start, inner end, end) of each ``<tag>…</tag>``, as a lazy ``<tag>(.*?)</tag>``
    would find them, in one pass: the regex retried every unclosed opening to the end (quadratic)."""
    opening, closing = tags
    found = []
    pos = 0
    while (start := opening.search(text, pos)) and (end := closing.search(text, start.end())):
        found.append((start.start(), start.end(), end.start(), end.end()))
        pos = end.end()
    return found


def _records(xml_text: str) -> list[str]:
    records = []
    for _, inner, end, _ in _elements(xml_text, _RECORD_TAGS):
        body = xml_text[inner:end].strip()
        body = body.removeprefix("<![CDATA[")
        records.append(body.removesuffix("]]>").strip() if body.endswith("]]>") else body)
    return records


def records_listing(url: str, xml_text: str, params: dict[str, Any]) -> tuple[Listing, int]:
    """Entries of a datastore's records; returns the listing and how many records there were."""
    records = _records(xml_text)
    doc = parse_html("<div>" + "".join(records) + "</div>")
    listing = html_listing("hanweb", url, doc, params.get("scope"))
    listing.dated_items = max(listing.dated_items, len(records) if records else 0)
    return listing, len(records)


def _form(text: str, url: str) -> dict[str, str]:
    form: dict[str, str] = {}
    m = _AJAX_PARAM.search(text)
    if m:
        for key, a, b, c in _KV.findall(m.group(1)):
            form[key] = a or b or c
    if "unitid" not in form and (u := _UNITID.search(text)):
        form["unitid"] = u.group(1)
    if "webid" not in form and (w := _WEBID.search(text)):
        form["webid"] = w.group(1)
    if "columnid" not in form and (c := _COLID.search(url)):
        form["columnid"] = c.group(1)
    defaults = {"col": "1", "appid": "1", "path": "/", "sourceContentType": "1", "permissiontype": "0"}
    for key, value in defaults.items():
        form.setdefault(key, value)
    return form


def _proxy_fetch(
    column_url: str,
    proxy: str,
    form: dict[str, str],
    start: int,
    step: int,
    per_page: int,
    total: int | None,
    scope: str | None,
) -> Fetch:
    end = start + step - 1
    if total:
        end = min(end, total)
    query = urlencode({"startrecord": start, "endrecord": end, "perpage": per_page})
    return Fetch(
        urljoin(column_url, proxy) + "?" + query,
        kind="hanweb_proxy",
        method="POST",
        formdata=dict(form),
        headers={"Referer": column_url},
        params={
            "column_url": column_url,
            "proxy": proxy,
            "start": start,
            "end": end,
            "step": step,
            "per_page": per_page,
            "total": total,
            "scope": scope,
            "calls": 1,
            "formdata": dict(form),
        },
    )


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    """A Hanweb column page: its inline records, then dataproxy calls (or unitbuild pages) for the rest."""
    doc = parse_html(text)
    scope = params.get("scope")
    stores = _elements(text, _DATASTORE_TAGS)
    if stores:
        listing, count = records_listing(url, text[stores[0][1] : stores[0][2]], params)
    else:
        listing, count = html_listing("hanweb", url, doc, scope, params.get("start_page", False)), 0
    # Links outside the datastore (sub-columns, a column named on a start page) still count.
    bounds = [0, *(edge for start, _, _, end in stores for edge in (start, end)), len(text)]
    rest = "".join(text[bounds[k] : bounds[k + 1]] for k in range(0, len(bounds), 2))
    outside = html_listing("hanweb", url, parse_html(rest), scope, params.get("start_page", False))
    listing.subcolumns = outside.subcolumns
    listing.columns = outside.columns
    listing.column_hint = column_hint(url, doc)

    unit = _UNITBUILD.search(text)
    if unit and not stores:
        attrs = {k.lower(): a or b for k, a, b in _ATTR.findall(unit.group(0))}
        if attrs.get("url") and absolute(url, attrs["url"]):
            listing.fetches.append(unitbuild_fetch(url, attrs["url"], attrs.get("querydata", ""), 1, scope))
            return listing
    if stores or "dataproxy.jsp" in text or "jpage" in text:
        cfg = {k: int(m.group(1)) for k, p in _CFG_INT.items() if (m := p.search(text))}
        total = cfg.get("total")
        if total is None and (t := _TOTAL.search(text)):
            total = int(t.group(1))
        per_page = cfg.get("per_page", 20)
        step = per_page * cfg.get("group", 3)
        proxy_match = _PROXY_URL.search(text)
        proxy = proxy_match.group(1) if proxy_match else DEFAULT_PROXY
        if absolute(url, proxy) is None:  # "http://[x", javascript:…: the platform's usual address
            proxy = DEFAULT_PROXY
        proxy = absolute(url, proxy) or proxy  # a full-width host read as a browser reads it
        if total is None or count < total:
            listing.fetches.append(
                _proxy_fetch(url, proxy, _form(text, url), count + 1, step, per_page, total, scope)
            )
    return listing


def parse_proxy(url: str, text: str, params: dict[str, Any]) -> Listing:
    """A dataproxy.jsp answer: its records, and the next call while records remain."""
    listing, count = records_listing(params.get("column_url", url), text, params)
    total = int(t.group(1)) if (t := _TOTAL.search(text)) else params.get("total")
    listing.empty = total == 0
    end = params["end"]
    more = count > 0 and (total is None or end < total) and params.get("calls", 1) < MAX_PAGES
    if more:
        nxt = _proxy_fetch(
            params["column_url"],
            params["proxy"],
            params.get("formdata") or {},
            end + 1,
            params["step"],
            params["per_page"],
            total,
            params.get("scope"),
        )
        nxt.params["calls"] = params.get("calls", 1) + 1
        listing.fetches.append(nxt)
    return listing


def unitbuild_fetch(column_url: str, api: str, query_data: str, page: int, scope: str | None) -> Fetch:
    query: dict[str, str] = {}
    loaded = json_answer(query_data) if query_data else {}
    if isinstance(loaded, dict):
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in loaded.items()}
    elif loaded is None:
        query = dict(p.split("=", 1) for p in query_data.split("&") if "=" in p)
    # A lone surrogate ("\ud800" in the page's JSON) cannot be URL-encoded: replaced, as a browser does.
    query = {url_safe(k): url_safe(v) for k, v in query.items()}
    page_json = {"pageNo": page, "pageSize": 15}
    query["paramJson"] = json.dumps(page_json, separators=(",", ":"))
    return Fetch(
        urljoin(column_url, api) + "?" + urlencode(query),
        kind="unitbuild",
        headers={"Referer": column_url},
        params={"column_url": column_url, "api": api, "query_data": query_data, "page": page, "scope": scope},
    )


def parse_unitbuild(url: str, text: str, params: dict[str, Any]) -> Listing:
    """A JPaaS unit page: JSON whose data.html holds the list; an empty page ends the series."""
    data = json_answer(text)
    inner = data.get("data") if isinstance(data, dict) else None
    fragment = inner.get("html") if isinstance(inner, dict) else None
    fragment = fragment if isinstance(fragment, str) else ""
    doc = parse_html("<div>" + fragment + "</div>")
    listing = html_listing("hanweb", params.get("column_url", url), doc, params.get("scope"))
    has_links = bool(doc.xpath("//a[@href]"))
    page = int(params.get("page", 1))
    if has_links and page < MAX_PAGES:
        listing.fetches.append(
            unitbuild_fetch(
                params["column_url"],
                params["api"],
                params.get("query_data", ""),
                page + 1,
                params.get("scope"),
            )
        )
    return listing
