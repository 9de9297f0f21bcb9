"""End to end: crawl the mock portals (one loopback host per CMS family, plus every trap).

One crawl of all the standard sites (tests/support/mockportal), then a second crawl of
the unchanged portals, then a crawl after one report was edited. Each crawl
runs in its own process, as `nianbao crawl` does, into a fresh archive; the
tests assert on what the archive recorded, on the items feed and on the mock
server's request log. Nothing here leaves 127.x.x.x.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nianbao.crawling import CrawlResult, run_crawl
from storage.archive import Archive
from storage.queries import FindingRow, findings
from storage.sitefiles import load_sites
from storage.sites import save_sites
from tests.support.mockportal import MockPortal, expected, write_sites

TODAY = "2024-06-01"
# Tiny delays and a short timeout keep the suite fast; the slow host answers after 4 s.
SETTINGS = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 1.5,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.1,
    "NIANBAO_PROGRESS": False,
    "LOG_LEVEL": "WARNING",
}
FAMILY_SITES = ["mock-trs", "mock-hanweb", "mock-gkmlpt", "mock-jiyue", "mock-robots-optout"]
CONDITIONAL_HOSTS = {"trs", "hanweb", "gkmlpt"}

pytestmark = pytest.mark.e2e


@dataclass
class Crawl:
    result: CrawlResult
    items: list[dict[str, Any]]
    log: list[dict[str, Any]]
    findings: list[FindingRow] = field(default_factory=list)
    reports: int = 0

    def site(self, site_id: str) -> dict[str, Any]:
        return next(s for s in self.result.sites if s["site_id"] == site_id)

    def reports_of(self, site_id: str) -> dict[str, dict[str, Any]]:
        return {
            urlsplit(i["url"]).path: i
            for i in self.items
            if i["kind"] == "report" and i["site_id"] == site_id
        }

    def site_item(self, site_id: str) -> dict[str, Any]:
        return next(i for i in self.items if i["kind"] == "site" and i["site_id"] == site_id)

    def open(self, site_id: str, code: str | None = None) -> list[FindingRow]:
        return [
            f for f in self.findings if f.site == site_id and f.status == "open" and code in (None, f.code)
        ]


@dataclass
class World:
    portal: MockPortal
    data: Path
    trs: Path  # the copy of the TRS host's tree the portal serves (the last crawl edits it)
    tmp: Path
    crawls: dict[str, Crawl] = field(default_factory=dict)

    def crawl(self, name: str, site_ids: list[str] | None = None) -> Crawl:
        self.portal.reset()
        items_path = self.tmp / f"{name}.jsonl"
        result = run_crawl(
            self.data, site_ids, TODAY, settings=SETTINGS, items=items_path, capture=True, timeout=240
        )
        assert result.ok, result.output[-4000:]
        items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines()]
        crawl = Crawl(result, items, self.portal.log())
        with Archive.open(self.data) as archive:
            crawl.findings = findings(archive.db, status="all")
            crawl.reports = archive.db.execute("SELECT count(*) FROM reports").fetchone()[0]
        self.crawls[name] = crawl
        return crawl


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, mock_portal: MockPortal) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("crawl")
    sites_file = write_sites(tmp / "sites.yaml", mock_portal.urls)
    data = tmp / "data"
    with Archive.open(data) as archive:
        save_sites(archive.db, load_sites(sites_file), now=archive.now(), source="test")
    with mock_portal.edit("trs", tmp / "trs") as trs:  # a copy: the last crawl edits a report
        yield World(mock_portal, data, trs, tmp)


@pytest.fixture(scope="module")
def first(world: World) -> Crawl:
    return world.crawl("first")


@pytest.fixture(scope="module")
def second(world: World, first: Crawl) -> Crawl:
    return world.crawl("second", FAMILY_SITES)


@pytest.fixture(scope="module")
def edited(world: World, second: Crawl) -> Crawl:
    page = world.trs / "zfxxgk/zfxxgknb/202301/t20230116_1700011.shtml"
    text = page.read_text(encoding="utf-8")
    page.write_text(
        text.replace('<td>行政处罚</td><td colspan="3">2</td>', '<td>行政处罚</td><td colspan="3">7</td>'),
        encoding="utf-8",
    )
    # Another page changes only its chrome (a view counter): new bytes, the same report.
    chrome = world.trs / "zfxxgk/zfxxgknb/202201/t20220118_1500001.shtml"

    text = chrome.read_text(encoding="utf-8")
    chrome.write_text(text.replace("字号：[", "浏览次数：1024 字号：["), encoding="utf-8")
    return world.crawl("edited", ["mock-trs"])


EXPECTED = expected()
EXPECTED_REPORTS = [(site, r) for site, e in EXPECTED.items() for r in e["reports"]]


# ---- the first crawl: every family --------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_id", "report"), EXPECTED_REPORTS, ids=[f"{s}:{r['path']}" for s, r in EXPECTED_REPORTS]
)
def test_every_report_found_with_year_and_publication_date(
    first: Crawl, site_id: str, report: dict[str, Any]
) -> None:
    item = first.reports_of(site_id).get(report["path"])
    assert item is not None, f"{report['title']} not found"
    assert item["year"] == report["year"]
    publication = item["publication"]
    if report["published"] is None:
        assert publication is None
    else:
        assert (publication["date"], publication["source"]) == (report["published"], report["source"])
    assert item["image_only"] == report.get("image_only", False)


def test_only_the_expected_reports(first: Crawl) -> None:
    for site_id, e in EXPECTED.items():
        assert sorted(first.reports_of(site_id)) == sorted(r["path"] for r in e["reports"]), site_id
    for site_id in FAMILY_SITES:
        assert first.site(site_id)["status"] == "ok"


def test_interpretations_news_and_copies_are_not_reports(first: Crawl) -> None:
    for site_id, e in EXPECTED.items():
        reported = first.reports_of(site_id)
        for ignored in e["ignored"]:
            assert ignored["path"] not in reported, ignored
    assert len(first.site_item("mock-trs")["interpretations"]) == 2
    assert len(first.site_item("mock-hanweb")["interpretations"]) == 2
    assert len(first.site_item("mock-gkmlpt")["interpretations"]) == 1
    # The _wap copy (listed first) and the gkmlpt mpost_ copy are recognised as the same report ...
    assert [d["why"] for d in first.site_item("mock-trs")["duplicates"]] == ["_wap"]
    assert [d["why"] for d in first.site_item("mock-gkmlpt")["duplicates"]] == ["same report"]
    # ... and never fetched.
    paths = {(e["host"], e["path"]) for e in first.log}
    assert ("trs", "/zfxxgk/zfxxgknb/202301/t20230120_1800001_wap.html") not in paths
    assert ("gkmlpt", "/gkmlpt/content/1/1234/mpost_1234567.html") not in paths
    # Interpretation pages are not even downloaded.
    assert ("trs", "/zfxxgk/zfxxgknb/202401/t20240130_1926900.shtml") not in paths


def test_every_list_page_walked(first: Crawl) -> None:
    paths = {(e["host"], e["method"], e["path"]) for e in first.log}
    for n in ("index.shtml", "index_1.shtml", "index_2.shtml"):
        assert ("trs", "GET", f"/zfxxgk/zfxxgknb/{n}") in paths
    proxy = [e for e in first.log if e["path"] == "/module/web/jpage/dataproxy.jsp"]
    assert [e["method"] for e in proxy] == ["POST", "POST"]
    # 13 records: 6 inline, then two calls of perPage 3 x groupSize 2, the last cut at totalrecord.
    assert sorted(e["query"] for e in proxy) == [
        "startrecord=13&endrecord=13&perpage=3",
        "startrecord=7&endrecord=12&perpage=3",
    ]
    api = sorted(e["query"] for e in first.log if e["path"] == "/gkmlpt/api/all/5")
    assert api == ["page=1&sid=2", "page=2&sid=2", "page=3&sid=2"]
    for sub in (
        "2023n/index.html",
        "2023n/bmnb2023/index.html",
        "2023n/bmnb2023/index_1.html",
        "2023n/xzjd2023/index.html",
        "2022n/bmnb2022/index_1.html",
    ):
        assert ("jiyue", "GET", f"/zfxxgk/zfxxgknb/{sub}") in paths
    assert {e["host"] for e in first.log} >= {"trs", "hanweb", "gkmlpt", "jiyue"}
    assert all("nianbao" in e["user_agent"] for e in first.log)


def test_redirect_from_the_old_column_path(first: Crawl) -> None:
    (moved,) = first.site_item("mock-trs")["redirects"]
    assert moved[0].endswith("/zwgk/nianbao/") and moved[1].endswith("/zfxxgk/zfxxgknb/index.shtml")
    assert any(e["host"] == "trs" and e["status"] == 301 for e in first.log)


def test_the_mirror_is_never_contacted(first: Crawl) -> None:
    assert not [e for e in first.log if e["host"] == "mirror"]
    (offsite,) = first.site_item("mock-trs")["offsite"]  # the link is noted, not followed
    assert urlsplit(offsite).hostname == "127.0.0.11"


def test_attachments_are_downloaded_and_stored(first: Crawl, world: World) -> None:
    trs = first.reports_of("mock-trs")["/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml"]
    assert [d["role"] for d in trs["documents"]] == ["page", "attachment", "attachment"]
    assert sorted(d["url"].rsplit(".", 1)[1] for d in trs["documents"][1:]) == ["pdf", "xls"]
    hanweb = first.reports_of("mock-hanweb")["/art/2024/1/23/art_1229000001_568.html"]
    assert sorted(
        d["url"].split("filename=")[1].split("&")[0].rsplit(".", 1)[1] for d in hanweb["documents"][1:]
    ) == ["doc", "wps", "xls"]
    with Archive.open(world.data) as archive:
        stored = {row[0] for row in archive.db.execute("SELECT url FROM documents")}
        for item in (trs, hanweb):
            for doc in item["documents"]:
                assert doc["url"] in stored
        # The report whose page only says "详见附件" is read from its Word attachment.
        (url,) = archive.db.execute(
            """SELECT d.url FROM reports r JOIN documents d ON d.id = r.document_id
               WHERE r.site_id = 'mock-hanweb' AND r.year = 2022 AND r.title LIKE '%交通运输局%'"""
        ).fetchone()
        assert url.endswith(".docx") or ".docx&" in url


def test_image_only_report_is_stored_and_flagged(first: Crawl, world: World) -> None:
    item = first.reports_of("mock-jiyue")["/zfxxgk/zfxxgknb/2023n/bmnb2023/1744277306953564199.html"]
    assert item["image_only"]
    assert [d["role"] for d in item["documents"]] == ["page", "image"]
    (finding,) = first.open("mock-jiyue", "PUB.NOT_MACHINE_READABLE")
    assert finding.year == 2023
    with Archive.open(world.data) as archive:
        (content_type,) = archive.db.execute(
            "SELECT content_type FROM documents WHERE url LIKE '%W020240126518107839760.jpg'"
        ).fetchone()
    assert content_type == "image/jpeg"


def test_gbk_page_is_read(first: Crawl, world: World) -> None:
    with Archive.open(world.data) as archive:
        (title,) = archive.db.execute(
            """SELECT r.title FROM reports r JOIN documents d ON d.id = r.document_id
               WHERE d.url LIKE '%t20240125_1926650.shtml'"""
        ).fetchone()
    assert "青山市司法局" in title


def test_publication_rules(first: Crawl) -> None:
    (late,) = first.open("mock-trs", "PUB.LATE")
    assert late.year == 2022 and late.evidence["published"] == "2023-02-15"
    assert late.evidence["published_source"] == "text:发布时间"
    (unknown,) = first.open("mock-gkmlpt", "PUB.DATE_UNKNOWN")
    assert unknown.year == 2021
    (missing,) = first.open("mock-jiyue", "PUB.MISSING")
    assert missing.year == 2021
    pub = {(f.site, f.code) for f in first.findings if f.code.startswith("PUB.") and f.status == "open"}
    assert pub == {
        ("mock-trs", "PUB.LATE"),
        ("mock-gkmlpt", "PUB.DATE_UNKNOWN"),
        ("mock-jiyue", "PUB.MISSING"),
        ("mock-jiyue", "PUB.NOT_MACHINE_READABLE"),
    }


def test_publication_dates_are_kept_as_evidence(world: World) -> None:
    with Archive.open(world.data) as archive:
        rows = archive.db.execute(
            """SELECT dd.source, dd.value FROM document_dates dd JOIN documents d ON d.id = dd.document_id
               WHERE d.url LIKE '%t20240126_1926800.shtml'"""
        ).fetchall()
    # The URL says the 26th, the page and its PubDate the 29th: all three kept.
    assert set(rows) >= {
        ("url", "2024-01-26"),
        ("list", "2024-01-29"),
        ("meta:PubDate", "2024-01-29"),
        ("text:发布时间", "2024-01-29"),
    }


# ---- the first crawl: traps -------------------------------------------------------------------

TRAPS = [
    ("mock-ruishu", "blocked", "CRAWL.BLOCKED", "ruishu"),
    ("mock-jsl", "blocked", "CRAWL.BLOCKED", "jiasule"),
    ("mock-wall403", "blocked", "CRAWL.BLOCKED", "restricted"),
    ("mock-robots", "blocked", "CRAWL.BLOCKED", "robots"),
    ("mock-slow", "unreachable", "CRAWL.UNREACHABLE", "timeout"),
    ("mock-unreachable", "unreachable", "CRAWL.UNREACHABLE", "refused"),
    ("mock-soft404", "no_report_column", "CRAWL.NO_REPORT_COLUMN", "soft404"),
    ("mock-news", "no_report_column", "CRAWL.NO_REPORT_COLUMN", None),
]


@pytest.mark.parametrize(("site_id", "status", "code", "kind"), TRAPS)
def test_each_trap_yields_its_finding(
    first: Crawl, site_id: str, status: str, code: str, kind: str | None
) -> None:
    site = first.site(site_id)
    assert site["status"] == status
    assert [p["code"] for p in site["problems"]] == [code]
    assert site["problems"][0]["evidence"].get("kind") == kind
    (finding,) = first.open(site_id)  # never "compliant": the crawl problem is open, and nothing else
    assert finding.code == code and finding.message


def test_challenges_are_not_worked_around(first: Crawl) -> None:
    for host in ("ruishu", "jsl", "wall403"):
        requests = [e for e in first.log if e["host"] == host]
        # robots.txt and the start page, once each: no retries, no cookie replay.
        assert sorted(e["path"] for e in requests) == ["/robots.txt", "/zfxxgk/zfxxgknb/"], host


def test_robots_txt_is_obeyed_unless_the_site_opts_out(first: Crawl) -> None:
    pages = [e["path"] for e in first.log if e["host"] == "robots"]
    # Only the opt-out site fetched the column and its report; the obeying site stopped at robots.txt.
    assert pages.count("/zfxxgk/zfxxgknb/index.html") == 1
    assert pages.count("/robots.txt") == 1
    assert first.site("mock-robots-optout")["status"] == "ok"


def test_slow_server_times_out_with_retries(first: Crawl) -> None:
    starts = [e for e in first.log if e["host"] == "slow" and e["path"] == "/zfxxgk/zfxxgknb/index.shtml"]
    assert len(starts) == 2  # RETRY_TIMES=1: the first try and one retry, then CRAWL.UNREACHABLE
    assert starts[1]["t"] - starts[0]["t"] >= 1.5  # the timeout, then the backoff


# ---- the second crawl: nothing changed -----------------------------------------------------------


def _is_document(path: str) -> bool:
    """A report page or attachment (not a list page, an API answer or robots.txt)."""
    if re.search(r"/index(_\d+)?(\.s?html)?$", path) or path.endswith(("/", "/robots.txt", "dataproxy.jsp")):
        return False
    return "/gkmlpt/api/" not in path


def test_second_crawl_downloads_no_report_bodies_again(second: Crawl) -> None:
    documents = [e for e in second.log if e["host"] in CONDITIONAL_HOSTS and _is_document(e["path"])]
    assert len(documents) >= 30
    assert all(e["conditional"] for e in documents)
    assert {e["status"] for e in documents} == {304}
    assert sum(e["bytes"] for e in documents) == 0


def test_second_crawl_without_validators_compares_hashes(first: Crawl, second: Crawl) -> None:
    # The 集约化 host sends no ETag: bodies come again, but nothing is read or recorded again.
    counts = second.site("mock-jiyue")["counts"]
    assert counts["unchanged"] == counts["reports"] == 10 and "checked" not in counts
    assert second.reports == first.reports


def test_second_crawl_changes_no_finding(first: Crawl, second: Crawl) -> None:
    for site_id in FAMILY_SITES:
        site = second.site(site_id)
        assert (site["status"], site["opened"], site["reopened"], site["resolved"]) == ("ok", 0, 0, 0), (
            site_id
        )
    assert [(f.fingerprint, f.status) for f in second.findings] == [
        (f.fingerprint, f.status) for f in first.findings
    ]


# ---- the third crawl: a report edited after publication ------------------------------------------


def test_an_edited_report_is_a_new_version(second: Crawl, edited: Crawl) -> None:
    (changed,) = edited.open("mock-trs", "PUB.CHANGED")
    assert changed.year == 2022 and (changed.url or "").endswith("t20230116_1700011.shtml")
    assert changed.evidence["previous_sha256"] != changed.evidence["sha256"]
    downloaded = sorted(
        e["path"] for e in edited.log if e["host"] == "trs" and _is_document(e["path"]) and e["status"] == 200
    )
    assert downloaded == [
        "/zfxxgk/zfxxgknb/202201/t20220118_1500001.shtml",
        "/zfxxgk/zfxxgknb/202301/t20230116_1700011.shtml",
    ]
    assert edited.reports == second.reports + 2  # new versions are recorded beside the old ones
    assert edited.site("mock-trs")["counts"]["checked"] == 2
    # The page whose view counter changed is read again, but its report did not change.
    assert [f.year for f in edited.open("mock-trs", "PUB.CHANGED")] == [2022]
