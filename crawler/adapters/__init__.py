"""List adapters, one per CMS family (portals.md §1); ``parse`` picks one from the page itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.adapters import epoint, gkmlpt, hanweb, jiyue, trs
from crawler.adapters.base import Entry, Fetch, Listing
from crawler.detect import detect_family

Parser = Callable[[str, str, dict[str, Any]], Listing]

PAGE_PARSERS: dict[str, Parser] = {
    "gkmlpt": gkmlpt.parse_list,
    "epoint": epoint.parse_list,
    "hanweb": hanweb.parse_list,
    "trs": trs.parse_list,
    "jiyue": jiyue.parse_list,
    "generic": jiyue.parse_generic,
}
# Answers to the requests adapters ask for (Fetch.kind), other than plain list pages.
FETCH_PARSERS: dict[str, Parser] = {
    "hanweb_proxy": hanweb.parse_proxy,
    "unitbuild": hanweb.parse_unitbuild,
    "gkmlpt_api": gkmlpt.parse_api,
    "trs_api": trs.parse_api,
    "epoint_label": epoint.parse_label,
}


def parse(url: str, text: str, kind: str = "list", params: dict[str, Any] | None = None) -> Listing:
    """Read one list page or API answer; the family is detected from the page for ``kind == "list"``."""
    params = params or {}
    if kind in FETCH_PARSERS:
        return FETCH_PARSERS[kind](url, text, params)
    return PAGE_PARSERS[detect_family(url, text)](url, text, params)


__all__ = ["FETCH_PARSERS", "PAGE_PARSERS", "Entry", "Fetch", "Listing", "parse"]
