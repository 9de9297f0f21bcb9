"""The crawler's side of the archive: runs, documents, and what a run may resolve."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.codes import Severity
from monitor.model import DateSeen, Finding, Report
from storage.runs import start_run
from tests.support.archive import ManualArchive, add_site, snapshot


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with one site."""
    add_site(archive, "s1", "某区教育局")
    return archive


def F(code: str, severity: Severity = "error", subject: str = "") -> Finding:
    return Finding(code, severity, f"{code} 的说明", {"url": "https://s1.gov.cn/nb/a.html"}, subject)


def report(year: int = 2023) -> Report:
    return Report(
        path="a.html",
        format="html",
        title=f"某区教育局{year}年政府信息公开工作年度报告",
        agency="某区教育局",
        year=year,
    )


def status_of(archive) -> dict[str, str]:
    return {r["code"]: r["status"] for r in archive.db.query("SELECT code, status FROM findings")}


def crawl(archive, status="ok", *, reports=(), site_findings=(), body=b"<html>v1</html>"):
    run = start_run(archive, "s1")
    for findings in reports:
        doc = run.store_document(body, url="https://s1.gov.cn/nb/a.html", content_type="text/html")
        run.record_report(doc, report(), list(findings))
    for finding, year in site_findings:
        run.add_finding(finding, year=year)
    archive.clock.advance(hours=1)
    return run.finish(status, counts={"pages": 3})


def test_store_document_is_content_addressed_and_detects_new_versions(archive):
    run = start_run(archive, "s1")
    url = "https://s1.gov.cn/nb/a.html"
    assert run.previous_fetch(url) is None
    first = run.store_document(
        b"v1",
        url=url,
        etag='"e1"',
        last_modified="Mon, 29 Jan 2024 08:00:00 GMT",
        dates=[DateSeen("meta:PubDate", date(2024, 1, 29), "PubDate")],
    )
    assert first.is_new and not first.is_new_version
    assert archive.blobs.get(first.sha256) == b"v1"
    run.finish("ok")

    previous = start_run(archive, "s1").previous_fetch(url)
    assert previous is not None
    assert previous.sha256 == first.sha256 and previous.etag == '"e1"'
    assert previous.last_modified == "Mon, 29 Jan 2024 08:00:00 GMT"

    archive.clock.advance(days=7)
    run = start_run(archive, "s1")
    same = run.store_document(
        b"v1", url=url, dates=[DateSeen("text:发布时间", date(2024, 1, 30), "发布时间")]
    )
    assert not same.is_new and not same.is_new_version
    changed = run.store_document(b"v2", url=url)
    assert changed.is_new and changed.is_new_version and changed.previous_sha256 == first.sha256
    run.finish("ok")

    docs = list(
        archive.db.query("SELECT id, sha256, first_seen, last_seen, replaces_id FROM documents ORDER BY id")
    )
    assert len(docs) == 2
    assert docs[0]["last_seen"] == archive.now() != docs[0]["first_seen"]
    assert docs[1]["replaces_id"] == docs[0]["id"]
    dates = list(archive.db.query("SELECT source, value FROM document_dates ORDER BY id"))
    assert dates == [
        {"source": "meta:PubDate", "value": "2024-01-29"},
        {"source": "text:发布时间", "value": "2024-01-30"},
    ]


def test_not_modified_marks_the_known_version_seen(archive):
    run = start_run(archive, "s1")
    run.store_document(b"v1", url="https://s1.gov.cn/nb/a.html", etag='"e1"')
    run.finish("ok")
    archive.clock.advance(days=1)
    run = start_run(archive, "s1")
    assert run.document_unchanged("https://s1.gov.cn/nb/unknown.html") is None
    assert run.document_unchanged("https://s1.gov.cn/nb/a.html", etag='"e2"') is not None
    run.finish("ok")
    (doc,) = archive.db.query("SELECT etag, last_seen FROM documents")
    assert doc == {"etag": '"e2"', "last_seen": archive.now()}


def test_a_run_is_written_in_one_transaction(archive):
    before = snapshot(archive.db)
    run = start_run(archive, "s1")
    doc = run.store_document(b"v1", url="https://s1.gov.cn/nb/a.html")
    run.record_report(doc, report(), [F("DATE.SIGNATURE_MISSING", "warning")])
    run.add_finding(F("PUB.MISSING"), year=2022)
    # Nothing reaches the database before finish(); only the blob is on disk.
    assert snapshot(archive.db) == before
    assert archive.blobs.has(doc.sha256)
    summary = run.finish("ok")
    assert len(summary.findings.opened) == 2
    (row,) = archive.db.query("SELECT status, counts, findings_opened FROM runs")
    assert row == {"status": "ok", "counts": "{}", "findings_opened": 2}


def test_a_failing_write_leaves_nothing_behind(archive):
    before = snapshot(archive.db)
    run = start_run(archive, "s1")
    doc = run.store_document(b"v1", url="https://s1.gov.cn/nb/a.html")
    bad = Finding("DATE.SIGNATURE_MISSING", "fatal", "坏的严重程度")  # type: ignore[arg-type]
    run.record_report(doc, report(), [bad])  # violates a CHECK
    with pytest.raises(Exception, match="CHECK"):
        run.finish("ok")
    assert snapshot(archive.db) == before


def test_unreachable_run_resolves_no_report_or_publication_finding(archive):
    """The explicit rule: a run that could not look at the site changes only crawl findings."""
    crawl(archive, reports=[[F("CALC.T3_BALANCE")]], site_findings=[(F("PUB.MISSING"), 2022)])
    assert status_of(archive) == {"CALC.T3_BALANCE": "open", "PUB.MISSING": "open"}

    for status, code in (("unreachable", "CRAWL.UNREACHABLE"), ("blocked", "CRAWL.BLOCKED")):
        crawl(archive, status, site_findings=[(F(code), None)])
        assert status_of(archive)["CALC.T3_BALANCE"] == "open"
        assert status_of(archive)["PUB.MISSING"] == "open"
    # The blocked run resolved the unreachable finding: the site answered, though with a refusal.
    assert status_of(archive)["CRAWL.UNREACHABLE"] == "resolved"
    assert status_of(archive)["CRAWL.BLOCKED"] == "open"

    crawl(archive, "ok", reports=[[]])
    assert status_of(archive) == {
        "CALC.T3_BALANCE": "resolved",
        "PUB.MISSING": "resolved",
        "CRAWL.UNREACHABLE": "resolved",
        "CRAWL.BLOCKED": "resolved",
    }


def test_no_report_column_keeps_publication_findings(archive):
    crawl(archive, site_findings=[(F("PUB.MISSING"), 2022)])
    crawl(archive, "no_report_column", site_findings=[(F("CRAWL.NO_REPORT_COLUMN", "warning"), None)])
    assert status_of(archive) == {"PUB.MISSING": "open", "CRAWL.NO_REPORT_COLUMN": "open"}


def test_error_run_resolves_nothing(archive):
    crawl(archive, "blocked", site_findings=[(F("CRAWL.BLOCKED"), None)])
    crawl(archive, "error")
    assert status_of(archive) == {"CRAWL.BLOCKED": "open"}


def test_ok_run_without_report_keeps_report_findings(archive):
    """Not finding last year's report again is PUB.MISSING's business, not a fix of its defects."""
    crawl(archive, reports=[[F("CALC.T3_BALANCE")]])
    crawl(archive, "ok")
    assert status_of(archive) == {"CALC.T3_BALANCE": "open"}


def test_ingest_run_never_touches_crawl_findings(archive):
    crawl(archive, "unreachable", site_findings=[(F("CRAWL.UNREACHABLE"), None)])
    run = start_run(archive, "s1", kind="ingest")
    doc = run.store_document(b"uploaded", name="report.pdf")
    run.record_report(doc, report(), [])
    run.finish("ok")
    assert status_of(archive) == {"CRAWL.UNREACHABLE": "open"}


def test_pub_changed_is_raised_from_is_new_version_and_resolved_by_next_ok_run(archive):
    crawl(archive, reports=[[]], body=b"v1")
    run = start_run(archive, "s1")
    doc = run.store_document(b"v2", url="https://s1.gov.cn/nb/a.html")
    assert doc.is_new_version and doc.url is not None
    run.add_finding(F("PUB.CHANGED", "info", subject=doc.url), year=2023)
    run.record_report(doc, report(), [])
    run.finish("ok")
    assert status_of(archive) == {"PUB.CHANGED": "open"}
    crawl(archive, reports=[[]], body=b"v2")
    assert status_of(archive) == {"PUB.CHANGED": "resolved"}


def test_two_documents_of_one_year_in_one_run_are_checked_together(archive):
    run = start_run(archive, "s1")
    html = run.store_document(b"<html>page</html>", url="https://s1.gov.cn/nb/a.html")
    pdf = run.store_document(b"%PDF-1.4 attachment", url="https://s1.gov.cn/nb/P0.pdf")
    run.record_report(html, report(), [F("STRUCT.TABLE_MISSING")])
    run.record_report(pdf, report(), [F("CALC.T3_BALANCE")])
    run.finish("ok")
    assert status_of(archive) == {"STRUCT.TABLE_MISSING": "open", "CALC.T3_BALANCE": "open"}


def test_context_manager_records_a_crashed_run_as_error(archive):
    with pytest.raises(RuntimeError), start_run(archive, "s1") as run:
        run.add_finding(F("CRAWL.BLOCKED"))
        raise RuntimeError("spider bug")
    (row,) = archive.db.query("SELECT status, errors FROM runs")
    assert row["status"] == "error" and "spider bug" in row["errors"]


def test_unknown_site_is_refused(archive):
    from storage.errors import UnknownSite

    with pytest.raises(UnknownSite, match="未登记"):
        start_run(archive, "nope")
