"""One way in: a crawled, an ingested and a re-parsed copy of one document are stored and checked alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crawler.items import FetchedDocument, ReportItem, submission_of
from monitor.model import DateSeen
from nianbao.ingest import ingest_bytes
from nianbao.intake import Incoming, Intake, Submission
from nianbao.reparse import reparse
from storage.archive import Archive
from storage.reports import load_report_json
from tests.support.archive import ManualArchive, add_site, manual_clock, memory_archive
from tests.support.paths import FIXTURES

URL = "https://jgsw.example.gov.cn/zfxxgknb/202402/t20240205_1.html"
PUBLISHED = date(2024, 2, 5)  # after the department deadline: PUB.LATE as well
# Seed 001 as a portal page (signed 2023-01-29: DATE.SIGNATURE_YEAR).
DOCUMENT = (FIXTURES / "renderings" / "001_898f82200a7ede38.html").read_bytes()
START = "2024-03-01T09:00:00"


@pytest.fixture
def clock_start() -> str:
    return START


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with the agency of seed 001."""
    add_site(archive, "jgsw", "赣州经开区机关事务管理中心")
    return archive


def stored(archive: Archive) -> tuple[dict[str, Any], list[tuple[str, str, int | None]]]:
    """The current report as stored, and its open findings (code, message, year)."""
    (report_id,) = archive.db.execute("SELECT id FROM latest_reports").fetchone()
    report = load_report_json(archive.db, report_id)
    assert report is not None
    report.pop("path")  # the name it came under
    rows = archive.db.execute(
        "SELECT code, message, year FROM findings WHERE status = 'open' ORDER BY code, message"
    ).fetchall()
    return report, [tuple(r) for r in rows]


def crawled(archive: Archive) -> None:
    """The crawler's path: the spider's item, turned into a submission, taken in by a crawl's intake."""
    page = FetchedDocument(URL, "page", body=DOCUMENT, content_type="text/html; charset=utf-8")
    item = ReportItem(
        "jgsw",
        URL,
        "赣州经开区机关事务管理中心2023年政府信息公开工作年度报告",
        2023,
        "https://jgsw.example.gov.cn/zfxxgknb/",
        publication=DateSeen("text:发布时间", PUBLISHED, "发布时间：2024-02-05", URL),
        date_evidence=[DateSeen("text:发布时间", PUBLISHED, "发布时间：2024-02-05", URL)],
        documents=[page],
    )
    intake = Intake.start(archive, "jgsw", kind="crawl")
    intake.take_now(submission_of(item))
    intake.finish("ok")


def test_crawl_ingest_and_reparse_store_the_same_report_and_findings(
    archive: ManualArchive, tmp_path: Path
) -> None:
    crawled(archive)
    by_crawl = stored(archive)
    assert {code for code, _, _ in by_crawl[1]} == {"DATE.SIGNATURE_YEAR", "PUB.LATE"}

    other = memory_archive(tmp_path / "other", manual_clock(START))

    add_site(other, "jgsw", "赣州经开区机关事务管理中心")
    result = ingest_bytes(other, "jgsw", DOCUMENT, name="2023年报.html", url=URL, published=PUBLISHED)
    assert result.status == "added"
    assert stored(other) == by_crawl
    other.close()

    archive.clock.advance(days=1)
    (again,) = reparse(archive, "jgsw")
    assert again.reports == 1 and again.summary.findings.opened == []
    assert stored(archive) == by_crawl


def test_every_path_is_one_intake(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crawl, ingest and reparse all hand their document to ``Intake.take_now``/``take``: nothing else records."""
    taken: list[str] = []
    real = Intake._record

    def record(self: Intake, step: Any, readings: Any) -> Any:
        taken.append(self.run.kind)
        return real(self, step, readings)

    monkeypatch.setattr(Intake, "_record", record)
    crawled(archive)
    ingest_bytes(archive, "jgsw", DOCUMENT + b"\n", name="x.html", published=PUBLISHED)
    reparse(archive, "jgsw")
    assert taken == ["crawl", "ingest", "reparse", "reparse"]


def test_a_submission_names_its_report_by_key(archive: Archive) -> None:
    intake = Intake.start(archive, "jgsw", kind="crawl")
    outcome = intake.take_now(Submission(URL, [Incoming(URL, DOCUMENT)], year_hint=2022))
    assert outcome.status == "added" and outcome.year == 2023  # the report's own year beats the list's
    intake.finish("ok")
    again = Intake.start(archive, "jgsw", kind="crawl")
    assert again.take_now(Submission(URL, [Incoming(URL, DOCUMENT)])).status == "unchanged"
    again.finish("ok")


# ---- a "详见附件" page is never judged in place of its attachment -------------------------------

WRAPPER = (
    "<html><head><title>赣州经开区机关事务管理中心2023年政府信息公开工作年度报告</title></head><body>"
    "<h1>赣州经开区机关事务管理中心2023年政府信息公开工作年度报告</h1><div class='TRS_Editor'><p>详见附件。</p>"
    "<p><a href='./P020240205.pdf'>2023年度报告.pdf</a></p></div></body></html>"
).encode()
ATTACHMENT = URL.rsplit("/", 1)[0] + "/P020240205.pdf"


def _take(archive: Archive, documents: list[Incoming], failed: list[str] | None = None) -> Any:
    intake = Intake.start(archive, "jgsw", kind="crawl")
    outcome = intake.take_now(Submission(URL, documents, year_hint=2023, failed=failed or []))
    intake.finish("ok")
    return outcome


def _codes(archive: Archive) -> list[str]:
    return [r[0] for r in archive.db.execute("SELECT code FROM findings WHERE status = 'open' ORDER BY code")]


def test_a_wrapper_page_whose_attachment_failed_to_download_is_not_judged(archive: Archive) -> None:
    outcome = _take(archive, [Incoming(URL, WRAPPER)], failed=["2023年度报告.pdf：HTTP 404"])
    assert outcome.status == "withheld" and outcome.findings == []
    assert _codes(archive) == []  # no STRUCT.* from the wrapper (the crawl's finding names the failed file)
    assert archive.db.execute("SELECT count(*) FROM reports").fetchone()[0] == 0


def test_a_wrapper_page_whose_attachment_cannot_be_read_is_a_named_failure(archive: Archive) -> None:
    truncated = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>"  # cut off: no trailer
    outcome = _take(
        archive,
        [
            Incoming(URL, WRAPPER),
            Incoming(ATTACHMENT, truncated, role="attachment", content_type="application/pdf"),
        ],
    )
    assert outcome.status == "unreadable" and outcome.withheld
    assert _codes(archive) == ["CRAWL.DOCUMENT_FAILED"]
    (message, year, url) = archive.db.execute("SELECT message, year, url FROM findings").fetchone()
    assert "2023年度报告的附件无法读取" in message and "未检查" in message and year == 2023
    assert url == ATTACHMENT


def test_a_page_holding_the_report_is_judged_whatever_its_attachment(archive: Archive) -> None:
    outcome = _take(archive, [Incoming(URL, DOCUMENT)], failed=["附件.xls：HTTP 404"])
    assert outcome.status == "added"
    assert "DATE.SIGNATURE_YEAR" in _codes(archive)
