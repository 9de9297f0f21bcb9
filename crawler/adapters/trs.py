"""TRS WCM (拓尔思) static columns: ``index.shtml`` plus ``index_1.shtml``… from ``createPageHTML``.

The pager is written by JavaScript, so the page series is computed from the
inline call (``createPageHTML(total, current, "index", "shtml")``, the
container-first variant, Hubei's ``pageControl`` or ``var countPage = N``),
falling back on whatever pager links the HTML does show (see ``trs_pages``).
"""

from __future__ import annotations

from typing import Any

from crawler.adapters.base import Listing, static_listing


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    return static_listing("trs", url, text, params)
