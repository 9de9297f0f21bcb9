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
| report (a report's rules, its parse failure)     | checked a readable version of that report          |
| publication (PUB.LATE, PUB.DATE_UNKNOWN)         | did so with the publication date established again |
| site (PUB.MISSING, PUB.CHANGED, DOCUMENT_FAILED) | crawled the site with status ``ok``                |
| crawl (UNREACHABLE, BLOCKED, NO_REPORT_COLUMN)   | crawled the site, whatever it found, except error  |

A report is (site, year, report key): the key (canonical URL of a crawled
report, --url or file name of an ingested one) keeps the 部门年报 of several
departments of one site and year apart. A publication date is established again
by a crawl that found it or an ingest given --published; never by a reparse.

So an unreachable or blocked crawl never resolves a report or publication
finding (it could not look), and an ingest never resolves crawl findings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from monitor.codes import DOCUMENT_FAILED, RunStatus, code_of
from monitor.codes import Scope as ScopeKind
from monitor.model import DateSeen, Finding, Publication, Report
from storage.db import write_transaction
from storage.documents import PreviousFetch, find_document, previous_fetch, write_document
from storage.errors import UnknownSite
from storage.findings import (
    Observed,
    Reconciled,
    Scope,
    fingerprint,
    reconcile,
    resolve_where,
    scope_of_report_finding,
    scope_of_site_finding,
)
from storage.reports import write_report
from storage.similarity import IndexEntry
from storage.sites import Site, get_site

if TYPE_CHECKING:
    from storage.archive import Archive

RunKind = Literal["crawl", "ingest", "reparse"]


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
class PendingReport:
    document: StoredDocument
    report: Report | None
    findings: list[Finding]
    year: int | None
    parse_error: str | None
    read_options: dict[str, Any]
    key: str | None = None
    publication: Publication | None = None
    sketch: IndexEntry | None = None


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
        self._reports: list[PendingReport] = []
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
        dates: Sequence[DateSeen] = (),
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
            dates=list(dates),
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
        dates: Sequence[DateSeen] = (),
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
            dates=list(dates),
            is_new=False,
            origin="crawl",
        )
        self._seen_again[(url, previous.sha256)] = document
        return document

    def read_document(self, document: StoredDocument) -> bytes:
        return self.archive.blobs.get(document.sha256)

    # -- reports and findings ----------------------------------------------

    @property
    def pending(self) -> list[PendingReport]:
        """The reports this run recorded so far, in order (not yet written)."""
        return self._reports

    def pending_reports(self) -> list[tuple[str | None, Report]]:
        """(report key, report) of the readable reports this run recorded so far."""
        return [(p.key, p.report) for p in self._reports if p.report is not None]

    def record_report(
        self,
        document: StoredDocument,
        report: Report | None,
        findings: Sequence[Finding] = (),
        *,
        year: int | None = None,
        parse_error: str | None = None,
        given_year: int | None = None,
        year_hint: int | None = None,
        publication: Publication | None = None,
        key: str | None = None,
        failure_evidence: dict[str, Any] | None = None,
        sketch: IndexEntry | None = None,
    ) -> None:
        """Record the site's report read from ``document`` and the findings its check produced.

        Pass ``report=None`` and ``parse_error`` when the document could not be
        read: its bytes stay archived and a CRAWL.DOCUMENT_FAILED finding stands
        in for the report, without resolving what earlier versions showed.
        ``given_year`` and ``publication`` are what the report was read and
        checked with (a year the user gave, the publication the crawl found);
        they are kept so that ``reparse`` can read it again the same way.
        ``key`` names the report this document is a version of (default: the
        document's URL, else its file name): its findings are reconciled with
        those of earlier versions of the same key only. ``sketch`` puts the report in the
        similarity index XREF.COPIED searches (``storage.similarity``).
        """
        if report is None and not parse_error:
            raise ValueError("record_report needs a report or a parse_error")
        year = year if year is not None else report.year if report else None
        findings = list(findings)
        if report is None:  # ``failure_evidence``: what else names the report (its list entry)
            findings.append(parse_failure(document, parse_error or "", failure_evidence))
        options: dict[str, Any] = {"year": given_year}
        if year_hint is not None:
            options["year_hint"] = year_hint
        if publication is not None:
            options["publication"] = publication.to_json()
        self._reports.append(
            PendingReport(
                document,
                report,
                findings,
                year,
                parse_error,
                options,
                key=key or document.url or document.name or document.sha256,
                publication=publication,
                sketch=sketch,
            )
        )

    def add_finding(self, finding: Finding, *, year: int | None = None, url: str | None = None) -> None:
        """A site-level finding: CRAWL.*, PUB.MISSING (year), PUB.CHANGED (year, url)."""
        self._site_findings.append((finding, year, url))

    # -- the one transaction -----------------------------------------------

    def finish(
        self,
        status: RunStatus | str = RunStatus.OK,
        *,
        counts: dict[str, Any] | None = None,
        errors: list[str] | None = None,
    ) -> RunSummary:
        """Write the run, its documents, reports and reconciled findings in one transaction."""
        if self.finished is not None:
            return self.finished
        status = RunStatus(status)  # ValueError names an unknown status
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

    def finish_failed(
        self, *, counts: dict[str, Any] | None = None, errors: list[str] | None = None
    ) -> RunSummary:
        """Record the run as failed, without what it collected (after that could not be written)."""
        self._reports.clear()
        self._site_findings.clear()
        self._documents.clear()
        self._seen_again.clear()
        return self.finish(RunStatus.ERROR, counts=counts, errors=errors)

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
        # One report scope and one publication scope per (year, report key).
        observed: dict[tuple[int | None, str | None], dict[ScopeKind, list[Observed]]] = {}
        readable: set[tuple[int | None, str | None]] = set()
        dated: set[tuple[int | None, str | None]] = set()
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
                report_key=pending.key,
                publication=pending.publication,
                sketch=pending.sketch,
            )
            summary.reports.append(report_id)
            url = pending.document.url
            scope = (pending.year, pending.key)
            scopes = observed.setdefault(scope, {"report": [], "publication": []})
            for f in pending.findings:
                scopes[scope_of_report_finding(f.code)].append(Observed(f, pending.year, url, report_id))
            if pending.report is not None:
                readable.add(scope)
                if self._establishes_publication(pending.publication):
                    dated.add(scope)
        produced: set[str] = set()
        for (year, report_key), by_kind in observed.items():
            for kind, items in by_kind.items():
                # A report only some unreadable document spoke for keeps what earlier versions showed;
                # a publication finding stays unless this run established the publication date again.
                result = reconcile(
                    self.archive.db,
                    Scope(self.site.id, kind, year, report_key),
                    items,
                    now=now,
                    run_id=summary.run_id,
                    resolve_missing=(year, report_key) in (readable if kind == "report" else dated),
                )
                summary.findings.add(result)
                produced.update(
                    fingerprint(o.finding.code, self.site.id, o.year, o.finding.subject, report_key)
                    for o in items
                )
        # A readable version resolves the parse failures of its report, whatever year they were
        # recorded under (a document that could not be read often gave no year).
        for report_key in sorted({k for _, k in readable if k is not None}):
            resolve_where(
                self.archive.db,
                "site_id = ? AND scope = 'report' AND code = ? AND report_key = ? AND resolved_at IS NULL",
                [self.site.id, DOCUMENT_FAILED, report_key],
                keep=produced,
                now=now,
                run_id=summary.run_id,
                result=summary.findings,
            )

    def _establishes_publication(self, publication: Publication | None) -> bool:
        """Whether this run's check saw the publication date anew (not a reparse's stored one)."""
        if publication is None or self.kind == "reparse":
            return False
        return self.kind == "ingest" or publication.date is not None

    def _reconcile_site(self, summary: RunSummary, status: str, now: str) -> None:
        observed: dict[ScopeKind, list[Observed]] = {"site": [], "crawl": []}
        for finding, year, url in self._site_findings:
            observed[scope_of_site_finding(finding.code)].append(Observed(finding, year, url))
        crawled = self.kind == "crawl"
        resolve: dict[ScopeKind, bool] = {
            "site": crawled and status == RunStatus.OK,
            "crawl": crawled and status != RunStatus.ERROR,
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
            self.finish(RunStatus.ERROR, errors=[f"{exc_type.__name__}: {exc}"])
        elif self.finished is None and exc_type is None:
            self.finish(RunStatus.OK)


def start_run(
    archive: Archive, site_id: str, *, kind: RunKind = "crawl", batch: str | None = None
) -> SiteRun:
    """Begin a run over one registered site."""
    site = get_site(archive.db, site_id)
    if site is None:
        raise UnknownSite(site_id)
    return SiteRun(archive, site, kind, batch)


def parse_failure(document: StoredDocument, problem: str, extra: dict[str, Any] | None = None) -> Finding:
    """The finding that stands in for a report whose document could not be read."""
    where = document.url or document.name or document.sha256[:12]
    evidence = {"url": document.url, "name": document.name, "sha256": document.sha256, "problem": problem}
    return Finding(
        DOCUMENT_FAILED,
        code_of(DOCUMENT_FAILED).severity,
        f"报告文件无法解析：{where}（{problem}）",
        {**evidence, **{k: v for k, v in (extra or {}).items() if k not in evidence}},
        subject=f"document:{document.sha256[:16]}",
    )
