"""A portal full of traps (issue 12): no report vanishes, nothing is judged on a "详见附件" page, the crawl stays
within its bounds, stops within seconds, cleans up after itself and listens on no port.

One column lists six reports, each with its own trap: a good report, an attachment that is a gzip bomb,
a report page redirecting to another domain, a truncated attachment, an attachment on which the reader
raises, and one that kills the reader's process. Another column lists 10,000 report links. Every link
must end stored, or as a CRAWL.* finding naming its report and the reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nianbao.crawling import CrawlResult, run_crawl
from storage.archive import Archive
from storage.queries import FindingRow, findings
from storage.sites import Site, save_sites
from tests.support.mockportal import MockPortal, loopback_binds
from tests.support.mockportal import platforms as P

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not loopback_binds("127.0.13.3"), reason="needs 127.0.0.0/8 on loopback"),
]

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2025-06-01"
CAP = 25
FAST = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.1,
    "NIANBAO_PROGRESS": False,
    "LOG_LEVEL": "WARNING",
    "NIANBAO_READ_FUNCTION": "tests.support.mockportal.platforms:trap_reader",
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("hostile")
    traps, elsewhere = P.build_traps(tmp / "traps", "127.0.13.1", "127.0.13.2")
    flood = P.build_flood(tmp / "flood", "127.0.13.3")
    with MockPortal([traps, elsewhere, flood]) as running:
        yield running, tmp


def _archive(data: Path, urls: dict[str, str]) -> None:
    sites = [
        Site(
            id="traps",
            agency=P.TRAP_AGENCY,
            first_year=2019,
            start_urls=[f"{urls['traps']}/{P.TRAP_COLUMN}/"],
        ),
        Site(
            id="flood",
            agency="青山市教育局",
            first_year=2024,
            start_urls=[f"{urls['flood']}/{P.TRAP_COLUMN}/"],
        ),
    ]
    with Archive.open(data) as archive:
        save_sites(archive.db, sites, now=archive.now(), source="test")


@pytest.fixture(scope="module")
def crawled(
    portal: Any,
) -> tuple[CrawlResult, list[dict[str, Any]], list[dict[str, Any]], list[FindingRow], Path]:
    running, tmp = portal
    data = tmp / "data"
    _archive(data, running.urls)
    running.reset()
    items_path = tmp / "items.jsonl"
    settings = {**FAST, "NIANBAO_MAX_REPORTS_PER_SITE": CAP, "REMOTE_CONTROL_JOBS_DIR": str(tmp / "jobs")}
    began = time.monotonic()
    result = run_crawl(data, None, TODAY, settings=settings, items=items_path, capture=True, timeout=300)
    assert result.ok, result.output[-4000:]
    assert time.monotonic() - began < 120
    items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines()]
    with Archive.open(data) as archive:
        rows = findings(archive.db, status="all")
    return result, items, running.log(), rows, tmp


def _open(rows: list[FindingRow], site: str, prefix: str = "") -> list[FindingRow]:
    return [f for f in rows if f.site == site and f.status == "open" and f.code.startswith(prefix)]


# ---- every report link accounted for -----------------------------------------------------------

TRAP_KINDS = {
    2023: ("CRAWL.DOCUMENT_FAILED", "decompression_cap", "2023年度报告附件"),
    2022: ("CRAWL.DOCUMENT_FAILED", "offsite", "2022年度报告页面无法下载（跳转到登记域名之外"),
    2020: ("CRAWL.DOCUMENT_FAILED", "record_failed", "2020年度报告无法读取或记录（OverflowError）"),
    2019: ("CRAWL.DOCUMENT_FAILED", "reader_crashed", "2019年度报告文件读取时读取进程崩溃"),
}


@pytest.mark.parametrize("year", sorted(TRAP_KINDS))
def test_each_trap_is_a_finding_naming_its_report(crawled: Any, year: int) -> None:
    _, _, _, rows, _ = crawled
    code, kind, message = TRAP_KINDS[year]
    found = [f for f in _open(rows, "traps", "CRAWL.") if f.year == year and f.evidence.get("kind") == kind]
    assert found, [(f.year, f.code, f.message) for f in _open(rows, "traps", "CRAWL.")]
    assert found[0].code == code and found[0].message.startswith(message), found[0].message
    assert found[0].evidence["title"] == f"{P.TRAP_AGENCY}{year}年政府信息公开工作年度报告"
    assert found[0].evidence["list_date"] == f"{year + 1}-01-15"


def test_an_unreadable_attachment_is_a_finding_not_a_judged_wrapper_page(crawled: Any) -> None:
    _, _, _, rows, _ = crawled
    (unreadable,) = [f for f in _open(rows, "traps", "CRAWL.") if f.year == 2021]
    assert "2021年度报告的附件无法读取" in unreadable.message and "未检查" in unreadable.message
    assert unreadable.evidence["title"] == f"{P.TRAP_AGENCY}2021年政府信息公开工作年度报告"
    assert unreadable.evidence["list_date"] == "2022-01-15"
    # No STRUCT.* at all: the trap reports were not judged on their 详见附件 pages, the good one is complete.
    assert not _open(rows, "traps", "STRUCT.")
    judged = [f for f in _open(rows, "traps") if not f.code.startswith("CRAWL.") and f.year != 2024]
    assert not judged, [(f.year, f.code, f.message) for f in judged]


def test_every_trap_link_accounted_for(crawled: Any) -> None:
    result, items, log, rows, _ = crawled
    reports = {i["year"] for i in items if i["kind"] == "report" and i["site_id"] == "traps"}
    failed = {f.year for f in _open(rows, "traps", "CRAWL.")}
    assert reports | failed == set(P.TRAPS)
    assert 2024 in reports and 2024 not in failed
    assert not [e for e in log if e["host"] == "elsewhere"]  # the redirect was not followed
    site = next(s for s in result.sites if s["site_id"] == "traps")
    assert site["status"] == "ok" and not site["missing"]  # a trap is not a missing report


def test_a_listing_of_10000_links_is_capped_and_reported(crawled: Any) -> None:
    result, items, log, rows, _ = crawled
    details = [e for e in log if e["host"] == "flood" and "/t2025" in e["path"]]
    assert len(details) == CAP
    stored = [i for i in items if i["kind"] == "report" and i["site_id"] == "flood"]
    (cap,) = [f for f in _open(rows, "flood", "CRAWL.") if f.evidence.get("kind") == "cap"]
    assert len(stored) + cap.evidence["not_fetched"] == P.FLOOD_LINKS
    assert f"每站上限 {CAP} 个" in cap.message and len(cap.evidence["examples"]) == 20
    site = next(s for s in result.sites if s["site_id"] == "flood")
    assert site["status"] == "ok" and site["counts"]["capped"] == P.FLOOD_LINKS - CAP


def test_no_remote_control_endpoint(crawled: Any) -> None:
    _, _, _, _, tmp = crawled
    jobs = tmp / "jobs"
    assert not jobs.exists() or not list(jobs.iterdir())


# ---- stopping, and what a kill leaves behind -----------------------------------------------------


def _child_command(data: Path, summary: Path, **settings: Any) -> list[str]:
    merged = {
        **FAST,
        "NIANBAO_MAX_REPORTS_PER_SITE": 5000,
        "DOWNLOAD_DELAY": 0.2,
        "NIANBAO_STOP_GRACE": 5,
        **settings,
    }
    command = [sys.executable, "-m", "crawler.run", "--data", str(data), "--site", "flood", "--today", TODAY]
    command += ["--summary", str(summary)]
    for key, value in merged.items():
        command += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return command


def _listening_sockets(pid: int) -> list[str]:
    """TCP sockets the process holds in the LISTEN state (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                listening.append(fields[1])
    return listening


def _reports_recorded(data: Path) -> int:
    with Archive.open(data) as archive:
        return int(archive.db.execute("SELECT count(*) FROM reports").fetchone()[0])


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")
def test_sigterm_stops_within_seconds_and_records_the_partial_run(portal: Any, tmp_path: Path) -> None:
    running, _ = portal
    data = tmp_path / "data"
    _archive(data, running.urls)
    summary = tmp_path / "summary.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    running.reset()
    child = subprocess.Popen(
        _child_command(data, summary), cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _reports_in_progress(running) < 15:
            time.sleep(0.2)
        assert not _listening_sockets(child.pid), "the crawl listens on a port"
        os.killpg(child.pid, signal.SIGTERM)  # as `nianbao crawl` passes it on: the readers get it too
        stopped = time.monotonic()
        _, err = child.communicate(timeout=60)
        took = time.monotonic() - stopped
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
    assert took < 10, f"took {took:.1f} s to stop: {err.decode(errors='replace')[-2000:]}"
    with Archive.open(data) as archive:
        runs = [tuple(r) for r in archive.db.execute("SELECT site_id, status, errors FROM runs")]
    assert [(site, status) for site, status, _ in runs] == [("flood", "error")]
    assert "抓取被中止" in runs[0][2]
    assert _reports_recorded(data) > 0  # what was read before the stop is kept
    sites = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    assert [(s["site_id"], s["status"]) for s in sites] == [("flood", "error")]


def _reports_in_progress(running: MockPortal) -> int:
    return sum(1 for e in running.log() if e["host"] == "flood" and "/t2025" in e["path"])


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_a_killed_crawl_leaves_no_temporary_folder_past_the_next_start(portal: Any, tmp_path: Path) -> None:
    from nianbao.crawling import crawl_tmp

    running, _ = portal
    data = tmp_path / "data"
    _archive(data, running.urls)
    settings = {**FAST, "NIANBAO_MAX_REPORTS_PER_SITE": 5000, "DOWNLOAD_DELAY": 0.2, "NIANBAO_STOP_GRACE": 5}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NIANBAO_CRAWL_SETTINGS": json.dumps(settings)}
    parent = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "crawl", "--site", "flood", "--data", str(data), "--today", TODAY],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    child = None
    try:
        deadline = time.monotonic() + 60
        while child is None and time.monotonic() < deadline:
            child = next((pid for pid in _children(parent.pid) if b"crawler.run" in _cmdline(pid)), None)
            time.sleep(0.2)
        assert child is not None
        environ = dict(
            kv.split(b"=", 1) for kv in Path(f"/proc/{child}/environ").read_bytes().split(b"\0") if b"=" in kv
        )
        folder = Path(environ[b"TMPDIR"].decode())
        assert folder.parent == (data / "tmp").resolve() and folder.is_dir()
        parent.kill()  # SIGKILL: the parent cannot clean up; the child is told to stop (PDEATHSIG)
        parent.wait()
        gone = time.monotonic() + 30
        while _alive(child) and time.monotonic() < gone:
            time.sleep(0.2)
        assert not _alive(child)
        assert folder.is_dir()  # left behind by the kill …
        os.utime(folder / ".lock", (time.time() - 60, time.time() - 60))
        with crawl_tmp(data) as fresh:  # … and removed when the next crawl starts
            assert not folder.exists() and fresh.is_dir()
        assert not fresh.exists()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ---- the pipeline and the run, offline ------------------------------------------------------------


def _pipeline(data: Path) -> Any:
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from crawler.pipelines import IntakePipeline
    from tests.support.archive import add_site, open_archive

    with open_archive(data) as archive:
        add_site(archive, "s1")
    crawler_ = SimpleNamespace(
        settings=Settings(
            {"NIANBAO_DATA": str(data), "NIANBAO_READ_WORKERS": 0, "NIANBAO_TODAY": "2024-06-01"}
        ),
        spider=SimpleNamespace(sites={"s1": None}),
    )
    pipeline = IntakePipeline(crawler_, str(data))  # type: ignore[arg-type]
    pipeline.open_spider()
    return pipeline


def test_a_report_that_crashes_the_pipeline_is_a_finding_naming_it(tmp_path: Path) -> None:
    import asyncio

    from crawler.items import FetchedDocument, ReportItem, SiteDoneItem

    pipeline = _pipeline(tmp_path / "data")

    async def overflow(submission: Any) -> Any:
        raise OverflowError("int too large to convert to float")

    pipeline.intakes["s1"].take = overflow
    url = "http://s1.gov.cn/nb/2022.html"
    title, list_url = "某局2022年政府信息公开工作年度报告", "http://s1.gov.cn/nb/"
    listing = {"title": title, "year": 2022, "list_date": "2023-01-20", "list_url": list_url}
    page = FetchedDocument(url, "page", body=b"<html>2022</html>", content_type="text/html")
    item = ReportItem("s1", url, title, 2022, list_url, documents=[page], listing=listing)

    async def scenario() -> None:
        await pipeline.process_item(item)
        await pipeline.process_item(SiteDoneItem("s1", True, years_listed={2022: [url]}))
        await pipeline.close_spider()

    asyncio.run(scenario())
    (site,) = pipeline.summary
    (problem,) = site["problems"]
    assert problem["message"] == "2022年度报告无法读取或记录（OverflowError）"
    assert (problem["evidence"]["kind"], problem["evidence"]["list_date"]) == ("record_failed", "2023-01-20")
    with Archive.open(tmp_path / "data") as archive:
        (code, year) = archive.db.execute(
            "SELECT code, year FROM findings WHERE status = 'open' ORDER BY id"
        ).fetchone()
    assert (code, year) == ("CRAWL.DOCUMENT_FAILED", 2022)


def test_a_site_whose_list_our_code_could_not_read_is_an_error_run(tmp_path: Path) -> None:
    from crawler.items import SiteDoneItem

    pipeline = _pipeline(tmp_path / "data")
    pipeline._finish_site(
        SiteDoneItem("s1", False, errors=["列表页面无法解析（OverflowError）：http://s1.gov.cn/nb/"])
    )
    (site,) = pipeline.summary
    assert site["status"] == "error" and not site["missing"]  # never judged for missing years
    import asyncio

    asyncio.run(pipeline.close_spider())


def test_stale_temporary_folders_are_swept_live_ones_kept(tmp_path: Path) -> None:
    import fcntl

    from nianbao.crawling import sweep_tmp

    root = tmp_path / "tmp"
    dead, live = root / "crawl-dead", root / "crawl-live"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / ".lock").touch()
        (folder / "scratch.bin").write_bytes(b"x" * 10)
    with (live / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_SH)
        assert sweep_tmp(root, min_age=0) == [dead]
    assert not dead.exists() and live.exists()
