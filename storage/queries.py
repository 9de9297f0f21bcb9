"""Read-only queries for the digest and ``nianbao findings``.

Every function takes a sqlite-utils ``Database`` (``Archive.db``) and returns
plain dataclasses; none writes, so they run while a crawl writes (WAL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlite_utils import Database

from storage.reviews import LATEST_REVIEWS
from storage.reviews import NOW as REVIEWS_NOW
from storage.sites import Site, list_sites

Status = Literal["open", "resolved", "all"]


@dataclass
class FindingRow:
    id: int
    fingerprint: str
    site: str
    agency: str
    year: int | None
    code: str
    severity: str
    message: str
    evidence: dict[str, Any]
    subject: str
    scope: str
    url: str | None
    report_id: int | None
    run_id: int | None
    first_seen: str
    last_seen: str
    resolved_at: str | None
    reopened: int
    status: str
    # The latest review: {"verdict", "note", "reviewer", "at", "in_force"}; None if never reviewed.
    # Out of force once the finding's report changed or the finding came back after being resolved.
    review: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunRow:
    id: int
    site_id: str
    kind: str
    batch: str | None
    status: str
    started_at: str
    finished_at: str | None
    counts: dict[str, Any]
    errors: list[str]
    findings_opened: int
    findings_reopened: int
    findings_resolved: int


@dataclass
class ReportRow:
    id: int
    site_id: str
    agency: str  # the registry's name for the site
    year: int | None
    title: str | None
    published: str | None
    published_source: str | None
    url: str | None
    name: str | None
    sha256: str
    parser_version: str
    parse_error: str | None
    recorded_at: str
    checked_at: str
    open_findings: int
    report_key: str | None = None  # which report of the (site, year): canonical URL or file name


@dataclass
class WeekCount:
    week_start: str  # Monday, ISO date
    week_end: str  # Sunday, ISO date
    open: int


_FINDING_SELECT = """
SELECT f.id, f.fingerprint, f.site_id AS site, s.agency, f.year, f.code, f.severity, f.message, f.evidence,
       f.subject, f.scope, f.url, f.report_id, f.run_id, f.first_seen, f.last_seen, f.resolved_at,
       f.reopened, f.status,
       lr.verdict AS review_verdict, lr.note AS review_note, lr.reviewer AS review_reviewer,
       lr.at AS review_at, lr.in_force AS review_in_force
