"""An archive whose cost per report does not grow: m003, the current-report table, the query plans."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from sqlite_utils import Database

from monitor.model import Finding
from nianbao.ingest import ingest_bytes
from nianbao.reparse import reparse
from storage import queries
from storage.db import write_transaction
from storage.findings import Observed, Scope, reconcile
from storage.migrations import migrate, migrations
from storage.reports import load_report_json, write_report
from tests.support.archive import add_site, manual_clock, open_archive, seed_bytes

ORIGINAL = seed_bytes("001")
CORRECTED = ORIGINAL.replace("2023年1月29日".encode(), "2024年1月29日".encode())
# The definition of a current report before m003: a subquery per row.
OLD_CURRENT = """SELECT r.id FROM reports r
                 WHERE r.id = (SELECT r2.id FROM reports r2
                               WHERE r2.site_id = r.site_id AND r2.year IS r.year AND r2.report_key IS r.report_key
                               ORDER BY r2.checked_at DESC, r2.id DESC LIMIT 1) ORDER BY r.id"""


@pytest.fixture
def archive(tmp_path):
    archive = open_archive(tmp_path / "data", manual_clock())
    add_site(archive, "a", "赣州经开区机关事务管理中心")
    add_site(archive, "b", "赣州经开区教体服务中心")
    yield archive
    archive.close()


def current_ids(db: Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT report_id FROM current_reports ORDER BY report_id").fetchall()]


def plan(db: Database, sql: str, params: list[object]) -> str:
    return "\n".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())


# --- m003 on an archive of the previous schema ---------------------------------------------------


def test_m003_keeps_every_report_and_finding_of_an_m002_archive():
    db = Database(memory=True)
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before="m003_archive_scale")
    now = "2024-02-05T09:00:00+08:00"
    report_json = json.dumps(
        {"path": "a.txt", "format": "text", "agency": "甲局", "year": 2023}, ensure_ascii=False
    )
    with db.conn:
        db.execute(
            "INSERT INTO sites (id, agency, level, added_at, updated_at) VALUES ('a', '甲局', 'department', ?, ?)",
            [now, now],
        )
        for n in (1, 2, 3):
            db.execute("INSERT INTO blobs (sha256, size, stored_at) VALUES (?, 1, ?)", [f"{n:064x}", now])
            db.execute(
                "INSERT INTO documents (id, site_id, name, sha256, size, origin, first_seen, last_seen)"
                " VALUES (?, 'a', ?, ?, 1, 'ingest', ?, ?)",
                [n, f"{n}.txt", f"{n:064x}", now, now],
            )
        # Two versions of the 2023 upload (the newer one unreadable) and the 2022 one.
        for report_id, year, document, body, checked in (
            (1, 2023, 1, report_json, "2024-02-05T09:00:00+08:00"),
            (2, 2023, 2, None, "2024-02-06T09:00:00+08:00"),
            (3, 2022, 3, report_json, "2024-02-05T09:00:00+08:00"),
        ):
            db.execute(
                """INSERT INTO reports (id, site_id, year, document_id, parser_version, report_json, parse_error,
                       recorded_at, parsed_at, checked_at, report_key) VALUES (?, 'a', ?, ?, '1', ?, ?, ?, ?, ?, 'upload')""",
                [report_id, year, document, body, None if body else "无法读取", now, now, checked],
            )
        db.execute(
            """INSERT INTO findings (id, fingerprint, site_id, year, report_key, code, scope, severity, message,
                   evidence, report_id, first_seen, last_seen)
               VALUES (1, 'fp', 'a', 2023, 'upload', 'DATE.SIGNATURE_YEAR', 'report', 'warning', '新', '{}', 1, ?, ?)""",
            [now, now],
        )
        db.execute("INSERT INTO report_findings VALUES (1, 1, '新', '{}')")
        db.execute("INSERT INTO report_findings VALUES (3, 1, '旧', '{\"x\": 1}')")
    migrate(db)
    assert [m.name for m in migrations.pending(db)] == []
    # The current reports are the ones the old definition chose; the wide column is gone.
    assert [r[0] for r in db.execute("SELECT id FROM latest_reports ORDER BY id").fetchall()] == [2, 3]
    assert "report_json" not in {c[1] for c in db.execute("PRAGMA table_info(reports)")}
    assert db.execute("SELECT id, parsed FROM reports ORDER BY id").fetchall() == [(1, 1), (2, 0), (3, 1)]
    assert load_report_json(db, 1) == json.loads(report_json) and load_report_json(db, 2) is None
    # A version's words are kept only where they differ from the finding's own.
    rows = db.execute(
        "SELECT report_id, message, evidence FROM report_findings ORDER BY report_id"
    ).fetchall()
    assert rows == [(1, None, None), (3, "旧", '{"x": 1}')]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- the current report, kept at write time ------------------------------------------------------


def test_current_reports_follow_every_write_as_the_old_definition_did(archive):
    ingest_bytes(archive, "a", ORIGINAL, name="v1.txt")
    archive.clock.advance(days=1)
    ingest_bytes(archive, "a", CORRECTED, name="v2.txt")
    archive.clock.advance(days=1)
    ingest_bytes(archive, "a", ORIGINAL, name="v1-again.txt")  # the earlier version becomes current again
    ingest_bytes(archive, "a", b"\x00\x01 not a report", name="broken.txt", url="https://a/x")
    ingest_bytes(archive, "b", seed_bytes("000"), name="b.txt", year=2022)
    assert current_ids(archive.db) == [r[0] for r in archive.db.execute(OLD_CURRENT).fetchall()]
    assert len(current_ids(archive.db)) == 3
    # A reparse that reads a different year moves the version; its old slot falls back to the one before.
    archive.clock.advance(days=1)
    reparse(archive)
    assert current_ids(archive.db) == [r[0] for r in archive.db.execute(OLD_CURRENT).fetchall()]
    # Only current versions are in the similarity index.
    banded = {r[0] for r in archive.db.execute("SELECT DISTINCT report_id FROM report_bands").fetchall()}
    parsed = {
        r[0] for r in archive.db.execute("SELECT report_id FROM current_reports WHERE parsed = 1").fetchall()
    }
    assert banded == parsed


def test_a_changed_message_keeps_the_earlier_versions_words(archive):
    scope = Scope("a", "report", 2023, "upload")
    with write_transaction(archive.db):
        for report_id, message in ((1, "落款日期为2023年1月29日"), (2, "落款日期为2023年1月30日")):
            archive.db.execute(
                "INSERT INTO blobs (sha256, size, stored_at) VALUES (?, 1, 'x')", [f"{report_id:064x}"]
            )
            document = archive.db.execute(
                "INSERT INTO documents (site_id, sha256, size, origin, first_seen, last_seen)"
                " VALUES ('a', ?, 1, 'ingest', 'x', 'x')",
                [f"{report_id:064x}"],
            ).lastrowid
            write_report(
                archive.db,
                site_id="a",
                document_id=int(document or 0),
                year=2023,
                report=None,
                parse_error="x",
                run_id=None,
                now=archive.now(),
                report_key="upload",
            )
            found = Finding("DATE.SIGNATURE_YEAR", "warning", message, {"signed": message[-10:]})
            reconcile(
                archive.db,
                scope,
                [Observed(found, 2023, None, report_id)],
                now=archive.now(),
                run_id=None,
                resolve_missing=True,
            )
    rows = archive.db.execute(
        """SELECT rf.report_id, coalesce(rf.message, f.message) FROM report_findings rf
           JOIN findings f ON f.id = rf.finding_id ORDER BY rf.report_id"""
    ).fetchall()
    assert rows == [(1, "落款日期为2023年1月29日"), (2, "落款日期为2023年1月30日")]
    assert archive.db.execute("SELECT message FROM report_findings WHERE report_id = 2").fetchone() == (None,)


# --- every hot query uses an index ---------------------------------------------------------------

HOT: dict[str, tuple[str, list[object]]] = {
    "similar reports of a year (a band key)": (
        "SELECT report_id FROM (SELECT report_id FROM report_bands WHERE year = ? AND key = ? LIMIT ?)",
        [2023, 1, 32],
    ),
    "similar reports of a year (their sketches)": (
        """SELECT s.report_id, c.site_id, c.report_key, r.parsed_at, s.shingles, s.signature
           FROM current_reports c JOIN reports r ON r.id = c.report_id
           JOIN report_sketches s ON s.report_id = c.report_id
           WHERE c.report_id IN (?, ?) AND c.site_id != ?""",
        [1, 2, "a"],
    ),
    "a site's current reports of a year": (
        """SELECT c.report_key, r.id, r.parsed_at, r.agency FROM current_reports c JOIN reports r ON r.id = c.report_id
           WHERE c.site_id = ? AND c.year = ? AND c.parsed = 1 ORDER BY c.checked_at DESC, c.report_id DESC""",
        ["a", 2023],
    ),
    "electing the current version": (
        """SELECT id, parsed, checked_at FROM reports WHERE site_id = ? AND year IS ? AND report_key IS ?
           ORDER BY checked_at DESC, id DESC LIMIT 1""",
        ["a", 2023, "upload"],
    ),
    "open findings, most severe first": (
        "SELECT f.id FROM findings f WHERE f.status = ? ORDER BY f.severity_rank, f.site_id, f.year, f.code,"
        " f.first_seen, f.id",
        ["open"],
    ),
    "a week's changes": (
        "SELECT e.finding_id FROM finding_events e WHERE e.event = ? AND e.at >= ? AND e.at < ?",
        ["opened", "2024-02-05", "2024-02-12"],
    ),
    "a report's open copy finding": (
        """SELECT 1 FROM findings WHERE site_id = ? AND scope = 'report' AND year IS ? AND report_key IS ?
           AND code = ? AND subject = ? AND resolved_at IS NULL LIMIT 1""",
        ["a", 2023, "upload", "XREF.COPIED", "x"],
    ),
    "the latest crawl of every site": (
        """SELECT r.* FROM sites s
           JOIN runs r ON r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.site_id = s.id AND r2.kind = ?)""",
        ["crawl"],
    ),
    "a batch's run of a site": (
        "SELECT id FROM runs WHERE batch = ? AND site_id = ? AND kind = 'crawl'",
        ["b", "a"],
    ),
    "the last fetch of a URL": (
        """SELECT id FROM documents WHERE url = ? AND site_id = ? ORDER BY last_seen DESC, id DESC LIMIT 1""",
        ["https://a/x", "a"],
    ),
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_queries_use_an_index(archive, name):
    ingest_bytes(archive, "a", ORIGINAL, name="v1.txt")
    sql, params = HOT[name]
    found = plan(archive.db, sql, params)
    assert "INDEX" in found or "PRIMARY KEY" in found, found
    # The only scan: the registry, for "every site".
    allowed = {"SCAN s USING COVERING INDEX sqlite_autoindex_sites_1"}
    scans = {line for line in found.splitlines() if line.startswith("SCAN")}
    assert scans <= allowed, found
    if name == "open findings, most severe first":
        assert "TEMP B-TREE" not in found, found


def test_findings_stream_one_row_at_a_time(archive):
    """``iter_findings`` holds one row, not the archive's findings: memory does not grow with them."""
    with write_transaction(archive.db):
        for n in range(3000):
            archive.db.execute(
                """INSERT INTO findings (fingerprint, site_id, year, code, subject, scope, severity, message,
                       evidence, first_seen, last_seen) VALUES (?, 'a', 2023, 'STRUCT.BLANK_CELLS', ?, 'report',
                       'warning', ?, '{"cells": ["表三第一行"]}', 'x', 'x')""",
                [f"fp{n}", f"s{n}", "表格有空白单元格" * 20],
            )
    assert sum(1 for _ in queries.iter_findings(archive.db, status="all")) == 3000  # warm: caches, regexes
    rows = queries.iter_findings(archive.db, status="all")
    tracemalloc.start()
    first = next(rows)
    _, before = tracemalloc.get_traced_memory()
    count = 1 + sum(1 for _ in rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 3000 and first.site == "a"
    assert peak - before < 200_000, peak - before  # the list of 3000 rows would take several MB
