"""``nianbao db check``: is the archive whole?

Checks SQLite's own integrity and foreign keys, that every document's bytes
are in the blob store (and, with ``verify``, still hash to their name), and
lists what a killed writer may leave behind: blobs no row refers to and
temporary files. Those are harmless (the next run that stores the same bytes
reuses them) and ``remove_orphans`` deletes them — only once they are older
than ``ORPHAN_GRACE`` (24 h): a running crawl stores bodies at once and refers
to them only when its run commits, so a recent unreferenced blob may be in use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from storage.archive import Archive
from storage.migrations import schema_version

# Orphan blobs and temporary files younger than this may belong to a run in progress.
ORPHAN_GRACE = timedelta(hours=24)


@dataclass
class IntegrityReport:
    integrity: str = "ok"
    schema: str | None = None
    foreign_key_errors: list[str] = field(default_factory=list)
    missing_blobs: list[str] = field(default_factory=list)
    corrupt_blobs: list[str] = field(default_factory=list)
    orphan_blobs: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is damaged (orphans and temporary files are not damage)."""
        damaged = self.foreign_key_errors or self.missing_blobs or self.corrupt_blobs
        return self.integrity == "ok" and not damaged


def check_archive(archive: Archive, *, verify: bool = False) -> IntegrityReport:
    db = archive.db
    out = IntegrityReport(schema=schema_version(db))
    out.integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check").fetchall())
    out.foreign_key_errors = [
        f"{table} 第 {rowid} 行引用的 {parent} 不存在"
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()
    ]
    referenced = {row[0] for row in db.execute("SELECT sha256 FROM blobs UNION SELECT sha256 FROM documents")}
    for sha in sorted(referenced):
        if not archive.blobs.has(sha):
            out.missing_blobs.append(sha)
        elif verify and not archive.blobs.verify(sha):
            out.corrupt_blobs.append(sha)
    out.orphan_blobs = [sha for sha in archive.blobs if sha not in referenced]
    out.temp_files = [str(path) for path in archive.blobs.leftovers()]
    for table in ("sites", "runs", "documents", "reports", "findings"):
        out.counts[table] = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    open_sql = "SELECT count(*) FROM findings WHERE resolved_at IS NULL"
    out.counts["open_findings"] = db.execute(open_sql).fetchone()[0]
    return out


def remove_orphans(archive: Archive, report: IntegrityReport, *, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete the orphan blobs and temporary files ``report`` lists that are older than ``grace``.

    Younger ones are kept: a crawl in progress has stored them and will refer to
    them when its run commits. Returns how many were deleted.
    """
    removed, now, limit = 0, time.time(), grace.total_seconds()
    for sha in report.orphan_blobs:
        path = archive.blobs.path(sha)
        if archive.blobs.age(path, now) < limit:
            continue
        referenced = archive.db.execute(
            "SELECT 1 FROM documents WHERE sha256 = ? UNION SELECT 1 FROM blobs WHERE sha256 = ?", [sha, sha]
        ).fetchone()
        if referenced:  # committed since the check
            continue
        path.unlink(missing_ok=True)
        removed += 1
    for tmp in archive.blobs.leftovers():
        if archive.blobs.age(tmp, now) < limit:
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed
