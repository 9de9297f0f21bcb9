"""集约化 platforms (开普云 / Ucap and the provincial platforms) and any other static list.

Their lists are plain HTML (snowflake, 24-hex, 32-hex or UUID detail pages),
often split into year and department sub-columns (``zfxxgknb/2023n/bmnb2023/``),
paginated by numbered links, ``index_N``, ``N.html`` or ``?page=N``. Sub-columns
are found by their link text (2023年, 部门年报, 乡镇（街道）) under the column's
directory (see ``html_listing``).
"""

from __future__ import annotations

from typing import Any

from crawler.adapters.base import Listing, static_listing


def parse_list(url: str, text: str, params: dict[str, Any]) -> Listing:
    return static_listing("jiyue", url, text, params)


def parse_generic(url: str, text: str, params: dict[str, Any]) -> Listing:
    return static_listing("generic", url, text, params)
