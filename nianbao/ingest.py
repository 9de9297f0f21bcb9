"""Ingest: archive and check a report received by other means (upload, e-mail), through the intake.

The document is stored and checked exactly as a crawled one, in a run of
kind ``ingest`` (which never touches crawl or site findings, and resolves
publication findings only when given ``published``). The report it is a
version of is named by ``url`` if given; without, it is the site's uploaded
report of its year, so a corrected upload (under any file name) replaces the
last one and resolves what it fixed. Ingesting the bytes of a report's
current version changes nothing; the bytes of an earlier version make that
version current again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from monitor.model import GIVEN, DateSeen, Finding, Publication
from nianbao.context import PEER_LIMIT
from nianbao.intake import Incoming, Intake, Submission
from nianbao.reading import Reader
from storage.archive import Archive
from storage.blobs import sha256_of
from storage.errors import UnknownSite
from storage.reports import current_versions
from storage.sites import get_site

# The report key of uploads without --url: one uploaded report per site and year.
UPLOAD_KEY = "upload"


def file_name(name: str) -> str:
    """The base name of ``name`` as the archive keeps it: valid text whatever bytes the file system held.

    A name that is not UTF-8 (held as surrogates since the command line) is most often GB18030 from a
    Chinese Windows machine; otherwise its odd bytes become U+FFFD.
    """
    base = os.path.basename(name)
    try:
        raw = base.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return base.encode("utf-8", "replace").decode("utf-8")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


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
    reader: Reader | None = None,
    peer_limit: int = PEER_LIMIT,
) -> IngestResult:
    """Store, read and check one report of ``site_id``; one transaction."""
    if get_site(archive.db, site_id) is None:
        raise UnknownSite(site_id)
    digest = sha256_of(data)
    key = url or UPLOAD_KEY
    # The bytes of a report's current version change nothing (under whatever name or URL they come again);
    # those of an earlier version are taken in, and make that version current again.
    current = current_versions(archive.db, site_id, [digest])
    if current:
        return IngestResult(
            name, site_id, digest, "unchanged", year=current[0].year, report_id=current[0].report_id
        )
    publication = Publication(published, GIVEN, url) if published else None
    submission = Submission(
        key=key,
        documents=[Incoming(url, data, "page", file_name(name), content_type)],
        given_year=year,
        publication=publication,
        dates=[DateSeen("option", published, GIVEN)] if published else [],
    )
    intake = Intake.start(archive, site_id, kind="ingest", reader=reader, peer_limit=peer_limit)
    outcome = intake.take_now(submission)
    counts = {"documents": 1, "reports": 0 if outcome.report is None else 1}
    if outcome.status == "unreadable":
        counts["unreadable"] = 1
    else:
        counts["findings"] = len(outcome.findings)
    summary = intake.finish(counts=counts)
    return IngestResult(
        name,
        site_id,
        digest,
        outcome.status,
        year=outcome.year,
        report_id=summary.reports[0] if summary.reports else None,
        run_id=summary.run_id,
        findings=outcome.findings,
        opened=len(summary.findings.opened),
        resolved=len(summary.findings.resolved),
        reopened=len(summary.findings.reopened),
        problem=outcome.problem,
    )
