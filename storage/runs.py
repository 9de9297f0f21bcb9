"""Runs: one crawl, ingest or reparse of one site, written in one transaction.

A ``SiteRun`` collects what a run finds — documents (bytes go to the blob
store at once), reports with their findings, site-level findings — and
``finish()`` writes all of it, the run row and the reconciled findings in a
single transaction: a run killed half-way leaves no trace but unreferenced
blobs, and the site's history is never half-updated.

What a run may resolve depends on what it could see (tested in
tests/test_storage_runs.py):

| findings scope                                   | resolved by a run that...                          |
|--------------------------------------------------|----------------------------------------------------|
| report (a report's rules, its parse failure)     | checked a new report for that (site, year)         |
| site (PUB.MISSING, PUB.CHANGED, DOCUMENT_FAILED) | crawled the site with status ``ok``                |
| crawl (UNREACHABLE, BLOCKED, NO_REPORT_COLUMN)   | crawled the site, whatever it found, except error  |

So an unreachable or blocked crawl never resolves a report or publication
finding (it could not look), and an ingest never resolves crawl findings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from monitor.model import Finding, Report
from storage.db import write_transaction
from storage.documents import DateSeen, PreviousFetch, find_document, previous_fetch, write_document
from storage.errors import UnknownSite
from storage.findings import Observed, Reconciled, Scope, ScopeKind, reconcile, scope_of_site_finding
from storage.reports import write_report
from storage.sites import Site, get_site

if TYPE_CHECKING:
    from monitor.rules import Publication
    from storage.archive import Archive

RunKind = Literal["crawl", "ingest", "reparse"]
RunStatus = Literal["ok", "unreachable", "blocked", "no_report_column", "error"]
RUN_STATUSES: tuple[str, ...] = ("ok", "unreachable", "blocked", "no_report_column", "error")
PARSE_FAILED = "CRAWL.DOCUMENT_FAILED"


@dataclass
class StoredDocument:
    """A document body stored by a run; pass it to ``SiteRun.record_report``."""

    sha256: str
    size: int
    url: str | None = None
    name: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    dates: list[DateSeen] = field(default_factory=list)
    is_new: bool = True  # this content at this URL was not in the archive before
    is_new_version: bool = False  # the URL was archived before with other content (PUB.CHANGED)
    previous_sha256: str | None = None
    origin: str = "crawl"


@dataclass
class _PendingReport:
    document: StoredDocument
    report: Report | None
    findings: list[Finding]
    year: int | None
    parse_error: str | None
    read_options: dict[str, Any]


@dataclass
class RunSummary:
    run_id: int
    site_id: str
    kind: str
    status: str
    documents: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)
    findings: Reconciled = field(default_factory=Reconciled)


class SiteRun:
    """One run over one site. Use ``start_run(archive, site_id)``; end with ``finish()``."""

    def __init__(
        self, archive: Archive, site: Site, kind: RunKind = "crawl", batch: str | None = None
    ) -> None:
        self.archive = archive
        self.site = site
        self.kind = kind
        self.batch = batch
        self.started_at = archive.now()
        self.finished: RunSummary | None = None
        self._documents: dict[tuple[str, str], StoredDocument] = {}
        self._seen_again: dict[tuple[str, str], StoredDocument] = {}
        self._reports: list[_PendingReport] = []
        self._site_findings: list[tuple[Finding, int | None, str | None]] = []

    # -- documents ---------------------------------------------------------

    def previous_fetch(self, url: str) -> PreviousFetch | None:
        """The archive's last fetch of ``url``: ETag, Last-Modified and sha256 for a conditional request."""
        return previous_fetch(self.archive.db, url, site_id=self.site.id) or previous_fetch(
            self.archive.db, url
        )

    def store_document(
        self,
        data: bytes,
        *,
        url: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        dates: Sequence[DateSeen | dict[str, Any]] = (),
    ) -> StoredDocument:
        """Store a body (content-addressed, at once) and remember it for this run's transaction."""
        digest = self.archive.blobs.put(data)
        previous = previous_fetch(self.archive.db, url, site_id=self.site.id) if url else None
        pending = next((d for d in self._documents.values() if url and d.url == url), None)
        previous_sha = pending.sha256 if pending else previous.sha256 if previous else None
        known = find_document(self.archive.db, self.site.id, url, digest) is not None
        document = StoredDocument(
            sha256=digest,
            size=len(data),
            url=url,
            name=name,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            dates=[DateSeen.of(d) for d in dates],
            is_new=not known and (url or "", digest) not in self._documents,
            is_new_version=previous_sha is not None and previous_sha != digest,
            previous_sha256=previous_sha if previous_sha != digest else None,
            origin="ingest" if self.kind == "ingest" else "crawl",
        )
        self._documents[(url or "", digest)] = document
        return document

    def document_unchanged(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        dates: Sequence[DateSeen | dict[str, Any]] = (),
    ) -> StoredDocument | None:
        """Record that ``url`` was seen unchanged (HTTP 304); None if the archive never had it."""
        previous = previous_fetch(self.archive.db, url, site_id=self.site.id)
        if previous is None:
            return None
        document = StoredDocument(
            sha256=previous.sha256,
            size=previous.size,
            url=url,
            content_type=previous.content_type,
            etag=etag or previous.etag,
            last_modified=last_modified or previous.last_modified,
            dates=[DateSeen.of(d) for d in dates],
            is_new=False,
            origin="crawl",
        )
        self._seen_again[(url, previous.sha256)] = document
        return document

    def read_document(self, document: StoredDocument) -> bytes:
        return self.archive.blobs.get(document.sha256)

    # -- reports and findings ----------------------------------------------

    def check(self, report: Report, publication: Publication | None = None) -> list[Finding]:
        """Run the rules on ``report`` with the archive's context (last year's report, peers)."""
        from storage.checking import check_report

        return check_report(
            self.archive.db, self.site, report, publication=publication, today=self.archive.today()
        )

    def record_report(
        self,
        document: StoredDocument,
        report: Report | None,
        findings: Sequence[Finding] = (),
        *,
        year: int | None = None,
        parse_error: str | None = None,
        given_year: int | None = None,
        publication: Publication | None = None,
    ) -> None:
        """Record the site's report read from ``document`` and the findings its check produced.

        Pass ``report=None`` and ``parse_error`` when the document could not be
        read: its bytes stay archived and a CRAWL.DOCUMENT_FAILED finding stands
        in for the report, without resolving what earlier versions showed.
        ``given_year`` and ``publication`` are what the report was read and
        checked with (a year the user gave, the publication the crawl found);
        they are kept so that ``reparse`` can read it again the same way.
        """
        if report is None and not parse_error:
            raise ValueError("record_report needs a report or a parse_error")
        year = year if year is not None else report.year if report else None
        findings = list(findings)
        if report is None:
            findings.append(parse_failure(document, parse_error or ""))
        options: dict[str, Any] = {"year": given_year}
        if publication is not None:
            options["publication"] = {
                "date": publication.date.isoformat() if publication.date else None,
                "source": publication.source,
                "url": publication.url,
                "quote": publication.quote,
            }
        self._reports.append(_PendingReport(document, report, findings, year, parse_error, options))

    def add_finding(self, finding: Finding, *, year: int | None = None, url: str | None = None) -> None:
        """A site-level finding: CRAWL.*, PUB.MISSING (year), PUB.CHANGED (year, url)."""
        self._site_findings.append((finding, year, url))

    # -- the one transaction -----------------------------------------------

    def finish(
        self,
        status: RunStatus = "ok",
        *,
        counts: dict[str, Any] | None = None,
        errors: list[str] | None = None,
    ) -> RunSummary:
        """Write the run, its documents, reports and reconciled findings in one transaction."""
        if self.finished is not None:
            return self.finished
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        db, now = self.archive.db, self.archive.now()
        with write_transaction(db):
            cursor = db.execute(
                """INSERT INTO runs (site_id, kind, batch, status, started_at, finished_at, counts, errors)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    self.site.id,
                    self.kind,
                    self.batch,
                    status,
                    self.started_at,
                    now,
                    json.dumps(counts or {}, ensure_ascii=False, sort_keys=True),
                    json.dumps(errors or [], ensure_ascii=False),
                ],
            )
            summary = RunSummary(int(cursor.lastrowid or 0), self.site.id, self.kind, status)
            doc_ids = self._write_documents(summary, now)
            self._write_reports(summary, doc_ids, now)
            self._reconcile_site(summary, status, now)
            db.execute(
                "UPDATE runs SET findings_opened = ?, findings_reopened = ?, findings_resolved = ?"
                " WHERE id = ?",
                [
                    len(summary.findings.opened),
                    len(summary.findings.reopened),
                    len(summary.findings.resolved),
                    summary.run_id,
                ],
            )
        self.finished = summary
        return summary

    def _write_documents(self, summary: RunSummary, now: str) -> dict[tuple[str, str], int]:
        ids: dict[tuple[str, str], int] = {}
        for key, doc in [*self._seen_again.items(), *self._documents.items()]:
            ids[key] = write_document(
                self.archive.db,
                site_id=self.site.id,
                sha256=doc.sha256,
                size=doc.size,
                url=doc.url,
                name=doc.name,
                content_type=doc.content_type,
                etag=doc.etag,
                last_modified=doc.last_modified,
                origin=doc.origin,
                dates=doc.dates,
                run_id=summary.run_id,
                now=now,
            )
            summary.documents.append(ids[key])
        return ids

    def _write_reports(self, summary: RunSummary, doc_ids: dict[tuple[str, str], int], now: str) -> None:
        by_year: dict[int | None, list[Observed]] = {}
        checked_years: set[int | None] = set()
        for pending in self._reports:
            key = (pending.document.url or "", pending.document.sha256)
            if key not in doc_ids:  # recorded against a document this run did not store
                doc_ids[key] = write_document(
                    self.archive.db,
                    site_id=self.site.id,
                    sha256=pending.document.sha256,
                    size=pending.document.size,
                    url=pending.document.url,
                    name=pending.document.name,
                    content_type=pending.document.content_type,
                    etag=pending.document.etag,
                    last_modified=pending.document.last_modified,
                    origin=pending.document.origin,
                    dates=pending.document.dates,
                    run_id=summary.run_id,
                    now=now,
                )
            report_id, _ = write_report(
                self.archive.db,
                site_id=self.site.id,
                document_id=doc_ids[key],
                year=pending.year,
                report=pending.report,
                parse_error=pending.parse_error,
                read_options=pending.read_options,
                run_id=summary.run_id,
                now=now,
            )
            summary.reports.append(report_id)
            url = pending.document.url
            by_year.setdefault(pending.year, []).extend(
                Observed(f, pending.year, url, report_id) for f in pending.findings
            )
            if pending.report is not None:
                checked_years.add(pending.year)
        for year, observed in by_year.items():
            # A year only some unreadable document spoke for keeps what earlier versions showed.
            summary.findings.add(
                reconcile(
                    self.archive.db,
                    Scope(self.site.id, "report", year),
                    observed,
                    now=now,
                    run_id=summary.run_id,
                    resolve_missing=year in checked_years,
                )
            )

    def _reconcile_site(self, summary: RunSummary, status: str, now: str) -> None:
        observed: dict[ScopeKind, list[Observed]] = {"site": [], "crawl": []}
        for finding, year, url in self._site_findings:
            observed[scope_of_site_finding(finding.code)].append(Observed(finding, year, url))
        crawled = self.kind == "crawl"
        resolve: dict[ScopeKind, bool] = {
            "site": crawled and status == "ok",
            "crawl": crawled and status != "error",
        }
        for kind in observed:
            summary.findings.add(
                reconcile(
                    self.archive.db,
                    Scope(self.site.id, kind),
                    observed[kind],
                    now=now,
                    run_id=summary.run_id,
                    resolve_missing=resolve[kind],
                )
            )

    def __enter__(self) -> SiteRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        # A run that raised is still recorded (status error), so it never reads as "no problems".
        if self.finished is None and exc_type is not None and issubclass(exc_type, Exception):
            self.finish("error", errors=[f"{exc_type.__name__}: {exc}"])
        elif self.finished is None and exc_type is None:
            self.finish("ok")


def start_run(
    archive: Archive, site_id: str, *, kind: RunKind = "crawl", batch: str | None = None
) -> SiteRun:
    """Begin a run over one registered site."""
    site = get_site(archive.db, site_id)
    if site is None:
        raise UnknownSite(site_id)
    return SiteRun(archive, site, kind, batch)


def parse_failure(document: StoredDocument, problem: str) -> Finding:
    """The finding that stands in for a report whose document could not be read."""
    where = document.url or document.name or document.sha256[:12]
    return Finding(
        PARSE_FAILED,
        "warning",
        f"报告文件无法解析：{where}（{problem}）",
        {"url": document.url, "name": document.name, "sha256": document.sha256, "problem": problem},
        subject=f"document:{document.sha256[:16]}",
    )
