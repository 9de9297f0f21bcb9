"""Regressions from review: paths and exit status of `nianbao crawl`, signals reaching the crawl child,
a site's crawl recorded even when finishing it fails, a reader crash kept out of the crawl process, and
body-text dates that are not publication dates."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from crawler.items import FetchedDocument, ReportItem, SiteDoneItem
from monitor.model import DateSeen
from monitor.portal.dates import choose_publication
from monitor.portal.page import parse_detail
from nianbao.crawling import CrawlResult, crawl_command
from nianbao.reading import IsolatedReader, ReaderCrashed, Reading
from tests.support.archive import add_site, open_archive
from tests.support.checks import present
from tests.support.cli import Cli
from tests.support.mockportal import MockPortal, write_sites
from tests.support.paths import ROOT
from tests.support.processes import FAST_CRAWL, crawl_env

QUIET = {**FAST_CRAWL, "LOG_LEVEL": "WARNING"}

# ---- 1. a relative --data is the caller's folder ----------------------------------------------


def test_crawl_command_passes_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cmd = crawl_command("mydata", summary="summary.json", items="out/items.jsonl")
    for flag, name in (("--data", "mydata"), ("--summary", "summary.json"), ("--items", "out/items.jsonl")):
        assert cmd[cmd.index(flag) + 1] == str(tmp_path / name)


@pytest.mark.e2e
def test_relative_data_from_another_folder(tmp_path: Path, mock_portal: MockPortal) -> None:
    userdir = tmp_path / "userdir"
    userdir.mkdir()
    sites = write_sites(userdir / "sites.yaml", mock_portal.urls, ("mock-wall403",))
    done = subprocess.run(
        [sys.executable, "-m", "nianbao", "crawl", "--sites", sites.name, "--data", "mydata"],
        capture_output=True,
        text=True,
        env=crawl_env(QUIET),
        cwd=userdir,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "（mock-wall403） 被拦截" in done.stdout
    assert (userdir / "mydata" / "nianbao.db").exists()
    assert list((userdir / "mydata" / "logs").glob("crawl-*.log"))  # the crawl's log beside its archive
    assert not (ROOT / "mydata").exists()


# ---- 1 and 12: the exit status says whether the crawl ran -------------------------------------


@pytest.fixture
def registered(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with open_archive(data) as archive:
        add_site(archive, "s1", "一号机关")
    return data


def _invoke(cli: Cli, data: Path, result: CrawlResult, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    import nianbao.crawling

    monkeypatch.setattr(nianbao.crawling, "run_crawl", lambda *a, **k: result)
    return cli(*args, "--data", data)


def _site(status: str = "ok") -> dict[str, Any]:
    return {
        "site_id": "s1",
        "agency": "一号机关",
        "status": status,
        "run_id": 1,
        "counts": {},
        "problems": [],
    }


def test_no_site_crawled_is_a_failure(registered: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    done = _invoke(cli, registered, CrawlResult(0, sites=[]), monkeypatch, "crawl")
    assert done.exit_code == 2
    assert "抓取没有完成任何站点" in done.output


def test_child_failing_part_way_fails_the_command(
    registered: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    done = _invoke(cli, registered, CrawlResult(1, sites=[_site()]), monkeypatch, "crawl")
    assert "（s1） 正常" in done.output  # the summary is still printed
    assert done.exit_code == 2 and "退出码 1" in done.output
    stopped = _invoke(
        cli,
        registered,
        CrawlResult(0, sites=[_site("error")], signal_received=signal.SIGTERM),
        monkeypatch,
        "crawl",
    )
    assert stopped.exit_code == 128 + signal.SIGTERM and "SIGTERM" in stopped.output


def test_recheck_fails_when_the_child_failed(
    registered: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    done = _invoke(cli, registered, CrawlResult(1, sites=[_site()]), monkeypatch, "recheck", "s1")
    assert done.exit_code == 2 and "退出码 1" in done.output


# ---- 5. stopping `nianbao crawl` stops the crawl ----------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_reaches_the_crawl_child(tmp_path: Path, mock_portal: MockPortal) -> None:
    root = tmp_path / "portals"
    with mock_portal.delayed("slow", 60):
        sites = write_sites(tmp_path / "sites.yaml", mock_portal.urls, ("mock-slow",))
        # A graceful stop waits for the download in flight.
        env = crawl_env({**QUIET, "DOWNLOAD_TIMEOUT": 4, "RETRY_ENABLED": False, "ROBOTSTXT_OBEY": False})

        parent = subprocess.Popen(
            [sys.executable, "-m", "nianbao", "crawl", "--sites", str(sites), "--data", str(root / "data")],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        child = None
        try:
            deadline = time.monotonic() + 60
            while child is None and time.monotonic() < deadline:
                child = next(iter(_children(parent.pid)), None)
                time.sleep(0.2)
            assert child is not None, "no crawl child started"
            time.sleep(3)  # let Scrapy start and install its own handlers
            parent.send_signal(signal.SIGTERM)
            _, err = parent.communicate(timeout=90)
            assert not _alive(child), "the crawl child outlived `nianbao crawl`"
            assert parent.returncode == 128 + signal.SIGTERM, err[-3000:]
            assert "抓取被中止" in err
        finally:
            if parent.poll() is None:
                parent.kill()
            parent.communicate()  # reaps it and closes its pipes
            if child is not None and _alive(child):
                os.kill(child, signal.SIGKILL)


# ---- 11. a failure while finishing a site still records its crawl -----------------------------


def _pipeline(data: Path, sites: list[str]) -> Any:
    from scrapy.settings import Settings

    from crawler.pipelines import IntakePipeline

    with open_archive(data) as archive:
        for site_id in sites:
            add_site(archive, site_id)
    crawler_ = SimpleNamespace(
        settings=Settings(
            {"NIANBAO_DATA": str(data), "NIANBAO_READ_WORKERS": 0, "NIANBAO_TODAY": "2024-06-01"}
        ),
        spider=SimpleNamespace(sites={s: None for s in sites}),
    )
    pipeline = IntakePipeline(crawler_, str(data))  # type: ignore[arg-type]
    pipeline.open_spider()
    return pipeline


def _runs(pipeline: Any) -> list[tuple[str, str, str]]:
    return [
        tuple(r) for r in pipeline.archive.db.execute("SELECT site_id, status, errors FROM runs ORDER BY id")
    ]


def test_failing_to_judge_a_site_records_an_error_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nianbao.crawl_result

    pipeline = _pipeline(tmp_path / "data", ["s1"])

    def busy(**_: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(nianbao.crawl_result, "missing_reports", busy)
    pipeline._finish_site(SiteDoneItem("s1", True))
    ((site_id, status, errors),) = _runs(pipeline)
    assert (site_id, status) == ("s1", "error") and "database is locked" in errors
    assert pipeline.summary[0]["status"] == "error" and "s1" not in pipeline.intakes
    asyncio.run(pipeline.close_spider())


def test_failing_to_write_a_run_records_an_error_run(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path / "data", ["s1"])
    run = pipeline.intakes["s1"].run
    real = run.finish
    calls = []

    def finish_once_busy(status: str, **kwargs: Any) -> Any:
        calls.append(status)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real(status, **kwargs)

    run.finish = finish_once_busy
    pipeline._finish_site(SiteDoneItem("s1", True))
    assert calls == ["ok", "error"]
    assert [r[:2] for r in _runs(pipeline)] == [("s1", "error")]
    asyncio.run(pipeline.close_spider())


def test_a_run_that_cannot_be_written_at_all_is_retried_at_close(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path / "data", ["s1"])
    run = pipeline.intakes["s1"].run
    real = run.finish
    calls = []

    def finish_busy_twice(status: str, **kwargs: Any) -> Any:
        calls.append(status)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return real(status, **kwargs)

    run.finish = finish_busy_twice
    with pytest.raises(sqlite3.OperationalError):
        pipeline._finish_site(SiteDoneItem("s1", True))
    assert "s1" in pipeline.intakes  # not thrown away: close_spider records it
    db = pipeline.archive.db
    asyncio.run(pipeline.close_spider())
    del db
    with open_archive(tmp_path / "data") as archive:
        assert [tuple(r) for r in archive.db.execute("SELECT site_id, status FROM runs")] == [("s1", "error")]


# ---- 15. a file that crashes the reader ------------------------------------------------------


def crashing_reader(data: bytes, path: str, options: Any, content_type: str | None) -> Any:
    """Crashes the worker process on b"crash" (as native PDF code can); never to be called in-process."""
    if multiprocessing.parent_process() is None:
        raise AssertionError("a file that crashed the worker was read in the crawl's own process")
    if data == b"crash":
        os._exit(70)
    return Reading(None, f"read {data.decode()}")


def test_a_file_crashing_the_worker_is_not_read_in_process() -> None:
    async def scenario() -> tuple[Any, ...]:
        reader = IsolatedReader(1, read=crashing_reader)
        try:
            crash = reader.read(b"crash", "http://x/bad.pdf", None, None)  # type: ignore[arg-type]
            other = reader.read(b"fine", "http://x/good.pdf", None, None)  # type: ignore[arg-type]
            results = await asyncio.gather(crash, other, return_exceptions=True)
            after = await reader.read(b"after", "http://x/later.pdf", None, None)  # type: ignore[arg-type]
            return (*results, after, reader.workers)
        finally:
            reader.close()

    crashed, other, after, workers = asyncio.run(scenario())
    assert isinstance(crashed, ReaderCrashed)
    assert other == Reading(None, "read fine")  # queued beside the crash: read again in a fresh worker
    assert after == Reading(None, "read after") and workers == 1  # the worker was restarted


def test_reader_crash_is_a_document_failed_finding(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path / "data", ["s1"])

    class Crashing:
        async def read(self, *args: Any) -> Any:
            raise ReaderCrashed("http://s1.gov.cn/nb/2023.pdf")

        def close(self) -> None:
            pass

    pipeline.reader.close()
    pipeline.reader = pipeline.intakes["s1"].reader = Crashing()
    page = FetchedDocument(
        "http://s1.gov.cn/nb/2023.pdf", "page", body=b"%PDF-1.7 crash", content_type="application/pdf"
    )
    item = ReportItem(
        "s1", page.url, "2023年政府信息公开工作年度报告", 2023, "http://s1.gov.cn/nb/", documents=[page]
    )
    asyncio.run(pipeline._take(item))
    pipeline._finish_site(SiteDoneItem("s1", True, years_listed={2023: [page.url]}))
    problems = pipeline.summary[0]["problems"]
    assert [(p["code"], p["url"], p["evidence"]["kind"]) for p in problems] == [
        ("CRAWL.DOCUMENT_FAILED", page.url, "reader_crashed")
    ]
    codes = [r[0] for r in pipeline.archive.db.execute("SELECT code FROM findings WHERE status = 'open'")]
    assert "CRAWL.DOCUMENT_FAILED" in codes
    asyncio.run(pipeline.close_spider())


# ---- 7. dates in the report body ---------------------------------------------------------------


def test_a_period_in_the_body_is_not_the_publication_date() -> None:
    body = "<p>本报告统计时间：2023年1月1日至2023年12月31日。</p>"
    evidence = [*parse_detail(body, "").dates, DateSeen("list", date(2024, 3, 5), "2024-03-05")]
    chosen = choose_publication(evidence, date(2024, 6, 1), 2023)
    assert chosen is not None and (chosen.source, chosen.date) == ("list", date(2024, 3, 5))


def test_labels_inside_the_report_body_are_not_read() -> None:
    filler = "本机关认真贯彻落实政府信息公开条例，" * 15
    page = (
        "<html><body><div class='info'>来源：本局</div>"
        f"<div class='TRS_Editor'><p>{filler}</p><p>更新时间：2023-06-30，日期：2023-07-01</p></div>"
        "</body></html>"
    )
    assert parse_detail(page, "").dates == []
    header = page.replace("来源：本局", "来源：本局 日期：2024-01-20")
    assert [(e.source, e.date) for e in parse_detail(header, "").dates] == [("text:日期", date(2024, 1, 20))]


def test_a_date_within_the_report_year_is_evidence_not_publication() -> None:
    evidence = [
        DateSeen("text:发布时间", date(2023, 12, 30), "发布时间：2023-12-30"),
        DateSeen("url", date(2024, 1, 20), "t20240120"),
    ]
    assert present(choose_publication(evidence, year=2023)).source == "url"
    assert choose_publication(evidence[:1], year=2023) is None
    assert present(choose_publication(evidence)).source == "text:发布时间"  # year unknown: no bound
