"""Re-reading archived documents when the parser improves (``nianbao reparse``), through the intake.

Each site's current reports (one per year and report key: every 部门年报 of a
year, not one of them) are submitted again from their stored bytes with the
options they were first read with, checked again, and their findings
reconciled — in one run of kind ``reparse`` per site. A reparse re-reads the
publication it was given, it does not establish it again: publication
findings stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from monitor.model import Publication
from nianbao.intake import Incoming, Intake, Submission
from nianbao.reading import Reader
from storage.archive import Archive
from storage.reports import current_reports
from storage.runs import RunSummary


@dataclass
class ReparseResult:
    site_id: str
    reports: int
    unreadable: int
    summary: RunSummary


def reparse(
    archive: Archive, site_id: str | None = None, *, reader: Reader | None = None
) -> list[ReparseResult]:
    """Re-read and re-check every current report (site, year, report key); one transaction per site."""
    by_site: dict[str, list[dict[str, Any]]] = {}
    for row in current_reports(archive.db, site_id):
        by_site.setdefault(str(row["site_id"]), []).append(row)
    return [_reparse_site(archive, sid, rows, reader) for sid, rows in by_site.items()]


def _reparse_site(
    archive: Archive, site_id: str, rows: list[dict[str, Any]], reader: Reader | None
) -> ReparseResult:
    intake = Intake.start(archive, site_id, kind="reparse", reader=reader)
    unreadable = 0
    for row in rows:
        options = _read_options(archive, int(row["id"]))
        document = Incoming(
            url=row["url"],
            body=archive.blobs.get(str(row["sha256"])),
            name=row["name"] or "",
            content_type=row["content_type"],
        )
        submission = Submission(
            key=str(row["report_key"]),
            documents=[document],
            given_year=options.get("year"),
            year_hint=options.get("year_hint"),
            publication=Publication.from_json(options.get("publication")),
        )
        outcome = intake.take_now(submission)
        unreadable += outcome.status == "unreadable"
    summary = intake.finish(counts={"reports": len(rows), "unreadable": unreadable})
    return ReparseResult(site_id, len(rows), unreadable, summary)


def _read_options(archive: Archive, report_id: int) -> dict[str, Any]:
    row = archive.db.execute("SELECT read_options FROM reports WHERE id = ?", [report_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}
