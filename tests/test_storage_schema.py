"""The database file: migrations, pragmas, readable tables, the blob store, db check."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

from storage.archive import Archive
from storage.blobs import BlobStore, sha256_of
from storage.integrity import check_archive, remove_orphans
from storage.migrations import migrations, schema_version
from tests.support.archive import TABLES, add_site


def test_new_archive_is_migrated_in_wal_with_foreign_keys(tmp_path):
    with Archive.open(tmp_path / "data") as archive:
        assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert schema_version(archive.db) == [m.name for m in migrations.applied(archive.db)][-1]
        assert {"reviews", "site_events", "report_bodies", "current_reports", "report_bands"} <= set(
            archive.db.table_names()
        )
        assert set(TABLES) <= set(archive.db.table_names())
        assert {"latest_reports", "latest_runs", "open_findings"} <= set(archive.db.view_names())
    # Opening again applies nothing twice.
    with Archive.open(tmp_path / "data") as archive:
        names = [m.name for m in migrations.applied(archive.db)]
        assert names[:2] == ["m001_initial", "m002_report_keys"]
        assert {"m003_archive_scale", "m004_reviews", "m005_site_contacts"} <= set(names)
        assert len(names) == len(set(names))
        assert migrations.pending(archive.db) == []


def test_foreign_keys_are_enforced(archive):
    try:
        archive.db.execute(
            "INSERT INTO runs (site_id, kind, status, started_at) VALUES ('ghost', 'crawl', 'ok', 'x')"
        )
    except sqlite3.IntegrityError as exc:
        assert "FOREIGN KEY" in str(exc)
    else:
        raise AssertionError("a run of an unknown site was accepted")


def test_plain_sqlite3_shell_reads_it(disk_archive, tmp_path):
    add_site(disk_archive, "s1", "甲局")
    disk_archive.close()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
            "print(c.execute('select agency, level from sites').fetchall());"
            "print([r[1] for r in c.execute('pragma table_xinfo(findings)')])",
            str(tmp_path / "data" / "nianbao.db"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "('甲局', 'department')" in out
    for column in ("code", "severity", "first_seen", "last_seen", "resolved_at", "status", "reopened"):
        assert f"'{column}'" in out


def test_blob_store_is_content_addressed(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    digest = store.put(b"report")
    assert digest == sha256_of(b"report")
    assert store.path(digest) == tmp_path / "blobs" / digest[:2] / digest[2:4] / digest
    assert store.put(b"report") == digest and list(store) == [digest]
    assert store.get(digest) == b"report" and store.verify(digest)
    assert store.leftovers() == []


def test_db_check_finds_missing_corrupt_and_orphan_blobs(archive):
    from storage.runs import start_run

    add_site(archive, "s1")
    run = start_run(archive, "s1")
    kept = run.store_document(b"kept", url="https://s1.gov.cn/a")
    lost = run.store_document(b"lost", url="https://s1.gov.cn/b")
    run.finish("ok")
    assert check_archive(archive).ok
    orphan = archive.blobs.put(b"stored by a run that was killed")
    (archive.blobs.tmp / "half-written").write_bytes(b"x")
    archive.blobs.path(lost.sha256).unlink()
    archive.blobs.path(kept.sha256).write_bytes(b"tampered")
    report = check_archive(archive, verify=True)
    assert not report.ok
    assert report.missing_blobs == [lost.sha256]
    assert report.corrupt_blobs == [kept.sha256]
    assert report.orphan_blobs == [orphan]
    assert len(report.temp_files) == 1
    # Recent leftovers may belong to a crawl in progress: kept for a day.
    assert remove_orphans(archive, report) == 0
    day_ago = time.time() - 25 * 3600
    for path in (archive.blobs.path(orphan), archive.blobs.tmp / "half-written"):
        os.utime(path, (day_ago, day_ago))
    assert remove_orphans(archive, report) == 2
    assert check_archive(archive).orphan_blobs == []
