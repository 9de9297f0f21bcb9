"""The crawler on real portals' shapes, served on loopback (issue 14).

* the real 平潭综合实验区 column (tests/fixtures/real/): a TRS ``list2.trsapi`` list model,
  dates in a sibling ``<dd>``, relative links, the other reports 404;
* the TRS list model beyond its static pages (its search service), with a stale count;
* an Anhui column read through the label service;
* a Zhejiang page whose attachments go through the expiring JPaaS download gateway;
* a site whose https handshake fails (served over http on the same port);
* four host names on one address (a 集约化 platform): one request at a time, a delay apart.

Host names resolve through ``NIANBAO_HOSTS`` only (``NIANBAO_HOSTS_ONLY``): no name outside
the table resolves, so no request can leave loopback.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nianbao.crawling import CrawlResult, run_crawl
from storage.archive import Archive
from storage.queries import FindingRow, findings
from storage.sites import Site, save_sites
from tests.support.mockportal import MockPortal, loopback_binds
from tests.support.mockportal import platforms as P

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not loopback_binds("127.0.12.2"), reason="needs 127.0.0.0/8 on loopback"),
]

FAST = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.1,
    "NIANBAO_PROGRESS": False,
    "LOG_LEVEL": "WARNING",
}
PLATFORM_NAMES = ["a.platform.gov.cn", "b.platform.gov.cn", "c.platform.gov.cn", "d.platform.gov.cn"]


@dataclass
class Crawl:
    result: CrawlResult
    items: list[dict[str, Any]]
    log: list[dict[str, Any]]
    findings: list[FindingRow] = field(default_factory=list)

    def site(self, site_id: str) -> dict[str, Any]:
        return next(s for s in self.result.sites if s["site_id"] == site_id)

    def reports(self, site_id: str) -> dict[str, dict[str, Any]]:
        return {
            urlsplit(i["url"]).path: i
            for i in self.items
            if i["kind"] == "report" and i["site_id"] == site_id
        }

    def problems(self, site_id: str) -> list[dict[str, Any]]:
        return [i for i in self.items if i["kind"] == "problem" and i["site_id"] == site_id]

    def paths(self, host: str) -> list[str]:
        return [e["path"] for e in self.log if e["host"] == host]

    def open(self, site_id: str, code: str | None = None) -> list[FindingRow]:
        return [
            f for f in self.findings if f.site == site_id and f.status == "open" and code in (None, f.code)
        ]


@dataclass
class World:
    portal: MockPortal
    data: Path
    tmp: Path
    docs: dict[str, Any]

    def crawl(self, name: str, site_ids: list[str], today: str, **settings: Any) -> Crawl:
        self.portal.reset()
        items_path = self.tmp / f"{name}.jsonl"
        merged = {**FAST, "NIANBAO_HOSTS": self.portal.hosts_table(), "NIANBAO_HOSTS_ONLY": True, **settings}
        result = run_crawl(
            self.data, site_ids, today, settings=merged, items=items_path, capture=True, timeout=240
        )
        assert result.ok, result.output[-4000:]
        items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines()]
        crawl = Crawl(result, items, self.portal.log())
        with Archive.open(self.data) as archive:
            crawl.findings = [f for f in findings(archive.db, status="all") if f.site in site_ids]
        return crawl


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("real-portals")
    hosts: list[dict[str, Any]] = [P.build_pingtan(tmp / "pingtan", "127.0.11.1")]
    listmodel, docs = P.build_list_model(tmp / "listmodel", "listmodel", "127.0.11.2")
    stale, stale_docs = P.build_list_model(
        tmp / "stale", "stale", "127.0.11.3", record_count=30, search_id=300200
    )
    anhui, anhui_items = P.build_anhui(tmp / "anhui", "127.0.11.4")
    hosts += [listmodel, stale, anhui, *P.build_jpaas(tmp / "jpaas", "127.0.11.5", "127.0.11.6")]
    hosts.append(P.build_plain(tmp / "plain", "127.0.11.7"))
    platform, solo = P.build_platform(tmp / "platform", "127.0.12.1", PLATFORM_NAMES, "127.0.12.2")
    hosts += [platform, solo]
    portal = MockPortal(hosts)
    portal.start()
    try:
        urls, port = portal.urls, portal.port
        sites = [
            Site(**P.pingtan_site(urls["pingtan"], 2023)),
            Site(**{**P.pingtan_site(urls["pingtan"], 2016), "id": "pingtan-2016"}),
            Site(
                id="listmodel",
                agency="青山市人民政府办公室",
                first_year=2021,
                start_urls=[f"{urls['listmodel']}/zfxxgk/zfxxgknb/"],
            ),
            Site(
                id="stale",
                agency="青山市人民政府办公室",
                first_year=2021,
                start_urls=[f"{urls['stale']}/zfxxgk/zfxxgknb/"],
            ),
            Site(
                id="anhui",
                agency="江淮市发展和改革委员会",
                first_year=2021,
                start_urls=[P.anhui_column(urls["anhui"])],
            ),
            Site(
                id="jpaas",
                agency=P.JPAAS_AGENCY,
                first_year=2022,
                start_urls=[f"{urls['jpaas']}/col/col1229000777/index.html"],
            ),
            Site(
                id="plain",
                agency="青山市审计局",
                first_year=2023,
                start_urls=[f"https://127.0.11.7:{port('plain')}/zfxxgk/zfxxgknb/index.html"],
            ),
        ]
        for name in [*PLATFORM_NAMES, "e.solo.gov.cn"]:
            key = "platform" if "platform" in name else "solo"
            sites.append(
                Site(
                    id=name.split(".")[0] + "-" + key,
                    agency=f"青山市{name[0].upper()}局",
                    first_year=2022,
                    start_urls=[f"http://{name}:{port(key)}/{name.split('.')[0]}/zfxxgknb/index.html"],
                )
            )
        data = tmp / "data"
        with Archive.open(data) as archive:
            save_sites(archive.db, sites, now=archive.now(), source="test")
        yield World(portal, data, tmp, {"listmodel": docs, "stale": stale_docs, "anhui": anhui_items})
    finally:
        portal.stop()


# ---- 平潭: the real column -----------------------------------------------------------------------

PINGTAN_COLUMN = "/" + P.PINGTAN_COLUMN + "/"
LISTED = {  # the real list: year -> (page, list date)
    2025: ("202603/t20260313_105587.htm", "2026-03-10"),
    2024: ("202503/t20250310_97791.htm", "2025-03-10"),
    2023: ("202403/t20240308_87885.htm", "2024-03-08"),
    2022: ("202302/t20230220_80629.htm", "2023-02-20"),
    2021: ("202202/t20220208_80613.htm", "2022-02-08"),
    2020: ("202103/t20210305_80595.htm", "2021-03-05"),
    2019: ("202001/t20200120_80576.htm", "2020-01-20"),
    2018: ("201901/t20190110_80529.htm", "2019-01-10"),
    2017: ("201801/t20180123_80506.htm", "2018-01-23"),
    2016: ("201701/t20170118_80485.htm", "2017-01-18"),
}


@pytest.fixture(scope="module")
def pingtan(world: World) -> Crawl:
    return world.crawl("pingtan", ["pingtan"], "2026-06-01")


@pytest.fixture(scope="module")
def pingtan_2016(world: World, pingtan: Crawl) -> Crawl:
    return world.crawl("pingtan-2016", ["pingtan-2016"], "2026-06-01")


def test_pingtan_both_reports_found_dated_and_checked(pingtan: Crawl) -> None:
    reports = pingtan.reports("pingtan")
    found = {r["year"]: (path, r["publication"]["date"]) for path, r in reports.items()}
    assert found == {
        2023: (PINGTAN_COLUMN + LISTED[2023][0], "2024-03-08"),
        2024: (PINGTAN_COLUMN + LISTED[2024][0], "2025-03-10"),
    }
    for year in (2023, 2024):
        codes = sorted(f.code for f in pingtan.open("pingtan") if f.year == year and f.scope == "report")
        assert codes == ["DATE.SIGNATURE_MISSING"], (year, codes)
        assert not [f for f in pingtan.open("pingtan") if f.year == year and f.code.startswith("PUB.")]


def test_pingtan_second_list_page_requested(pingtan: Crawl) -> None:
    paths = pingtan.paths("pingtan")
    assert PINGTAN_COLUMN + "index_1.htm" in paths
    # Its five entries (2011–2015) are read, and are before the first year: counted, not fetched.
    assert not [p for p in paths if re.search(r"/t201[1-6]\d{4}_", p)]
    assert pingtan.site("pingtan")["counts"]["skipped_out_of_range"] == 12


def test_pingtan_no_page_before_the_first_year_requested(pingtan: Crawl) -> None:
    paths = set(pingtan.paths("pingtan"))
    for year, (page, _) in LISTED.items():
        assert (PINGTAN_COLUMN + page in paths) == (year >= 2023), year


def test_pingtan_failure_names_its_report(pingtan: Crawl) -> None:
    (failed,) = pingtan.open("pingtan", "CRAWL.DOCUMENT_FAILED")
    assert failed.year == 2025
    assert failed.message == "2025年度报告页面无法下载（HTTP 404）"
    assert failed.evidence["title"] == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert (failed.evidence["year"], failed.evidence["list_date"]) == (2025, "2026-03-10")
    assert failed.evidence["url"].endswith(PINGTAN_COLUMN + LISTED[2025][0])
    (missing,) = pingtan.open("pingtan", "PUB.MISSING")
    assert (
        missing.year == 2025
        and "已列出但无法下载" in missing.message
        and "未在网站上找到" not in missing.message
    )


def test_pingtan_no_request_leaves_loopback(pingtan: Crawl) -> None:
    assert {e["vhost"] for e in pingtan.log} == {P.PINGTAN_HOST}
    assert not [p for p in pingtan.problems("pingtan") if p["evidence"].get("kind") in ("dns", "refused")]


def test_pingtan_from_2016_every_failed_year_named(pingtan_2016: Crawl) -> None:
    failed = {f.year or 0: f for f in pingtan_2016.open("pingtan-2016", "CRAWL.DOCUMENT_FAILED")}
    assert sorted(failed) == [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2025]
    for year, finding in failed.items():
        assert finding.message == f"{year}年度报告页面无法下载（HTTP 404）"
        assert finding.evidence["title"] == f"平潭综合实验区{year}年度政府信息公开工作年度报告"
        assert finding.evidence["list_date"] == LISTED[year][1]
    missing = {f.year or 0: f.message for f in pingtan_2016.open("pingtan-2016", "PUB.MISSING")}
    assert sorted(missing) == [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2025]
    assert all("已列出但无法下载" in m for m in missing.values())
    assert not [p for p in pingtan_2016.paths("pingtan") if re.search(r"/t201[1-6]0120_", p)]


# ---- the TRS list model beyond its static pages ---------------------------------------------------


def _api_pages(crawl: Crawl, host: str) -> list[int]:
    return sorted(
        int(e["form"]["page"]) for e in crawl.log if e["host"] == host and e["path"] == "/fjdzapp/search"
    )


@pytest.fixture(scope="module")
def list_model(world: World) -> Crawl:
    return world.crawl("listmodel", ["listmodel", "stale"], "2025-06-01")


def test_list_model_static_then_api_pages(list_model: Crawl, world: World) -> None:
    assert "/zfxxgk/zfxxgknb/index_1.htm" in list_model.paths("listmodel")
    assert _api_pages(list_model, "listmodel") == [3, 4]  # ceil(35 / 10) pages, 0 and 1 static
    form = next(
        e["form"] for e in list_model.log if e["host"] == "listmodel" and e["path"] == "/fjdzapp/search"
    )
    assert (form["channelid"], form["classsql"], form["prepage"]) == ("300100", "chnlid=2001", "10")
    expected = {d["path"] for d in world.docs["listmodel"] if d["year"] is not None}
    assert set(list_model.reports("listmodel")) == expected
    on_api_pages = {d["path"] for d in world.docs["listmodel"] if d["page"] >= 2 and d["year"] is not None}
    assert on_api_pages and on_api_pages <= set(list_model.reports("listmodel"))


def test_list_model_stale_count_asks_one_more_page(list_model: Crawl, world: World) -> None:
    assert _api_pages(list_model, "stale") == [3, 4]  # the page says 30 records; page 3 was full
    expected = {d["path"] for d in world.docs["stale"] if d["year"] is not None}
    assert set(list_model.reports("stale")) == expected


# ---- Anhui: the label service -----------------------------------------------------------------


def test_anhui_column_read_through_the_label_service(world: World) -> None:
    crawl = world.crawl("anhui", ["anhui"], "2025-06-01")
    labels = [e for e in crawl.log if e["path"] == "/site/label/8888"]
    assert sorted(e["query"].split("pageIndex=")[1].split("&")[0] for e in labels) == ["1", "2"]
    assert all("publicInfoList_newest2020" in e["query"].replace("%2F", "/") for e in labels)
    expected = {i["href"] for i in world.docs["anhui"] if i["year"] is not None}
    reports = crawl.reports("anhui")
    assert set(reports) == expected
    dated = {path: r["publication"]["date"] for path, r in reports.items()}
    assert all(dated.values())
    assert crawl.site("anhui")["status"] == "ok"


# ---- Zhejiang: the expiring download gateway --------------------------------------------------


def test_jpaas_expired_link_fetched_again_from_a_fresh_page(world: World) -> None:
    crawl = world.crawl("jpaas", ["jpaas"], "2024-06-01")
    page_2023 = "/art/2024/1/22/art_1229000777_90023.html"
    paths = crawl.paths("jpaas")
    assert paths.count(page_2023) == 2  # once, and once more for a fresh gateway link
    gateway = [e for e in crawl.log if e["path"].endswith("/front/document/download")]
    assert len(gateway) == 3  # 2023: expired, then fresh; 2022: the download count used up
    assert crawl.paths("oss") == ["/robots.txt", "/cms_files/filemanager/1572864/attach/202401/3c9ae0b4.docx"]
    reports = {r["year"]: r for r in crawl.reports("jpaas").values()}
    assert [d["role"] for d in reports[2023]["documents"]] == ["page", "attachment"]
    assert not reports[2023]["failed"]
    assert not [f for f in crawl.open("jpaas") if f.year == 2023 and f.code.startswith("STRUCT.")]
    (limited,) = crawl.open("jpaas", "CRAWL.DOCUMENT_FAILED")
    assert limited.evidence["kind"] == "gateway_limited" and limited.year == 2022
    assert limited.message.startswith("2022年度报告附件")
    assert not [f for f in crawl.open("jpaas") if f.year == 2022 and f.code.startswith("STRUCT.")]


# ---- https → http -------------------------------------------------------------------------------


def test_https_handshake_failure_falls_back_to_http(world: World) -> None:
    crawl = world.crawl("plain", ["plain"], "2024-06-01")
    paths = crawl.paths("plain")
    assert paths[0] == "/robots.txt"
    assert "/zfxxgk/zfxxgknb/index.html" in paths
    assert "/zfxxgk/zfxxgknb/private/t20240122_2.html" not in paths  # robots.txt, read over http, obeyed
    site = crawl.site("plain")
    assert site["status"] == "ok" and site["counts"]["reports_found"] == 1
    assert any("https 握手失败" in note for note in site["notes"])


# ---- one server, several names --------------------------------------------------------------------


def test_one_request_at_a_time_per_address(world: World) -> None:
    delay = 0.4
    sites = [n.split(".")[0] + "-platform" for n in PLATFORM_NAMES] + ["e-solo"]
    crawl = world.crawl("platform", sites, "2024-06-01", DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=delay)
    shared = sorted(e["t"] for e in crawl.log if e["host"] == "platform")
    assert len(shared) == 16 and {e["vhost"] for e in crawl.log if e["host"] == "platform"} == set(
        PLATFORM_NAMES
    )
    gaps = [b - a for a, b in itertools.pairwise(shared)]
    assert min(gaps) >= delay - 0.02, gaps  # the four names queue behind one another, robots.txt included
    solo = sorted(e["t"] for e in crawl.log if e["host"] == "solo")
    assert solo[0] < shared[-1] - 2 * delay  # another address is crawled meanwhile
    assert all(crawl.site(s)["status"] == "ok" for s in sites)
