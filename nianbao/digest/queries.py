"""The archive as it stood at a moment, in SQL aggregates: what a digest needs, never every row.

``storage.queries`` answers for *now*; a digest for a past week must see what
was known at the end of that week. A ``Snapshot`` materialises, in two
temporary tables of the digest's own connection, each finding's state at the
cutoff (its last event) and the findings open then with their review; the
digest then asks per-site and per-code aggregates of them and streams one
agency's findings at a time. Nothing here loads every finding into Python.
Read-only on the archive (temporary tables live in the connection's own
temp schema, so a crawl writing meanwhile is not blocked).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from nianbao.digest.weeks import Period, midnight
from storage.queries import RunRow, WeekCount
from storage.reviews import LATEST_REVIEWS

_snapshot_names = itertools.count(1)

FINDING_COLUMNS = """f.id, f.site_id, f.year, f.code, f.severity, f.message, f.evidence, f.scope, f.url,
       f.report_id, f.first_seen, f.last_seen"""


@dataclass(frozen=True)
class SiteCounts:
    """One site's open findings at the cutoff (dismissed ones apart)."""

    errors: int
    warnings: int
    infos: int
    dismissed: int
    since: str | None  # the oldest open error or warning, open since
    missing_years: list[int]
    late_years: list[int]
    missing_since: str | None
    late_since: str | None
    late_days: int | None
    crawl_since: str | None  # the oldest open crawl-health finding (could not be checked since)


class Snapshot:
    """Findings' states at ``cutoff``, in temporary tables ``<name>_state`` and ``<name>_open``."""

    def __init__(self, db: Database, cutoff: str) -> None:
        self.db, self.cutoff = db, cutoff
        self.name = f"digest_snap{next(_snapshot_names)}"
        self.state, self.open = f"temp.{self.name}_state", f"temp.{self.name}_open"
        db.execute(
            f"""CREATE TEMP TABLE {self.name}_state AS
                SELECT finding_id AS id, event, at, open_since FROM (
                  SELECT finding_id, event, at,
                         max(CASE WHEN event != 'resolved' THEN at END) OVER (PARTITION BY finding_id) AS open_since,
                         row_number() OVER (PARTITION BY finding_id ORDER BY at DESC, id DESC) AS rn
                  FROM finding_events WHERE at < :cutoff)
                WHERE rn = 1""",
            {"cutoff": cutoff},
        )
        db.execute(
            f"""CREATE TEMP TABLE {self.name}_open AS
                SELECT f.id, f.site_id, f.severity, f.code, f.year, s.open_since,
                       coalesce(lr.in_force AND lr.verdict = 'dismissed', 0) AS dismissed,
                       coalesce(lr.in_force AND lr.verdict = 'confirmed', 0) AS confirmed,
                       lr.verdict AS verdict, lr.note AS note, lr.reviewer AS reviewer, lr.at AS reviewed_at,
                       lr.in_force AS in_force
                FROM {self.state} s JOIN findings f ON f.id = s.id
                JOIN sites t ON t.id = f.site_id AND t.enabled = 1
                LEFT JOIN ({LATEST_REVIEWS}) lr ON lr.finding_id = f.id
                WHERE s.event IN ('opened', 'reopened')""",
            {"cutoff": cutoff},
        )
        db.execute(f"CREATE INDEX {self.name}_open_site ON {self.name}_open(site_id, severity)")

    def close(self) -> None:
        self.db.execute(f"DROP TABLE IF EXISTS {self.state}")
        self.db.execute(f"DROP TABLE IF EXISTS {self.open}")

    # -- aggregates --------------------------------------------------------

    def site_counts(self) -> dict[str, SiteCounts]:
        rows = self.db.execute(
            f"""SELECT o.site_id,
                  sum(o.severity = 'error' AND NOT o.dismissed), sum(o.severity = 'warning' AND NOT o.dismissed),
                  sum(o.severity = 'info' AND NOT o.dismissed), sum(o.dismissed),
                  min(CASE WHEN NOT o.dismissed AND o.severity IN ('error', 'warning') THEN o.open_since END),
                  json_group_array(CASE WHEN o.code = 'PUB.MISSING' AND NOT o.dismissed THEN o.year END),
                  json_group_array(CASE WHEN o.code = 'PUB.LATE' AND NOT o.dismissed THEN o.year END),
                  min(CASE WHEN o.code = 'PUB.MISSING' AND NOT o.dismissed THEN o.open_since END),
                  min(CASE WHEN o.code = 'PUB.LATE' AND NOT o.dismissed THEN o.open_since END),
                  max(CASE WHEN o.code = 'PUB.LATE' AND NOT o.dismissed
                      THEN json_extract(f.evidence, '$.days_late') END),
                  min(CASE WHEN o.code LIKE 'CRAWL.%' AND o.code != 'CRAWL.DOCUMENT_FAILED' THEN o.open_since END)
                FROM {self.open} o JOIN findings f ON f.id = o.id GROUP BY o.site_id"""
        ).fetchall()
        return {
            row[0]: SiteCounts(
                int(row[1] or 0),
                int(row[2] or 0),
                int(row[3] or 0),
                int(row[4] or 0),
                row[5],
                sorted({int(y) for y in json.loads(row[6]) if y is not None}),
                sorted({int(y) for y in json.loads(row[7]) if y is not None}),
                row[8],
                row[9],
                int(row[10]) if isinstance(row[10], int | float) else None,
                row[11],
            )
            for row in rows
        }

    def totals(self) -> dict[str, int]:
        row = self.db.execute(
            f"""SELECT sum(severity = 'error' AND NOT dismissed), sum(severity = 'warning' AND NOT dismissed),
                       sum(severity = 'info' AND NOT dismissed), sum(dismissed) FROM {self.open}"""
        ).fetchone()
        return dict(zip(("error", "warning", "info", "dismissed"), (int(v or 0) for v in row), strict=True))

    def code_counts(self, start: str) -> list[tuple[str, str, int, int, int, int, int]]:
        """(code, severity, open, new since ``start``, resolved since ``start``, confirmed, dismissed) per code.

        Confirmed and dismissed count each finding's latest review (in force or not): the
        supervisors' verdicts on that code so far, which give its false-finding rate.
        """
        return [
            (r[0], r[1], int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0), int(r[6] or 0))
            for r in self.db.execute(
                f"""SELECT f.code, max(f.severity),
                      sum(o.id IS NOT NULL AND NOT o.dismissed),
                      sum(o.id IS NOT NULL AND NOT o.dismissed AND o.open_since >= :start),
                      sum(s.event = 'resolved' AND s.at >= :start),
                      sum(lr.verdict = 'confirmed'), sum(lr.verdict = 'dismissed')
                    FROM {self.state} s JOIN findings f ON f.id = s.id
                    JOIN sites t ON t.id = f.site_id AND t.enabled = 1
                    LEFT JOIN {self.open} o ON o.id = s.id
                    LEFT JOIN ({LATEST_REVIEWS}) lr ON lr.finding_id = s.id
                    GROUP BY f.code""",
                {"start": start, "cutoff": self.cutoff},
            ).fetchall()
        ]

    # -- rows, one agency at a time ----------------------------------------

    def open_rows(self, site_id: str) -> list[dict[str, Any]]:
        """The site's open findings at the cutoff, not dismissed, with their report and review."""
        return _rows(
            self.db.execute(
                f"""SELECT {FINDING_COLUMNS}, o.open_since, o.confirmed, o.verdict, o.note, o.reviewer,
                           o.reviewed_at, o.in_force
                    FROM {self.open} o JOIN findings f ON f.id = o.id
                    WHERE o.site_id = ? AND NOT o.dismissed""",
                [site_id],
            )
        )

    def resolved_rows(self, start: str) -> Iterator[dict[str, Any]]:
        """Findings resolved in [start, cutoff) and still resolved at the cutoff, by agency."""
        cursor = self.db.execute(
            f"""SELECT {FINDING_COLUMNS}, s.open_since, s.at AS resolved_at
                FROM {self.state} s JOIN findings f ON f.id = s.id
                JOIN sites t ON t.id = f.site_id AND t.enabled = 1
                WHERE s.event = 'resolved' AND s.at >= ?
                ORDER BY t.agency, f.site_id, f.severity, f.code, f.id""",
            [start],
        )
        yield from _rows(cursor)

    def opened_since(self, start: str) -> set[int]:
        return {
            int(r[0])
            for r in self.db.execute(
                "SELECT DISTINCT finding_id FROM finding_events WHERE event = 'opened' AND at >= ? AND at < ?",
                [start, self.cutoff],
            )
        }


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class ReportCounts:
    reports: int  # current reports (site, year, report key) recorded before the cutoff
    reports_new: int  # of which first recorded since the week's start


def report_counts(db: Database, period: Period) -> ReportCounts:
    row = db.execute(
        """SELECT count(*), sum(first >= :start) FROM (
             SELECT min(r.recorded_at) AS first FROM reports r JOIN sites s ON s.id = r.site_id AND s.enabled = 1
             WHERE r.recorded_at < :cutoff GROUP BY r.site_id, r.year, coalesce(r.report_key, ''))""",
        {"start": period.start, "cutoff": period.cutoff},
    ).fetchone()
    return ReportCounts(int(row[0] or 0), int(row[1] or 0))


def published_in_year(db: Database, year: int, cutoff: str) -> dict[str, str | None]:
    """Per site with a report for ``year`` recorded before ``cutoff``: its publication date (newest version)."""
    rows = db.execute(
        """SELECT site_id, published, max(recorded_at) FROM reports
           WHERE year = ? AND recorded_at < ? GROUP BY site_id""",
        [year, cutoff],
    ).fetchall()
    return {site_id: published for site_id, published, _ in rows}


