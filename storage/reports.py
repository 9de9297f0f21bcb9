"""Reports: one row per (site, document version), the parsed report as JSON.

``report_json`` is NULL when the parse failed (``parse_error`` says why); the
bytes stay in the blob store, so ``nianbao reparse`` can try again when the
parser improves.

A site may publish several reports a year (部门年报 of its departments, 机关 and
系统); ``report_key`` tells them apart: the canonical URL of a crawled report,
the --url or file name of an ingested one. The *current* report of a (site,
year, report key) is its version checked most recently, readable or not; the
view ``latest_reports`` (migration m002) is the one definition every query here
and in ``storage.queries`` selects from. Rules need a parsed report, so their
context takes the current reports whose parse succeeded.
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from sqlite_utils import Database

from monitor import model
from monitor.model import Publication, Report

# The ids of the current reports (one per site, year and report key).
CURRENT_REPORT_IDS = "SELECT id FROM latest_reports"


def parser_version() -> str:
    return model.PARSER_VERSION


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
    report_key: str | None = None,
    publication: Publication | None = None,
) -> tuple[int, bool]:
    """Insert or refresh the report read from ``document_id``; returns (id, existed before).

    ``published`` is the date the report was published as the check established it (the crawl's
    page, list or URL, or --published), else the date the document states about itself.
    """
    if publication is not None and publication.date is not None:
        published: tuple[str | None, str | None] = (publication.date.isoformat(), publication.source)
    elif report is not None and report.published is not None:
        published = (report.published.isoformat(), report.published_source)
    else:
        published = (None, None)
    values = {
        "year": year,
        "report_key": report_key,
        "run_id": run_id,
        "agency": report.agency if report else None,
        "title": report.title if report else None,
        "published": published[0],
        "published_source": published[1],
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


def parsed_reports(db: Database, rows: list[tuple[int, str]], shared: bool) -> list[Report]:
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


def current_parsed(db: Database, site_id: str, year: int) -> list[tuple[str | None, int, str, str | None]]:
    """(report key, id, parsed_at, agency) of the site's current parsed reports of ``year``, newest first."""
    rows = db.execute(
        """SELECT report_key, id, parsed_at, agency FROM latest_reports
           WHERE site_id = ? AND year = ? AND report_json IS NOT NULL ORDER BY checked_at DESC, id DESC""",
        [site_id, year],
    ).fetchall()
    return [(r[0], int(r[1]), r[2], r[3]) for r in rows]


def latest_report(
    db: Database, site_id: str, year: int, *, shared: bool = False, agency: str | None = None
) -> Report | None:
    """The site's current parsed report for a year (None if none parsed).

    With several reports of the year (one per report key), the one of ``agency``
    if given and present, else the most recently checked. ``shared=True`` may
    return an object other callers hold too (read-only use, e.g. rules).
    """
    rows = current_parsed(db, site_id, year)
    if agency is not None:
        rows = [r for r in rows if r[3] == agency] or rows
    return parsed_reports(db, [(rows[0][1], rows[0][2])], shared)[0] if rows else None


def peer_reports(
    db: Database,
    year: int,
    *,
    exclude_site: str,
    region: str | None = None,
    limit: int = 20,
    shared: bool = False,
) -> list[Report]:
    """Other sites' current parsed reports for ``year``: same region first, then the most recent.

    Bounded by ``limit`` because the copy check compares texts pairwise; a
    national archive has thousands of reports a year.
    """
    rows = db.execute(
        """SELECT r.id, r.parsed_at FROM latest_reports r JOIN sites s ON s.id = r.site_id
            WHERE r.year = ? AND r.site_id != ? AND r.report_json IS NOT NULL
            ORDER BY (s.region IS ? AND s.region IS NOT NULL) DESC, r.checked_at DESC, r.id DESC
            LIMIT ?""",
        [year, exclude_site, region, limit],
    ).fetchall()
    return parsed_reports(db, rows, shared)


def current_reports(db: Database, site_id: str | None = None) -> list[dict[str, object]]:
    """Every current report (one per site, year and report key), readable or not.

    Keys: id, site_id, year, report_key, document_id, sha256, url, name, content_type, published.
    """
    sql = """SELECT r.id, r.site_id, r.year, r.report_key, r.document_id, r.sha256, r.url, d.name,
                     d.content_type, r.published
              FROM latest_reports r JOIN documents d ON d.id = r.document_id"""
    params: list[object] = []
    if site_id is not None:
        sql += " WHERE r.site_id = ?"
        params.append(site_id)
    return list(db.query(sql + " ORDER BY r.site_id, r.year IS NULL, r.year, r.id", params))


@dataclass(frozen=True)
class CurrentVersion:
    """A current report of a site and the document it was read from."""

    report_id: int
    year: int | None
    report_key: str | None
    sha256: str


def current_versions(db: Database, site_id: str, sha256s: Collection[str]) -> list[CurrentVersion]:
    """The site's current reports (any year, any report key) read from one of these documents."""
    if not sha256s:
        return []
    marks = ", ".join("?" * len(sha256s))
    rows = db.execute(
        f"SELECT id, year, report_key, sha256 FROM latest_reports WHERE site_id = ? AND sha256 IN ({marks})",
        [site_id, *sha256s],
    ).fetchall()
    return [CurrentVersion(int(r[0]), r[1], r[2], str(r[3])) for r in rows]
