"""Re-reading archived documents when the parser improves (``nianbao reparse``).

Each site's current reports (one per year and report key: every 部门年报 of a
year, not one of them) are read again from their stored bytes with the options
they were first read with, checked again, and their findings reconciled — in
one run of kind ``reparse`` per site. A reparse re-reads the publication it was
given, it does not establish it again: publication findings stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.check import read_report
from monitor.errors import UnreadableInput
from monitor.rules import Publication
from storage.archive import Archive
from storage.checking import options_for
from storage.reports import current_reports
from storage.runs import RunSummary, StoredDocument, start_run


@dataclass
class ReparseResult:
    site_id: str
    reports: int
    unreadable: int
    summary: RunSummary


def reparse(archive: Archive, site_id: str | None = None) -> list[ReparseResult]:
    """Re-read and re-check every current report (site, year, report key); one transaction per site."""
    by_site: dict[str, list[dict[str, Any]]] = {}
    for row in current_reports(archive.db, site_id):
        by_site.setdefault(str(row["site_id"]), []).append(row)
    results = []
    for sid, rows in by_site.items():
        run = start_run(archive, sid, kind="reparse")
        unreadable = 0
        for row in rows:
            options = _read_options(archive, int(row["id"]))
            publication = _publication(options.get("publication"))
            given_year = options.get("year")
            name = row["name"] or row["url"] or row["sha256"]
            document = StoredDocument(
                sha256=row["sha256"],
                size=0,
                url=row["url"],
                name=row["name"],
                content_type=row["content_type"],
                is_new=False,
                origin="crawl",
            )
            data = archive.blobs.get(row["sha256"])
            document.size = len(data)
            opts = options_for(
                run.site,
                year=given_year,
                published=publication.date if publication else None,
                today=archive.today(),
            )
            try:
                report = read_report(data, name, opts, row["content_type"])
            except UnreadableInput as exc:
                unreadable += 1
                run.record_report(
                    document,
                    None,
                    year=row["year"],
                    parse_error=exc.problem,
                    given_year=given_year,
                    publication=publication,
                    key=row["report_key"],
                )
                continue
            findings = run.check(report, publication)
            year = given_year if given_year is not None else report.year
            run.record_report(
                document,
                report,
                findings,
                year=year,
                given_year=given_year,
                publication=publication,
                key=row["report_key"],
            )
        summary = run.finish("ok", counts={"reports": len(rows), "unreadable": unreadable})
        results.append(ReparseResult(sid, len(rows), unreadable, summary))
    return results


def _read_options(archive: Archive, report_id: int) -> dict[str, Any]:
    row = archive.db.execute("SELECT read_options FROM reports WHERE id = ?", [report_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def _publication(data: dict[str, Any] | None) -> Publication | None:
    if not data:
        return None
    when = date.fromisoformat(data["date"]) if data.get("date") else None
    return Publication(when, data.get("source"), data.get("url"), data.get("quote"))
