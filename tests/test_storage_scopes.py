"""Regression tests: report keys, publication scope, same-run context, orphans, --data typos."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from monitor.errors import NianbaoError
from monitor.model import Publication, Report
from nianbao.ingest import ingest_bytes
from nianbao.intake import Incoming, Intake, Submission
from nianbao.reparse import reparse
from storage.archive import Archive
from storage.integrity import check_archive, remove_orphans
from storage.queries import findings
from storage.runs import start_run
from tests.support.archive import ManualArchive, add_site, seed_bytes

SEED = seed_bytes("002")  # 卫滨区教育局, 2023


@pytest.fixture
def clock_start() -> str:
    return "2024-06-01T09:00:00"


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with one government site."""
    add_site(archive, "s1", "卫滨区人民政府")
    return archive


def pending_reports(intake: Intake) -> list[Report]:
    """The reports the intake's run has read so far, in order (each document was readable)."""
    reports = [p.report for p in intake.run.pending if p.report is not None]
    assert len(reports) == len(intake.run.pending)
    return reports


def open_codes(archive, year=None):
    return sorted(
        ((f.code, f.url) for f in findings(archive.db, site_id="s1", year=year)),
        key=lambda c: (c[0], c[1] or ""),
    )


def crawl(archive, reports, *, pub=date(2024, 3, 1)):
    """One crawl taking in ``reports`` [(url, body)] of the site, each published ``pub``."""
    intake = Intake.start(archive, "s1", kind="crawl")
    for url, body in reports:
        publication = (
            Publication(pub, "text:发布时间", url, "发布时间") if pub else Publication(None, "页面", url)
        )
        intake.take_now(Submission(url, [Incoming(url, body)], publication=publication))
    return intake.finish("ok")


DEPT_A, DEPT_B = "https://s1.gov.cn/bm/a.html", "https://s1.gov.cn/bm/b.html"


def test_rechecking_one_department_leaves_the_other_departments_findings_open(archive):
    """Item 2 (repro A): 部门年报 of one site and year each have their own scope."""
    crawl(archive, [(DEPT_A, SEED), (DEPT_B, SEED + b" ")])
    assert [c for c, u in open_codes(archive) if c == "PUB.LATE"] == ["PUB.LATE", "PUB.LATE"]
    archive.clock.advance(days=7)
    # Only department B's page changed (a view counter); A is not read again.
    summary = crawl(archive, [(DEPT_B, SEED + "浏览次数：124".encode())])
    assert summary.findings.resolved == []
    assert ("PUB.LATE", DEPT_A) in open_codes(archive)


def test_reparse_rereads_every_current_report_of_a_year(archive):
    """Item 2 (repro B): reparse re-reads all reports of a year, and resolves none of them."""
    crawl(archive, [(DEPT_A, SEED), (DEPT_B, SEED + b" ")])
    before = open_codes(archive)
    (result,) = reparse(archive, "s1")
    assert result.reports == 2
    assert result.summary.findings.resolved == []
    assert open_codes(archive) == before


def test_ingest_without_published_keeps_publication_findings(archive):
    """Item 8: a late publication is a historical fact an ingest without --published cannot undo."""
    crawl(archive, [(DEPT_A, SEED)])
    assert ("PUB.LATE", DEPT_A) in open_codes(archive)
    archive.clock.advance(days=2)
    fixed = SEED + "\n\n卫滨区教育局\n2024年1月25日\n".encode()
    ingest_bytes(archive, "s1", fixed, name="corrected.txt", url=DEPT_A)
    assert ("PUB.LATE", DEPT_A) in open_codes(archive)
    reparse(archive, "s1")
    assert ("PUB.LATE", DEPT_A) in open_codes(archive)
    # An ingest that gives the publication date again may resolve it.
    ingest_bytes(archive, "s1", fixed + b" ", name="c2.txt", url=DEPT_A, published=date(2024, 1, 20))
    assert "PUB.LATE" not in [c for c, _ in open_codes(archive)]


