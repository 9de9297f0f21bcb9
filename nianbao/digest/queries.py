"""Queries the digest needs beyond ``storage.queries``: the archive as it stood at a moment.

``storage.queries`` answers for *now* (a finding's current status, a site's
latest run); a digest for a past week must see what was known at the end of
that week, so these two read the event log and the runs up to a cutoff.
Read-only, on the public ``Archive.db`` handle.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from nianbao.digest.weeks import Period, midnight
from storage.queries import RunRow, WeekCount


@dataclass(frozen=True)
class FindingState:
    """A finding's state at the cutoff: its last event, and when its current open spell began."""

    finding_id: int
    event: str  # opened | reopened | resolved
    open_since: str | None  # the last opened/reopened event before the cutoff
    resolved_at: str | None  # the resolution in force at the cutoff, if resolved

    @property
    def is_open(self) -> bool:
        return self.event in ("opened", "reopened")


def finding_states(db: Database, cutoff: str) -> dict[int, FindingState]:
    """Every finding that existed before ``cutoff``, by id, with its state at that moment."""
    rows = db.execute(
        """SELECT e.finding_id, e.event, e.at,
                  (SELECT max(o.at) FROM finding_events o WHERE o.finding_id = e.finding_id
                     AND o.event IN ('opened', 'reopened') AND o.at < ?) AS open_since
           FROM finding_events e
           WHERE e.id = (SELECT l.id FROM finding_events l WHERE l.finding_id = e.finding_id AND l.at < ?
                         ORDER BY l.at DESC, l.id DESC LIMIT 1)""",
        [cutoff, cutoff],
    ).fetchall()
    return {
        int(fid): FindingState(int(fid), event, open_since, at if event == "resolved" else None)
        for fid, event, at, open_since in rows
    }


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


def open_history(
    db: Database, period: Period, *, sites: Collection[str], weeks: int = 12, severity: str | None = "error"
) -> list[WeekCount]:
    """Open findings (of ``severity``) of ``sites`` at the end of each of the last ``weeks`` weeks, oldest first.

    Each earlier week is counted at its end (the next Monday 00:00); the
    digest's own week at ``period.cutoff``, so the last bar is the headline's
    figure. Findings of sites not in ``sites`` (disabled ones) are not counted.
    """
    site_list = json.dumps(sorted(sites))
    out = []
    for back in range(weeks - 1, -1, -1):
        week = period.week.previous(back) if back else period.week
        cutoff = period.cutoff if back == 0 else midnight(week.sunday + timedelta(days=1))
        (count,) = db.execute(
            """SELECT count(*) FROM findings f WHERE (? IS NULL OR f.severity = ?)
                 AND f.site_id IN (SELECT value FROM json_each(?)) AND
                 (SELECT e.event FROM finding_events e WHERE e.finding_id = f.id AND e.at < ?
                  ORDER BY e.at DESC, e.id DESC LIMIT 1) IN ('opened', 'reopened')""",
            [severity, severity, site_list, cutoff],
        ).fetchone()
        out.append(WeekCount(week.monday.isoformat(), week.sunday.isoformat(), int(count)))
    return out
