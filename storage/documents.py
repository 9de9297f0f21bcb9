"""Documents: every fetched or ingested body, one row per (site, URL, content).

The bytes live in the blob store under their sha256; a row records where and
when they were seen, the HTTP validators for conditional requests, and every
date seen for the document (``document_dates``). A URL whose content changes
gets a new row whose ``replaces_id`` points at the version it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from monitor.model import DateSeen


@dataclass(frozen=True)
class PreviousFetch:
    """What the archive knows of the last fetch of a URL (for conditional requests)."""

    document_id: int
    site_id: str
    url: str
    sha256: str
    size: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    last_seen: str


def previous_fetch(db: Database, url: str, *, site_id: str | None = None) -> PreviousFetch | None:
    """The most recently seen version of ``url`` (of ``site_id`` if given)."""
    sql = """SELECT id, site_id, url, sha256, size, content_type, etag, last_modified, last_seen
             FROM documents WHERE url = ?"""
    params: list[object] = [url]
    if site_id is not None:
        sql += " AND site_id = ?"
        params.append(site_id)
    row = db.execute(sql + " ORDER BY last_seen DESC, id DESC LIMIT 1", params).fetchone()
    return PreviousFetch(*row) if row else None


def last_fetches(db: Database, site_id: str) -> list[PreviousFetch]:
    """The most recently seen version of every URL of a site (what a crawl elsewhere needs to ask for changes only)."""
    rows = db.execute(
        """SELECT id, site_id, url, sha256, size, content_type, etag, last_modified, last_seen
           FROM documents WHERE site_id = ? AND url IS NOT NULL ORDER BY url, last_seen DESC, id DESC""",
        [site_id],
    ).fetchall()
    latest: dict[str, PreviousFetch] = {}
    for row in rows:
        latest.setdefault(row[2], PreviousFetch(*row))
    return list(latest.values())


def find_document(db: Database, site_id: str, url: str | None, sha256: str) -> int | None:
    row = db.execute(
        "SELECT id FROM documents WHERE site_id = ? AND coalesce(url, '') = ? AND sha256 = ?",
        [site_id, url or "", sha256],
    ).fetchone()
    return int(row[0]) if row else None


def write_document(
    db: Database,
    *,
    site_id: str,
    sha256: str,
    size: int,
    url: str | None,
    name: str | None,
    content_type: str | None,
    etag: str | None,
    last_modified: str | None,
    origin: str,
    dates: list[DateSeen],
    run_id: int | None,
    now: str,
) -> int:
    """Insert the document version, or mark a known one seen again. Call inside a transaction."""
    db.execute("INSERT OR IGNORE INTO blobs (sha256, size, stored_at) VALUES (?, ?, ?)", [sha256, size, now])
    document_id = find_document(db, site_id, url, sha256)
    if document_id is None:
        replaced = previous_fetch(db, url, site_id=site_id) if url else None
        cursor = db.execute(
            """INSERT INTO documents (site_id, url, name, sha256, content_type, size, etag, last_modified,
                   origin, first_seen, last_seen, first_run_id, last_run_id, replaces_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                site_id,
                url,
                name,
                sha256,
                content_type,
                size,
                etag,
                last_modified,
                origin,
                now,
                now,
                run_id,
                run_id,
                replaced.document_id if replaced and replaced.sha256 != sha256 else None,
            ],
        )
        document_id = int(cursor.lastrowid or 0)
    else:
        touch_document(
            db,
            document_id,
            now=now,
            run_id=run_id,
            etag=etag,
            last_modified=last_modified,
            content_type=content_type,
        )
    for seen in dates:
        db.execute(
            "INSERT OR IGNORE INTO document_dates (document_id, source, value, quote, first_seen)"
            " VALUES (?, ?, ?, ?, ?)",
            [document_id, seen.source, seen.date.isoformat(), seen.quote, now],
        )
    return document_id


def touch_document(
    db: Database,
    document_id: int,
    *,
    now: str,
    run_id: int | None,
    etag: str | None = None,
    last_modified: str | None = None,
    content_type: str | None = None,
) -> None:
    """Record that a known version was seen again (e.g. an HTTP 304)."""
    db.execute(
        """UPDATE documents SET last_seen = ?, last_run_id = coalesce(?, last_run_id),
               etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
               content_type = coalesce(?, content_type)
           WHERE id = ?""",
        [now, run_id, etag, last_modified, content_type, document_id],
    )


def document_dates(db: Database, document_id: int) -> list[DateSeen]:
    rows = db.execute(
        "SELECT source, value, quote FROM document_dates WHERE document_id = ? ORDER BY id", [document_id]
    ).fetchall()
    return [DateSeen(source, date.fromisoformat(value[:10]), quote) for source, value, quote in rows]