def test_crawl_without_a_date_does_not_resolve_pub_late(archive):
    """Item 8: only a crawl that re-established the publication date resolves PUB.LATE."""
    crawl(archive, [(DEPT_A, SEED)])
    archive.clock.advance(days=7)
    crawl(archive, [(DEPT_A, SEED + b" ")], pub=None)
    assert {"PUB.LATE", "PUB.DATE_UNKNOWN"} <= {c for c, _ in open_codes(archive)}
    archive.clock.advance(days=7)
    crawl(archive, [(DEPT_A, SEED + b"  ")], pub=date(2024, 1, 20))
    assert not {"PUB.LATE", "PUB.DATE_UNKNOWN"} & {c for c, _ in open_codes(archive)}


def test_carryover_sees_the_previous_year_found_in_the_same_crawl(archive):
    """Item 3: the year before, recorded in the same run (before or after), is the check's context."""
    text = SEED.decode()
    report_2022 = text.replace("2023", "2022").encode()
    for order in ((2022, 2023), (2023, 2022)):
        intake = Intake.start(archive, "s1", kind="crawl")
        bodies = {2022: report_2022, 2023: SEED}
        for year in order:
            url = f"https://s1.gov.cn/nb/{year}-{order[0]}.html"
            outcome = intake.take_now(Submission(url, [Incoming(url, bodies[year])]))
            assert outcome.year == year
        pending = {report.year: report for report in pending_reports(intake)}
        # Whatever the order, the 2023 report is checked with the 2022 one as context.
        from nianbao.context import previous_report

        assert (
            previous_report(archive.db, intake.run.site, pending[2023], pending=intake.run.pending_reports())
            is (pending[2022])
        )
        intake.finish("ok")


def test_carryover_finding_is_produced_in_the_first_crawl(archive):
    """Item 3 end to end: XREF.* findings of a 2023 report checked before its 2022 report."""
    from nianbao.context import check_report

    report_2022 = SEED.decode().replace("2023", "2022").encode()
    url22, url23 = "https://s1.gov.cn/nb/2022.html", "https://s1.gov.cn/nb/2023.html"
    intake = Intake.start(archive, "s1", kind="crawl")
    for url, body in ((url23, SEED), (url22, report_2022)):
        intake.take_now(Submission(url, [Incoming(url, body)]))
    r23, r22 = pending_reports(intake)
    expected = check_report(archive.db, intake.run.site, r23, pending=[(url22, r22)])
    without = check_report(archive.db, intake.run.site, r23)
    assert {f.code for f in expected} != {f.code for f in without}  # the context matters
    intake.finish("ok")
    stored = {f.code for f in findings(archive.db, site_id="s1", year=2023)}
    assert {f.code for f in expected if f.code.startswith("XREF.")} <= stored
    assert any(f.code.startswith("XREF.") for f in expected)


def test_parse_failure_without_a_year_is_resolved_by_a_readable_version(archive):
    """Item 13: CRAWL.DOCUMENT_FAILED (year None) resolved by a readable version of the same report."""
    result = ingest_bytes(archive, "s1", b"PK\x03\x04 broken", name="2023年报.docx")
    assert result.status == "unreadable"
    (failed,) = findings(archive.db, site_id="s1")
    assert (failed.code, failed.year) == ("CRAWL.DOCUMENT_FAILED", None)
    # A readable upload replaces the broken one, whatever its file name.
    ingest_bytes(archive, "s1", SEED, name="2023年报（修订）.txt")
    assert "CRAWL.DOCUMENT_FAILED" not in [c for c, _ in open_codes(archive)]
    # Another report's readable file (published at another address) does not resolve it.
    ingest_bytes(archive, "s1", b"PK\x03\x04 broken too", name="a.docx", url="https://s1.gov.cn/nb/a.html")
    ingest_bytes(archive, "s1", SEED + b" ", name="b.txt", url="https://s1.gov.cn/nb/b.html")
    assert "CRAWL.DOCUMENT_FAILED" in [c for c, _ in open_codes(archive)]


