"""Ingesting reports: no-op re-ingest, corrections, regressions, unreadable files, reparse."""

from __future__ import annotations

from datetime import date

import pytest

from nianbao.ingest import ingest_bytes
from nianbao.reparse import reparse
from storage.queries import findings, reports
from storage.reports import load_report_json
from tests.support.archive import ManualArchive, add_site, seed_bytes, snapshot


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with the two agencies of the seeds 000 and 001."""
    add_site(archive, "gzjkq-jgsw", "赣州经开区机关事务管理中心")
    add_site(archive, "gzjkq-jtfw", "赣州经开区教体服务中心")
    return archive


ORIGINAL = seed_bytes("001")  # signed 2023年1月29日: DATE.SIGNATURE_YEAR
CORRECTED = ORIGINAL.replace("2023年1月29日".encode(), "2024年1月29日".encode())


def codes(archive, status="open"):
    return sorted(f.code for f in findings(archive.db, site_id="gzjkq-jgsw", status=status))


def test_seed_is_archived_and_checked(archive):
    result = ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="001.txt", url="https://x.gov.cn/nb/1.html")
    assert result.status == "added" and result.year == 2023
    assert codes(archive) == ["DATE.SIGNATURE_YEAR"]
    (row,) = reports(archive.db, site_id="gzjkq-jgsw")
    assert (row.year, row.url, row.parser_version) == (2023, "https://x.gov.cn/nb/1.html", "1")
    assert archive.blobs.get(row.sha256) == ORIGINAL
    (f,) = findings(archive.db, site_id="gzjkq-jgsw")
    assert f.agency == "赣州经开区机关事务管理中心" and f.url == "https://x.gov.cn/nb/1.html"


def test_identical_reingest_changes_nothing(archive):
    ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="001.txt")
    before = snapshot(archive.db)
    blobs_before = sorted(archive.blobs)
    archive.clock.advance(days=7)
    again = ingest_bytes(
        archive, "gzjkq-jgsw", ORIGINAL, name="renamed-copy.txt", url="https://x.gov.cn/other"
    )
    assert again.status == "unchanged" and again.year == 2023
    assert snapshot(archive.db) == before
    assert sorted(archive.blobs) == blobs_before


def test_correction_resolves_then_regression_reopens(archive):
    # An uploaded file is a version of the site's uploaded report of its year, whatever its name.
    first = ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="in/2023年报.txt")
    archive.clock.advance(days=7)
    second = ingest_bytes(archive, "gzjkq-jgsw", CORRECTED, name="corrected/2023年报（修订版）.docx.txt")
    assert second.status == "added" and second.resolved == 1
    assert codes(archive) == [] and codes(archive, "resolved") == ["DATE.SIGNATURE_YEAR"]

    # Both versions are kept, each with the findings its check produced.
    versions = reports(archive.db, site_id="gzjkq-jgsw", current_only=False)
    assert [v.id for v in versions] == [first.report_id, second.report_id]
    assert [v.open_findings for v in versions] == [0, 0]
    produced = {
        r["report_id"]: r["code"]
        for r in archive.db.query(
            "SELECT rf.report_id, f.code FROM report_findings rf JOIN findings f ON f.id = rf.finding_id"
        )
    }
    assert produced == {first.report_id: "DATE.SIGNATURE_YEAR"}
    assert [r.id for r in reports(archive.db, site_id="gzjkq-jgsw")] == [second.report_id]

    archive.clock.advance(days=7)
    third = ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL + b"\n", name="2023年报.txt")
    assert third.reopened == 1
    (f,) = findings(archive.db, site_id="gzjkq-jgsw")
    assert f.code == "DATE.SIGNATURE_YEAR" and f.reopened == 1 and f.resolved_at is None
    assert f.first_seen == "2024-02-05T09:00:00+08:00" and f.last_seen == "2024-02-19T09:00:00+08:00"


def test_revert_to_the_original_bytes_reopens_what_they_carried(archive):
    """Issue 12, point 17: the 2023 report signed 2023-01-29, a corrected version, then the original
    bytes again (a portal swapping back to the old attachment). The original becomes current again
    and its DATE.SIGNATURE_YEAR reopens."""
    first = ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="2023年报.txt")
    ingest_bytes(archive, "gzjkq-jgsw", CORRECTED, name="2023年报（修订版）.txt")
    assert codes(archive) == [] and codes(archive, "resolved") == ["DATE.SIGNATURE_YEAR"]

    archive.clock.advance(days=7)
    reverted = ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="2023年报.txt")
    assert reverted.status == "added" and reverted.reopened == 1
    (f,) = findings(archive.db, site_id="gzjkq-jgsw")
    assert f.code == "DATE.SIGNATURE_YEAR" and f.reopened == 1 and f.resolved_at is None
    (current,) = reports(archive.db, site_id="gzjkq-jgsw")
    assert (
        archive.db.execute(
            "SELECT d.sha256 FROM reports r JOIN documents d ON d.id = r.document_id WHERE r.id = ?",
            [current.id],
        ).fetchone()[0]
        == first.sha256
    )
    # Ingesting the now-current original once more changes nothing.
    assert ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="again.txt").status == "unchanged"


def test_unreadable_report_keeps_its_bytes_and_leaves_a_finding(archive):
    url = "https://x.gov.cn/nb/2023.html"
    ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="v1.txt", url=url)
    broken = b"PK\x03\x04 this is no docx"
    result = ingest_bytes(archive, "gzjkq-jgsw", broken, name="v2.docx", year=2023, url=url)
    assert result.status == "unreadable" and result.problem
    assert archive.blobs.get(result.sha256) == broken
    # The unreadable version resolves nothing: the defect of the readable one stays open.
    assert codes(archive) == ["CRAWL.DOCUMENT_FAILED", "DATE.SIGNATURE_YEAR"]
    (row,) = archive.db.query(
        "SELECT parsed, parse_error, year FROM reports WHERE id = ?", [result.report_id]
    )
    assert row["parsed"] == 0 and row["parse_error"] and row["year"] == 2023
    assert result.report_id is not None and load_report_json(archive.db, result.report_id) is None
    # A readable version later resolves the failure too.
    ingest_bytes(archive, "gzjkq-jgsw", CORRECTED, name="v3.txt", url=url)
    assert codes(archive) == []


def test_previous_year_and_peers_come_from_the_archive(archive):
    """Rules get last year's report of the site and the other sites' reports of the year alike to it."""
    from nianbao.context import rule_context
    from storage.reports import latest_report
    from storage.sites import get_site

    add_site(archive, "gzjkq-cgj", "赣州经开区城市管理局")
    ingest_bytes(archive, "gzjkq-jtfw", seed_bytes("000"), name="000.txt")
    ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="001.txt")
    copy = seed_bytes("000").decode().replace("教体服务中心", "城市管理局").encode()
    copied = ingest_bytes(archive, "gzjkq-cgj", copy, name="copy.txt")
    assert [f.code for f in copied.findings if f.code == "XREF.COPIED"] == ["XREF.COPIED"]
    site = get_site(archive.db, "gzjkq-jgsw")
    this = latest_report(archive.db, "gzjkq-jgsw", 2023)
    assert site is not None and this is not None
    ctx = rule_context(archive.db, site, this, publication=None, today=date(2024, 2, 5))
    # Seed 001 shares only template wording with 000 and its copy: no peer to compare.
    assert ctx.peers == [] and ctx.previous is None
    original, jtfw = latest_report(archive.db, "gzjkq-jtfw", 2023), get_site(archive.db, "gzjkq-jtfw")
    assert original is not None and jtfw is not None
    ctx = rule_context(archive.db, jtfw, original, publication=None, today=None)
    # The copy already holds the pair's finding: one finding per pair, so it is not compared again.
    assert ctx.peers == []
    the_copy = latest_report(archive.db, "gzjkq-cgj", 2023)
    assert the_copy is not None
    ctx = rule_context(archive.db, site, the_copy, publication=None, today=None)
    assert "赣州经开区教体服务中心" in [p.agency for p in ctx.peers]
    this.year = 2024
    ctx = rule_context(archive.db, site, this, publication=None, today=date(2024, 2, 5))
    assert ctx.previous is not None and ctx.previous.year == 2023 and ctx.peers == []


def test_published_option_is_kept_as_a_date_seen(archive):
    result = ingest_bytes(archive, "gzjkq-jgsw", CORRECTED, name="v.txt", published=date(2024, 3, 2))
    assert "PUB.LATE" in [f.code for f in result.findings]
    (row,) = archive.db.query("SELECT source, value, quote FROM document_dates")
    assert row == {"source": "option", "value": "2024-03-02", "quote": "--published"}


def test_reparse_reads_stored_bytes_again(archive, monkeypatch):
    import monitor

    ingest_bytes(archive, "gzjkq-jgsw", ORIGINAL, name="v1.txt", published=date(2024, 3, 2))
    assert codes(archive) == ["DATE.SIGNATURE_YEAR", "PUB.LATE"]
    monkeypatch.setattr(monitor.model, "PARSER_VERSION", "99")
    archive.clock.advance(days=1)
    (result,) = reparse(archive)
    assert result.reports == 1 and result.unreadable == 0
    # Same options as at ingest (the --published date), same findings, now from parser 99.
    assert codes(archive) == ["DATE.SIGNATURE_YEAR", "PUB.LATE"]
    (row,) = reports(archive.db)
    assert row.parser_version == "99" and row.checked_at == archive.now()
    (run,) = archive.db.query("SELECT kind, status FROM runs WHERE kind = 'reparse'")
    assert run == {"kind": "reparse", "status": "ok"}


def test_unknown_site_is_refused(archive):
    from storage.errors import UnknownSite

    with pytest.raises(UnknownSite):
        ingest_bytes(archive, "nope", ORIGINAL, name="x.txt")
