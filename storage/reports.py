"""Reports: one row per (site, document version), the parsed report as JSON.

``report_json`` is NULL when the parse failed (``parse_error`` says why); the
bytes stay in the blob store, so ``nianbao reparse`` can try again when the
parser improves. The *current* report of a (site, year) is the one checked
most recently (view ``latest_reports``).
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict

from sqlite_utils import Database

import monitor
from monitor.model import Report

# The order that picks the current version of a (site, year).
CURRENT_FIRST = "checked_at DESC, id DESC"


def parser_version() -> str:
    return str(getattr(monitor, "PARSER_VERSION", "0"))


def write_report(
    db: Database,
    *,
    site_id: str,
    document_id: int,
    year: int | None,
    report: Report | None,
    parse_error: str | None,
    read_options: dict[str, object] | None = None,
    run_id: int | None,
    now: str,
) -> tuple[int, bool]:
    """Insert or refresh the report read from ``document_id``; returns (id, existed before)."""
    values = {
        "year": year,
        "run_id": run_id,
        "agency": report.agency if report else None,
        "title": report.title if report else None,
        "published": report.published.isoformat() if report and report.published else None,
        "published_source": report.published_source if report else None,
        "parser_version": parser_version(),
        "read_options": json.dumps(read_options or {}, ensure_ascii=False, sort_keys=True),
        "report_json": json.dumps(report.to_json(), ensure_ascii=False) if report else None,
        "parse_error": parse_error,
        "parsed_at": now,
        "checked_at": now,
    }
    row = db.execute(
        "SELECT id FROM reports WHERE site_id = ? AND document_id = ?", [site_id, document_id]
    ).fetchone()
    if row:
        assignments = ", ".join(f"{column} = ?" for column in values)
        db.execute(f"UPDATE reports SET {assignments} WHERE id = ?", [*values.values(), row[0]])
        db.execute("DELETE FROM report_findings WHERE report_id = ?", [row[0]])
        return int(row[0]), True
    columns = ["site_id", "document_id", "recorded_at", *values]
    cursor = db.execute(
        f"INSERT INTO reports ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [site_id, document_id, now, *values.values()],
    )
    return int(cursor.lastrowid or 0), False


# Parsed reports by (id, parsed_at), per connection: a batch checks every report against
# the same peers, and decoding their JSON again for each one was half the cost of an ingest.
_CACHE_SIZE = 512
_caches: weakref.WeakKeyDictionary[Database, OrderedDict[tuple[int, str], Report]] = (
    weakref.WeakKeyDictionary()
)


def _reports(db: Database, rows: list[tuple[int, str]], shared: bool) -> list[Report]:
    """Reports by (id, parsed_at); ``shared`` ones come from the cache and must not be modified."""
    if not shared:
        return [r for r in (load_report(db, report_id) for report_id, _ in rows) if r is not None]
    cache = _caches.setdefault(db, OrderedDict())
    out = []
    for report_id, parsed_at in rows:
        key = (report_id, parsed_at)
        report = cache.get(key)
        if report is None:
            (text,) = db.execute("SELECT report_json FROM reports WHERE id = ?", [report_id]).fetchone()
            report = Report.from_json(json.loads(text))
            cache[key] = report
            if len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        out.append(report)
    return out


def load_report(db: Database, report_id: int) -> Report | None:
    row = db.execute("SELECT report_json FROM reports WHERE id = ?", [report_id]).fetchone()
    return Report.from_json(json.loads(row[0])) if row and row[0] else None


def report_at_url(db: Database, site_id: str, url: str | None) -> Report | None:
    """The report last read from this URL of the site (for PUB.CHANGED: did the new version change it?)."""
    row = db.execute(
        """SELECT r.id FROM reports r JOIN documents d ON d.id = r.document_id
           WHERE r.site_id = ? AND d.url = ? AND r.report_json IS NOT NULL ORDER BY r.id DESC LIMIT 1""",
        [site_id, url],
    ).fetchone()
    return load_report(db, row[0]) if row else None


def latest_report(db: Database, site_id: str, year: int, *, shared: bool = False) -> Report | None:
    """The current parsed report of a site for a year (None if none parsed).

    ``shared=True`` may return an object other callers hold too (read-only use, e.g. rules).
    """
    rows = db.execute(
        f"""SELECT id, parsed_at FROM reports WHERE site_id = ? AND year = ? AND report_json IS NOT NULL
            ORDER BY {CURRENT_FIRST} LIMIT 1""",
        [site_id, year],
    ).fetchall()
    return _reports(db, rows, shared)[0] if rows else None


def peer_reports(
    db: Database,
    year: int,
    *,
    exclude_site: str,
    region: str | None = None,
    limit: int = 20,
    shared: bool = False,
) -> list[Report]:
    """Other sites' current reports for ``year``: same region first, then the most recent.

    Bounded by ``limit`` because the copy check compares texts pairwise; a
    national archive has thousands of reports a year.
    """
    rows = db.execute(
        """SELECT r.id, r.parsed_at FROM reports r JOIN sites s ON s.id = r.site_id
            WHERE r.year = ? AND r.site_id != ? AND r.report_json IS NOT NULL
              AND r.id = (SELECT r2.id FROM reports r2 WHERE r2.site_id = r.site_id AND r2.year = r.year
                          AND r2.report_json IS NOT NULL ORDER BY r2.checked_at DESC, r2.id DESC LIMIT 1)
            ORDER BY (s.region IS ? AND s.region IS NOT NULL) DESC, r.checked_at DESC, r.id DESC
            LIMIT ?""",
        [year, exclude_site, region, limit],
    ).fetchall()
    return _reports(db, rows, shared)


def current_reports(db: Database, site_id: str | None = None) -> list[dict[str, object]]:
    """The current version of every (site, year): id, site_id, year, document_id, sha256, url, name."""
    sql = """SELECT r.id, r.site_id, r.year, r.document_id, d.sha256, d.url, d.name, d.content_type,
                     r.published
              FROM reports r JOIN documents d ON d.id = r.document_id
              WHERE r.id = (SELECT r2.id FROM reports r2 WHERE r2.site_id = r.site_id AND r2.year IS r.year
                            ORDER BY r2.checked_at DESC, r2.id DESC LIMIT 1)"""
    params: list[object] = []
    if site_id is not None:
        sql += " AND r.site_id = ?"
        params.append(site_id)
    return list(db.query(sql + " ORDER BY r.site_id, r.year", params))