def test_remove_orphans_keeps_the_bodies_of_a_crawl_in_progress(archive):
    """Item 4: db check --remove-orphans during a crawl must not delete its bodies."""
    run = start_run(archive, "s1", kind="crawl")
    doc = run.store_document(SEED, url="https://s1.gov.cn/nb/1.html")
    report = check_archive(archive)
    assert report.orphan_blobs == [doc.sha256]
    assert remove_orphans(archive, report) == 0
    run.finish("ok")
    assert check_archive(archive).ok


def test_open_without_create_refuses_a_missing_archive(tmp_path):
    """Item 10: a mistyped --data is an error naming the missing nianbao.db, and creates nothing."""
    from storage.errors import ArchiveNotFound

    with pytest.raises(ArchiveNotFound) as caught:
        Archive.open(tmp_path / "typo", create=False)
    assert isinstance(caught.value, NianbaoError)
    assert "nianbao.db" in str(caught.value)
    assert not (tmp_path / "typo").exists()
    Archive.open(tmp_path / "new").close()
    Archive.open(tmp_path / "new", create=False).close()


@pytest.mark.parametrize(
    "args",
    [["findings"], ["sites", "list"], ["reparse"], ["db", "check"]],
)
def test_read_only_commands_refuse_a_mistyped_data_dir(tmp_path, args, cli):
    result = cli(*args, "--data", tmp_path / "typo")
    assert result.exit_code == 2, result.output
    assert "nianbao.db" in result.output
    assert not (tmp_path / "typo").exists()


def test_migration_from_m001_keys_reports_and_moves_publication_findings(tmp_path):
    """The m002 migration upgrades an archive written by m001 without losing history."""
    from sqlite_utils import Database

    from storage.migrations import migrations

    path = tmp_path / "nianbao.db"
    db = Database(sqlite3.connect(path))
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before="m002_report_keys")
    db.execute(
        "INSERT INTO sites (id, agency, level, added_at, updated_at) VALUES ('s1', '甲', 'department', 'x', 'x')"
    )
    db.execute("INSERT INTO blobs VALUES ('ab', 1, 'x')")
    db.execute(
        "INSERT INTO documents (id, site_id, url, sha256, size, origin, first_seen, last_seen)"
        " VALUES (1, 's1', 'https://s1/a', 'ab', 1, 'crawl', 'x', 'x')"
    )
    db.execute(
        "INSERT INTO reports (id, site_id, year, document_id, parser_version, recorded_at, parsed_at, checked_at)"
        " VALUES (1, 's1', 2023, 1, '1', 'x', 'x', 'x')"
    )
    for fid, code in ((1, "PUB.LATE"), (2, "DATE.SIGNATURE_YEAR")):
        db.execute(
            "INSERT INTO findings (id, fingerprint, site_id, year, code, scope, severity, message, report_id,"
            f" first_seen, last_seen) VALUES ({fid}, 'fp{fid}', 's1', 2023, '{code}', 'report', 'error', 'm', 1,"
            " 'x', 'x')"
        )
        db.execute(f"INSERT INTO finding_events (finding_id, event, at) VALUES ({fid}, 'opened', 'x')")
    db.conn.commit()
    db.close()
    with Archive.open(tmp_path) as archive:
        rows = archive.db.execute(
            "SELECT code, scope, report_key, fingerprint FROM findings ORDER BY id"
        ).fetchall()
        assert [r[:3] for r in rows] == [
            ("PUB.LATE", "publication", "https://s1/a"),
            ("DATE.SIGNATURE_YEAR", "report", "https://s1/a"),
        ]
        assert all(not r[3].startswith("fp") for r in rows)
        assert archive.db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert archive.db.execute("SELECT count(*) FROM finding_events").fetchone()[0] == 2
        assert archive.db.execute("SELECT report_key FROM latest_reports").fetchall() == [("https://s1/a",)]
