"""Reports: one row per (site, document version); the parsed report, compressed, beside it.

``parsed`` is 0 when the parse failed (``parse_error`` says why); the bytes
stay in the blob store, so ``nianbao reparse`` can try again when the parser
improves. The parsed report (``Report.to_json()``) lives in ``report_bodies``
as zlib-compressed JSON: it is read whole, one report at a time, and the narrow
``reports`` rows stay cheap to scan.

A site may publish several reports a year (部门年报 of its departments, 机关 and
系统); ``report_key`` tells them apart: the canonical URL of a crawled report,
the --url or file name of an ingested one. The *current* report of a (site,
year, report key) is its version checked most recently, readable or not
(``checked_at`` then ``id``, newest first). ``write_report`` keeps that choice in
``current_reports``, the one place every query here and in ``storage.queries``
takes it from (the view ``latest_reports`` joins it to the rows), and moves the
similarity index (``storage.similarity``) with it. Rules need a parsed report,
so their context takes the current reports whose parse succeeded.
"""

from __future__ import annotations

import json
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from monitor import model
from monitor.model import Publication, Report
from storage.similarity import IndexEntry, add_bands, drop_sketch, remove_bands, store_sketch

# The ids of the current reports (one per site, year and report key).
CURRENT_REPORT_IDS = "SELECT report_id FROM current_reports"


def parser_version() -> str:
    return model.PARSER_VERSION


def encode_report(report: Report) -> bytes:
    """The stored form of a parsed report: its JSON, UTF-8, zlib-compressed (about a fifth of the text)."""
    return zlib.compress(json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8"), 6)


def decode_report_json(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(zlib.decompress(data).decode("utf-8"))
    return value


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
    sketch: IndexEntry | None = None,
) -> tuple[int, bool]:
    """Insert or refresh the report read from ``document_id``; returns (id, existed before).

    ``published`` is the date the report was published as the check established it (the crawl's
    page, list or URL, or --published), else the date the document states about itself.
    ``sketch`` puts the report in the similarity index (with a year and a parsed report only).
    Call inside a transaction.
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
        "parsed": 1 if report is not None else 0,
        "parse_error": parse_error,
        "parsed_at": now,
        "checked_at": now,
    }
    row = db.execute(
        "SELECT id, year, report_key FROM reports WHERE site_id = ? AND document_id = ?",
        [site_id, document_id],
    ).fetchone()
    if row:
        report_id, existed = int(row[0]), True
        assignments = ", ".join(f"{column} = ?" for column in values)
        db.execute(f"UPDATE reports SET {assignments} WHERE id = ?", [*values.values(), report_id])
        db.execute("DELETE FROM report_findings WHERE report_id = ?", [report_id])
        old_slot: tuple[int | None, str | None] | None = (row[1], row[2])
    else:
        columns = ["site_id", "document_id", "recorded_at", *values]
        cursor = db.execute(
            f"INSERT INTO reports ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [site_id, document_id, now, *values.values()],
        )
        report_id, existed, old_slot = int(cursor.lastrowid or 0), False, None
    if report is not None:
        db.execute(
            "INSERT OR REPLACE INTO report_bodies (report_id, compressed_json) VALUES (?, ?)",
            [report_id, encode_report(report)],
        )
    else:
        db.execute("DELETE FROM report_bodies WHERE report_id = ?", [report_id])
    if sketch is not None and report is not None and year is not None:
        store_sketch(db, report_id, year, sketch, current=False)
    else:
        drop_sketch(db, report_id)
    _elect(db, site_id, year, report_key)
    if old_slot is not None and old_slot != (year, report_key):
        _elect(db, site_id, *old_slot)  # a reparse moved the version: its old report falls back to another
    return report_id, existed


def _elect(db: Database, site_id: str, year: int | None, report_key: str | None) -> None:
    """Make the newest checked version of a (site, year, report key) its current one, index and all."""
    newest = db.execute(
        """SELECT id, parsed, checked_at FROM reports WHERE site_id = ? AND year IS ? AND report_key IS ?
           ORDER BY checked_at DESC, id DESC LIMIT 1""",
        [site_id, year, report_key],
    ).fetchone()
    held = db.execute(
        "SELECT report_id FROM current_reports WHERE site_id = ? AND year IS ? AND report_key IS ?",
        [site_id, year, report_key],
    ).fetchall()
    for (old,) in held:
        if newest is None or old != newest[0]:
            remove_bands(db, old)
            db.execute("DELETE FROM current_reports WHERE report_id = ?", [old])
    if newest is None:
        return
    if newest[0] in {h[0] for h in held}:
        db.execute(
            "UPDATE current_reports SET parsed = ?, checked_at = ? WHERE report_id = ?",
            [newest[1], newest[2], newest[0]],
        )
        add_bands(db, newest[0])  # its sketch may have changed with this write
        return
    # A version current in another slot before (a reparse moved it) leaves that slot first.
    db.execute("DELETE FROM current_reports WHERE report_id = ?", [newest[0]])
    db.execute(
        "INSERT INTO current_reports (report_id, site_id, year, report_key, parsed, checked_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [newest[0], site_id, year, report_key, newest[1], newest[2]],
    )
    add_bands(db, newest[0])


# Parsed reports by (id, parsed_at), per connection, for the rules' context: last year's reports,
# and the likely copies (sites that copy one template meet the same ones again and again).
_CACHE_SIZE = 256
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
            report = load_report(db, report_id)
            if report is None:
                continue
            cache[key] = report
            if len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        out.append(report)
    return out


def load_report_json(db: Database, report_id: int) -> dict[str, Any] | None:
    """The parsed report as ``Report.to_json()`` gave it (None if its parse failed)."""
    row = db.execute("SELECT compressed_json FROM report_bodies WHERE report_id = ?", [report_id]).fetchone()
    return decode_report_json(row[0]) if row else None


def load_report(db: Database, report_id: int) -> Report | None:
    data = load_report_json(db, report_id)
    return Report.from_json(data) if data is not None else None


def report_at_url(db: Database, site_id: str, url: str | None) -> Report | None:
    """The report last read from this URL of the site (for PUB.CHANGED: did the new version change it?)."""
    row = db.execute(
        """SELECT r.id FROM reports r JOIN documents d ON d.id = r.document_id
           WHERE r.site_id = ? AND d.url = ? AND r.parsed = 1 ORDER BY r.id DESC LIMIT 1""",
        [site_id, url],
    ).fetchone()
    return load_report(db, row[0]) if row else None


def current_parsed(db: Database, site_id: str, year: int) -> list[tuple[str | None, int, str, str | None]]:
    """(report key, id, parsed_at, agency) of the site's current parsed reports of ``year``, newest first."""
    rows = db.execute(
        """SELECT c.report_key, r.id, r.parsed_at, r.agency
           FROM current_reports c JOIN reports r ON r.id = c.report_id
           WHERE c.site_id = ? AND c.year = ? AND c.parsed = 1 ORDER BY c.checked_at DESC, c.report_id DESC""",
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
    found = parsed_reports(db, [(rows[0][1], rows[0][2])], shared) if rows else []
    return found[0] if found else None


def current_reports(db: Database, site_id: str | None = None) -> list[dict[str, object]]:
    """Every current report (one per site, year and report key), readable or not.

    Keys: id, site_id, year, report_key, document_id, sha256, url, name, content_type, published.
    """
    sql = """SELECT r.id, r.site_id, r.year, r.report_key, r.document_id, d.sha256, d.url, d.name,
                     d.content_type, r.published
              FROM current_reports c JOIN reports r ON r.id = c.report_id JOIN documents d ON d.id = r.document_id"""
    params: list[object] = []
    if site_id is not None:
        sql += " WHERE c.site_id = ?"
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
        f"""SELECT c.report_id, c.year, c.report_key, d.sha256
            FROM current_reports c JOIN reports r ON r.id = c.report_id JOIN documents d ON d.id = r.document_id
            WHERE c.site_id = ? AND d.sha256 IN ({marks})""",
        [site_id, *sha256s],
    ).fetchall()
    return [CurrentVersion(int(r[0]), r[1], r[2], str(r[3])) for r in rows]


@dataclass(frozen=True)
class ReportIdentity:
    """Who a current report is: enough to name it in a finding without reading it."""

    report_id: int
    site_id: str
    year: int | None
    report_key: str | None
    agency: str | None
    parsed_at: str


def report_identities(db: Database, report_ids: Collection[int]) -> list[ReportIdentity]:
    if not report_ids:
        return []
    marks = ", ".join("?" * len(report_ids))
    rows = db.execute(
        f"SELECT id, site_id, year, report_key, agency, parsed_at FROM reports WHERE id IN ({marks})",
        list(report_ids),
    ).fetchall()
    return [ReportIdentity(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]
