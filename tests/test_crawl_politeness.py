"""Politeness: robots.txt counts in a server's delay, and so does every page (issue 12, point 14).

Sites crawled at once, each on its own loopback address: robots.txt, the column, one report. At the
server, two requests to one address are never closer than the delay, robots.txt and the first page
included. robots.txt is always the first request to a server, so it alone pays for the connection
(a slow handshake, a loaded server: here every new connection waits ``LAG`` before its first request
is read). Counted from when a request was sent, the delay shrank by that much at the server; counted
from the answer, it cannot. The second test runs 160 sites at once, as a crawl of many does.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from nianbao.crawling import run_crawl
from storage.archive import Archive
from storage.sites import Site, save_sites
from tests.support.mockportal import MockPortal, loopback_binds
from tests.support.mockportal.build import _write, trs_detail
from tests.support.mockportal.content import national_metas, page

SITES = 160
DELAY = 0.5
LAG = 0.3
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not loopback_binds(f"127.0.15.{SITES}"), reason="needs 127.0.0.0/8 on loopback"),
]


def _tree(root: Path) -> None:
    title = "青山市统计局2023年政府信息公开工作年度报告"
    _write(
        root,
        "zfxxgk/zfxxgknb/202401/t20240122_1.html",
        trs_detail(title, "青山市统计局", 2023, "2024-01-22 09:00"),
    )
    item = f'<li><a href="./202401/t20240122_1.html" title="{title}">{title}</a><span>2024-01-22</span></li>'
    _write(
        root,
        "zfxxgk/zfxxgknb/index.html",
        page("政府信息公开年报", national_metas("青山市", "政府信息公开年报"), f"<ul>{item}</ul>"),
    )


def _crawl(tmp_path: Path, count: int, lag: float) -> dict[str, list[tuple[float, str]]]:
    _tree(tmp_path / "site")
    hosts: list[dict[str, Any]] = [
        {
            "name": f"s{n}",
            "ip": f"127.0.15.{n}",
            "root": str(tmp_path / "site"),
            "robots": "User-agent: *\nAllow: /\n",
            "connect_lag": lag,
        }
        for n in range(1, count + 1)
    ]
    with MockPortal(hosts) as portal:
        data = tmp_path / "data"
        with Archive.open(data) as archive:
            sites = [
                Site(
                    id=h["name"],
                    agency=f"站点{h['name']}",
                    first_year=2023,
                    start_urls=[f"{portal.urls[h['name']]}/zfxxgk/zfxxgknb/index.html"],
                )
                for h in hosts
            ]
            save_sites(archive.db, sites, now=archive.now(), source="test")
        portal.reset()
        settings = {
            "DOWNLOAD_DELAY": DELAY,
            "AUTOTHROTTLE_START_DELAY": DELAY,
            "NIANBAO_PROGRESS": False,
            "LOG_LEVEL": "WARNING",
        }
        result = run_crawl(data, None, "2024-06-01", settings=settings, capture=True, timeout=300)
        assert result.ok, result.output[-3000:]
        log = portal.log()
    times: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for entry in log:
        times[entry["host"]].append((entry["t"], entry["path"]))
    assert len(times) == count and all(len(v) == 3 for v in times.values())
    return times


def _too_close(times: dict[str, list[tuple[float, str]]]) -> list[tuple[str, str, float]]:
    close = []
    for host, seen in times.items():
        seen.sort()
        assert seen[0][1] == "/robots.txt"
        close += [
            (host, b[1], round(b[0] - a[0], 3))
            for a, b in itertools.pairwise(seen)
            if b[0] - a[0] < DELAY - 0.02
        ]
    return close


def test_robots_txt_counts_in_the_delay_when_connecting_is_slow(tmp_path: Path) -> None:
    close = _too_close(_crawl(tmp_path, 12, LAG))
    assert not close, close[:20]


def test_no_two_requests_to_one_server_closer_than_the_delay_at_scale(tmp_path: Path) -> None:
    close = _too_close(_crawl(tmp_path, SITES, 0.0))
    assert not close, close[:20]