def crawls_as_of(db: Database, cutoff: str) -> dict[str, RunRow]:
    """Each site's latest crawl run started before ``cutoff``, by site id."""
    rows = db.query(
        """SELECT * FROM runs r WHERE r.id = (SELECT r2.id FROM runs r2 WHERE r2.site_id = r.site_id
               AND r2.kind = 'crawl' AND r2.started_at < ? ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1)""",
        [cutoff],
    )
    out = {}
    for row in rows:
        row = dict(row)
        row["counts"] = json.loads(row["counts"] or "{}")
        row["errors"] = json.loads(row["errors"] or "[]")
        out[row["site_id"]] = RunRow(**row)
    return out


def last_successful_crawls(db: Database, cutoff: str) -> dict[str, str]:
    """When each site was last crawled with status ok before ``cutoff``."""
    rows = db.execute(
        """SELECT site_id, max(coalesce(finished_at, started_at)) FROM runs
           WHERE kind = 'crawl' AND status = 'ok' AND started_at < ? GROUP BY site_id""",
        [cutoff],
    ).fetchall()
    return {site_id: at for site_id, at in rows}


def crawl_messages(snapshot: Snapshot) -> dict[str, list[str]]:
    """Open crawl-health findings' messages per site (why a site could not be checked)."""
    out: dict[str, list[str]] = {}
    for site_id, message in snapshot.db.execute(
        f"""SELECT f.site_id, f.message FROM {snapshot.open} o JOIN findings f ON f.id = o.id
            WHERE f.code LIKE 'CRAWL.%' AND f.code != 'CRAWL.DOCUMENT_FAILED' ORDER BY f.id"""
    ):
        out.setdefault(site_id, []).append(message)
    return out


def open_history(
    db: Database,
    period: Period,
    *,
    sites: Collection[str] | None = None,
    weeks: int = 12,
    severity: str | None = "error",
) -> list[WeekCount]:
    """Open findings (of ``severity``) of enabled sites at the end of each of the last ``weeks`` weeks, oldest first.

    Each earlier week is counted at its end (the next Monday 00:00); the
    digest's own week at ``period.cutoff``, so the last bar is the headline's
    figure. A finding's events alternate (opened, resolved, reopened, …), so
    the findings open at a moment are the opening events before it minus the
    resolving ones: one aggregate over the events per week, no per-finding
    lookup. A finding dismissed as a false finding, its review in force at a
    week's end, is not counted for that week, as the headline does not count it.
    """
    bounds = []
    for back in range(weeks - 1, -1, -1):
        week = period.week.previous(back) if back else period.week
        bounds.append((week, period.cutoff if back == 0 else midnight(week.sunday + timedelta(days=1))))
    site_filter = ""
    params: dict[str, Any] = {"severity": severity}
    if sites is not None:
        site_filter = "AND f.site_id IN (SELECT value FROM json_each(:sites))"
        params["sites"] = json.dumps(sorted(sites))
    # Every bound is a midnight in CST and timestamps are CST strings: per-day sums are exact.
    per_day = db.execute(
        f"""SELECT substr(e.at, 1, 10), sum(CASE WHEN e.event = 'resolved' THEN -1 ELSE 1 END)
            FROM finding_events e JOIN findings f ON f.id = e.finding_id
            JOIN sites s ON s.id = f.site_id AND s.enabled = 1
            WHERE e.at < :cutoff AND (:severity IS NULL OR f.severity = :severity) {site_filter}
            GROUP BY 1 ORDER BY 1""",
        {**params, "cutoff": period.cutoff},
    ).fetchall()
    out = []
    for week, cutoff in bounds:
        day = cutoff[:10]
        count = sum(int(delta) for when, delta in per_day if when < day)
        count -= _dismissed_open(db, cutoff, site_filter, params)
        out.append(WeekCount(week.monday.isoformat(), week.sunday.isoformat(), count))
    return out


def _dismissed_open(db: Database, cutoff: str, site_filter: str, params: dict[str, Any]) -> int:
    """Findings open at ``cutoff`` whose latest review then is a dismissal in force (reviews are few)."""
    row = db.execute(
        f"""SELECT count(*) FROM ({LATEST_REVIEWS}) lr
            JOIN findings f ON f.id = lr.finding_id
            JOIN sites s ON s.id = f.site_id AND s.enabled = 1
            WHERE lr.verdict = 'dismissed' AND lr.in_force
              AND (:severity IS NULL OR f.severity = :severity) {site_filter}
              AND (SELECT e.event FROM finding_events e WHERE e.finding_id = f.id AND e.at < :cutoff
                   ORDER BY e.at DESC, e.id DESC LIMIT 1) IN ('opened', 'reopened')""",
        {**params, "cutoff": cutoff},
    ).fetchone()
    return int(row[0] or 0)