FROM findings f JOIN sites s ON s.id = f.site_id
LEFT JOIN ({LATEST_REVIEWS}) lr ON lr.finding_id = f.id
""".format(LATEST_REVIEWS=LATEST_REVIEWS.replace(":cutoff", f"'{REVIEWS_NOW}'"))


def findings(
    db: Database,
    *,
    site_id: str | None = None,
    code: str | None = None,
    status: Status = "open",
    year: int | None = None,
    severity: str | None = None,
) -> list[FindingRow]:
    """Findings with their lifecycle, most severe and oldest first. ``code`` may be a prefix ("CALC.")."""
    return list(iter_findings(db, site_id=site_id, code=code, status=status, year=year, severity=severity))


def iter_findings(
    db: Database,
    *,
    site_id: str | None = None,
    code: str | None = None,
    status: Status = "open",
    year: int | None = None,
    severity: str | None = None,
) -> Iterator[FindingRow]:
    """``findings`` one row at a time, as SQLite reads them: memory stays the same whatever the archive holds.

    The order (severity, site, year, code, first seen) is the index ``findings_listing``'s, so the
    open findings come without a sort; any other selection is sorted by SQLite, which spills to
    disk beyond its cache, not to this process's memory.
    """
    where: list[str] = []
    params: list[object] = []
    if site_id:
        where.append("f.site_id = ?")
        params.append(site_id)
    if code:
        where.append("(f.code = ? OR (substr(?, -1) = '.' AND f.code LIKE ? || '%'))")
        params += [code, code, code]
    if status != "all":
        where.append("f.status = ?")
        params.append(status)
    if year is not None:
        where.append("f.year = ?")
        params.append(year)
    if severity:
        where.append("f.severity = ?")
        params.append(severity)
    sql = _FINDING_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY f.severity_rank, f.site_id, f.year, f.code, f.first_seen, f.id"
    for row in db.query(sql, params):
        yield _finding(row)


def count_findings(db: Database, *, status: Status = "open") -> dict[tuple[str, str], int]:
    """How many findings per (severity, code), counted by SQLite."""
    sql = "SELECT severity, code, count(*) FROM findings" + (" WHERE status = ?" if status != "all" else "")
    sql += " GROUP BY severity, code"
    rows = db.execute(sql, [status] if status != "all" else []).fetchall()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def finding_changes(db: Database, start: str, end: str) -> dict[str, list[FindingRow]]:
    """Findings opened, reopened and resolved in [start, end) (ISO timestamps or dates)."""
    out: dict[str, list[FindingRow]] = {}
    for event in ("opened", "reopened", "resolved"):
        sql = (
            _FINDING_SELECT
            + """ WHERE f.id IN (SELECT e.finding_id FROM finding_events e
                                      WHERE e.event = ? AND e.at >= ? AND e.at < ?)
                                    ORDER BY f.site_id, f.year, f.code"""
        )
        out[event] = [_finding(row) for row in db.query(sql, [event, start, end])]
    return out


def latest_runs(db: Database, *, kind: str | None = "crawl") -> dict[str, RunRow]:
    """The latest run of each site (of ``kind``; None for any kind), by site id: one index lookup per site."""
    if kind is None:
        sql = """SELECT r.* FROM sites s
                 JOIN runs r ON r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.site_id = s.id)"""
        params: list[object] = []
    else:
        sql = """SELECT r.* FROM sites s
                 JOIN runs r ON r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.site_id = s.id AND r2.kind = ?)"""
        params = [kind]
    return {row["site_id"]: _run(row) for row in db.query(sql, params)}


def runs(db: Database, *, site_id: str | None = None, limit: int = 100) -> list[RunRow]:
    sql = "SELECT * FROM runs" + (" WHERE site_id = ?" if site_id else "") + " ORDER BY id DESC LIMIT ?"
    return [_run(row) for row in db.query(sql, [site_id, limit] if site_id else [limit])]


def reports(
    db: Database, *, site_id: str | None = None, year: int | None = None, current_only: bool = True
) -> list[ReportRow]:
    """Reports per site and year (the current version of each, or every version)."""
    where: list[str] = []
    params: list[object] = []
    if site_id:
        where.append("r.site_id = ?")
        params.append(site_id)
    if year is not None:
        where.append("r.year = ?")
        params.append(year)
    sql = f"""SELECT r.id, r.site_id, s.agency, r.year, r.title, r.published, r.published_source,
                     d.url, d.name, d.sha256, r.parser_version, r.parse_error, r.recorded_at, r.checked_at,
                     r.report_key,
                     (SELECT count(*) FROM report_findings rf JOIN findings f ON f.id = rf.finding_id
                      WHERE rf.report_id = r.id AND f.resolved_at IS NULL) AS open_findings
              FROM {"current_reports c JOIN reports r ON r.id = c.report_id" if current_only else "reports r"}
                   JOIN documents d ON d.id = r.document_id JOIN sites s ON s.id = r.site_id
              {"WHERE " + " AND ".join(where) if where else ""}
              ORDER BY r.site_id, r.year, r.id"""
    return [ReportRow(**row) for row in db.query(sql, params)]


def sites(db: Database, *, enabled_only: bool = True) -> list[Site]:
    return list_sites(db, enabled_only=enabled_only)


def _finding(row: dict[str, Any]) -> FindingRow:
    row = dict(row)
    row["evidence"] = json.loads(row["evidence"] or "{}")
    review = {key: row.pop(f"review_{key}") for key in ("verdict", "note", "reviewer", "at", "in_force")}
    row["review"] = (
        {**review, "in_force": bool(review["in_force"])} if review["verdict"] is not None else None
    )
    return FindingRow(**row)


def _run(row: dict[str, Any]) -> RunRow:
    row = dict(row)
    row["counts"] = json.loads(row["counts"] or "{}")
    row["errors"] = json.loads(row["errors"] or "[]")
    return RunRow(**row)


# -- one agency's page ----------------------------------------------------------------------------


@dataclass
class VersionRow:
    """One stored version of a report (a document read as a report) and where it came from."""

    report_id: int
    year: int | None
    report_key: str | None
    title: str | None
    published: str | None
    published_source: str | None
    recorded_at: str
    checked_at: str
    parse_error: str | None
    document_id: int
    sha256: str
    url: str | None
    name: str | None
    content_type: str | None
    size: int
    current: bool
    dates: list[dict[str, Any]]  # every date seen for the document: source, value, quote


def report_versions(db: Database, site_id: str) -> list[VersionRow]:
    """Every report version of the site, newest year first, versions newest first, with their dates."""
    rows = db.execute(
        """SELECT r.id, r.year, r.report_key, r.title, r.published, r.published_source, r.recorded_at,
                   r.checked_at, r.parse_error, d.id, d.sha256, d.url, d.name, d.content_type, d.size
            FROM reports r JOIN documents d ON d.id = r.document_id
            WHERE r.site_id = ? ORDER BY r.year IS NULL, r.year DESC, r.recorded_at DESC, r.id DESC""",
        [site_id],
    ).fetchall()
    dates: dict[int, list[dict[str, Any]]] = {}
    for document_id, source, value, quote in db.execute(
        """SELECT dd.document_id, dd.source, dd.value, dd.quote FROM document_dates dd
           JOIN documents d ON d.id = dd.document_id WHERE d.site_id = ? ORDER BY dd.id""",
        [site_id],
    ):
        dates.setdefault(int(document_id), []).append({"source": source, "value": value, "quote": quote})
    # The current version of a (year, report key): checked most recently (as the view latest_reports says).
    current: dict[tuple[Any, Any], tuple[str, int]] = {}
    for row in rows:
        key, stamp = (row[1], row[2]), (row[7], int(row[0]))
        current[key] = max(current.get(key, stamp), stamp)
    return [
        VersionRow(
            report_id=int(row[0]),
            year=row[1],
            report_key=row[2],
            title=row[3],
            published=row[4],
            published_source=row[5],
            recorded_at=row[6],
            checked_at=row[7],
            parse_error=row[8],
            document_id=int(row[9]),
            sha256=row[10],
            url=row[11],
            name=row[12],
            content_type=row[13],
            size=int(row[14]),
            current=current[(row[1], row[2])][1] == int(row[0]),
            dates=dates.get(int(row[9]), []),
        )
        for row in rows
    ]


@dataclass
class FindingEvent:
    event: str  # opened | resolved | reopened
    at: str
    report_id: int | None


def site_findings(db: Database, site_id: str) -> list[tuple[FindingRow, list[FindingEvent]]]:
    """Every finding of the site (open first, then most recent), each with its events, oldest first."""
    found = [
        _finding(row)
        for row in db.query(
            _FINDING_SELECT
            + """ WHERE f.site_id = ? ORDER BY f.resolved_at IS NOT NULL,
                  CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.year DESC, f.code, f.id""",
            [site_id],
        )
    ]
    events: dict[int, list[FindingEvent]] = {}
    for finding_id, event, at, report_id in db.execute(
        """SELECT e.finding_id, e.event, e.at, e.report_id FROM finding_events e
           JOIN findings f ON f.id = e.finding_id WHERE f.site_id = ? ORDER BY e.at, e.id""",
        [site_id],
    ):
        events.setdefault(int(finding_id), []).append(FindingEvent(event, at, report_id))
    return [(row, events.get(row.id, [])) for row in found]


def site_row(db: Database, site_id: str) -> dict[str, Any] | None:
    """The registry's row of a site (with ``contact``/``phone`` when the archive has those columns)."""
    rows = list(db.query("SELECT * FROM sites WHERE id = ?", [site_id]))
    return dict(rows[0]) if rows else None
