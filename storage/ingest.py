"""Ingest: archive and check a report received by other means (upload, e-mail).

The document is stored and checked exactly as a crawled one, in a run of
kind ``ingest`` (which never touches crawl or site findings, and resolves
publication findings only when given ``published``). The report it is a
version of is named by ``url`` if given, else by the file name: a corrected
file ingested under the same name (or URL) resolves what it fixed.
Ingesting bytes the site's archive already holds changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from monitor.check import read_report
from monitor.errors import UnreadableInput
from monitor.model import Finding
from monitor.rules import Publication
from storage.archive import Archive
from storage.blobs import sha256_of
from storage.checking import PEER_LIMIT, check_report, options_for
from storage.documents import DateSeen
from storage.errors import UnknownSite
from storage.runs import start_run
from storage.sites import get_site


@dataclass
class IngestResult:
    name: str
    site_id: str
    sha256: str
    status: str  # "added" | "unchanged" | "unreadable"
    year: int | None = None
    report_id: int | None = None
    run_id: int | None = None
    findings: list[Finding] = field(default_factory=list)
    opened: int = 0
    resolved: int = 0
    reopened: int = 0
    problem: str | None = None


UPLOAD_KEY = "upload"


def already_ingested(archive: Archive, site_id: str, sha256: str) -> tuple[int, int | None] | None:
    """(report id, year) of the site's report read from these exact bytes, if any."""
    row = archive.db.execute(
        """SELECT r.id, r.year FROM reports r JOIN documents d ON d.id = r.document_id
           WHERE r.site_id = ? AND d.sha256 = ? ORDER BY r.id LIMIT 1""",
        [site_id, sha256],
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def ingest_bytes(
    archive: Archive,
    site_id: str,
    data: bytes,
    *,
    name: str,
    year: int | None = None,
    url: str | None = None,
    published: date | None = None,
    content_type: str | None = None,
    peer_limit: int = PEER_LIMIT,
) -> IngestResult:
    """Store, read and check one report of ``site_id``; one transaction.

    ``peer_limit`` bounds how many other agencies' reports of the year the copy
    check (XREF.COPIED) compares it with.
    """
    site = get_site(archive.db, site_id)
    if site is None:
        raise UnknownSite(site_id)
    digest = sha256_of(data)
    known = already_ingested(archive, site_id, digest)
    if known is not None:
        return IngestResult(name, site_id, digest, "unchanged", year=known[1], report_id=known[0])
    today = archive.today()
    options = options_for(site, year=year, published=published, today=today)
    # With --url the file is a version of the report published there; without, it is the site's
    # uploaded report of its year, so a corrected upload (under any file name) replaces the last one.
    key = url or UPLOAD_KEY
    run = start_run(archive, site_id, kind="ingest")
    dates = [DateSeen("option", published.isoformat(), "--published")] if published else []
    publication = Publication(published, "--published", url) if published else None
    document = run.store_document(data, url=url, name=Path(name).name, content_type=content_type, dates=dates)
    try:
        report = read_report(data, name, options, content_type)
    except UnreadableInput as exc:
        run.record_report(
            document,
            None,
            year=year,
            parse_error=exc.problem,
            given_year=year,
            publication=publication,
            key=key,
        )
        summary = run.finish("ok", counts={"documents": 1, "reports": 0, "unreadable": 1})
        return IngestResult(
            name,
            site_id,
            digest,
            "unreadable",
            year=year,
            report_id=summary.reports[0],
            run_id=summary.run_id,
            opened=len(summary.findings.opened),
            problem=exc.problem,
        )
    findings = check_report(
        archive.db, site, report, publication=publication, today=today, peer_limit=peer_limit
    )
    run.record_report(
        document,
        report,
        findings,
        year=year if year is not None else report.year,
        given_year=year,
        publication=publication,
        key=key,
    )
    summary = run.finish("ok", counts={"documents": 1, "reports": 1, "findings": len(findings)})
    return IngestResult(
        name,
        site_id,
        digest,
        "added",
        year=year if year is not None else report.year,
        report_id=summary.reports[0],
        run_id=summary.run_id,
        findings=findings,
        opened=len(summary.findings.opened),
        resolved=len(summary.findings.resolved),
        reopened=len(summary.findings.reopened),
    )
