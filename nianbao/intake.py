"""The intake: the one way a report enters the archive, whether crawled, ingested or re-parsed.

For each submitted report (its page and attachments, or an uploaded file):

1. **store** every document's bytes (content-addressed) and note which are new;
2. **read** the new or changed ones (in a worker process for a crawl);
3. **pick** the document that holds the most of the report (an attachment
   usually beats its "详见附件" page);
4. **check** it with the archive's context (last year's report, peers) and this
   run's other reports;
5. **record** report and findings in the site's run, and PUB.CHANGED when a
   report already archived at its URL now says something else.

``Intake.finish()`` checks again the reports whose previous year's report this
run read only after them, then writes the run in one transaction
(``storage.runs``). The crawl's pipeline, ``ingest`` and ``reparse`` all call
``Intake.take``; only what they submit differs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from monitor.codes import PUB_CHANGED, RunStatus
from monitor.model import CheckOptions, DateSeen, Finding, Publication, Report
from monitor.portal.dates import choose_publication
from monitor.rules import finding
from nianbao.context import PEER_LIMIT, check_copies, check_report, index_entry, likely_copies, options_for
from nianbao.indexing import ensure_indexed
from nianbao.reading import InlineReader, Reader, ReaderCrashed, Reading
from storage.archive import Archive
from storage.reports import current_versions, report_at_url
from storage.runs import RunKind, RunSummary, SiteRun, StoredDocument, start_run

Role = Literal["page", "attachment", "image"]
# Where a crawl looked for the publication date when it found none (PUB.DATE_UNKNOWN's evidence).
LOOKED_AT = "详情页、列表页、网址"
READABLE_ROLES: tuple[str, ...] = ("page", "attachment")


@dataclass
class Incoming:
    """One document of a submitted report. ``body`` is None when the server answered 304 (unchanged)."""

    url: str | None
    body: bytes | None
    role: Role = "page"
    name: str = ""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Submission:
    """One report as it arrived."""

    key: str  # the report it is a version of: canonical URL, --url, or the upload key
    documents: list[Incoming]
    given_year: int | None = None  # the year the user gave (--year): it overrides the report's own
    year_hint: int | None = None  # the year the list title gave: used when the report states none
    publication: Publication | None = None
    dates: list[DateSeen] = field(default_factory=list)  # every date seen, kept with the first document
    image_only: bool = False  # the page says the report is published only as images
    failed: list[str] = field(default_factory=list)  # attachments that could not be fetched, and why
    listing: dict[str, Any] = field(
        default_factory=dict
    )  # the list entry (title, year, list date, list page)


# withheld: only a "详见附件" page arrived (its attachment could not be fetched): nothing recorded, not checked.
Status = Literal["added", "unchanged", "unreadable", "withheld"]


@dataclass
class Outcome:
    """What the intake made of a submission."""

    status: Status
    report: Report | None = None
    findings: list[Finding] = field(default_factory=list)
    year: int | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (document, why it could not be read)
    crashed: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (url, sha256, message) that killed a reader
    withheld: bool = False  # only a "详见附件" page could be read: the report was not checked

    @property
    def problem(self) -> str | None:
        """Why no document could be read, in one line."""
        if not self.problems:
            return None
        if len(self.problems) == 1:
            return self.problems[0][1]
        return "；".join(f"{where}：{why}" if where else why for where, why in self.problems)


@dataclass
class _Stored:
    """A submission whose documents are stored, waiting for its readable ones to be read."""

    submission: Submission
    readable: list[tuple[Incoming, StoredDocument]]
    options: CheckOptions


class Intake:
    """The intake of one run over one site. Start with ``Intake.start(...)``; end with ``finish()``."""

    def __init__(
        self,
        run: SiteRun,
        reader: Reader | None = None,
        *,
        today: date | None = None,
        peer_limit: int = PEER_LIMIT,
    ) -> None:
        self.run = run
        self.reader: Reader = reader or InlineReader()
        self.today = today or run.archive.today()
        self.peer_limit = peer_limit
        # id(report) -> how many of this run's reports existed when it was checked.
        self._checked_with: dict[int, int] = {}
        # id(report) -> the archive's version and the likely copies when it was checked.
        self._checked_against: dict[int, tuple[tuple[int, int], frozenset[int]]] = {}

    @classmethod
    def start(
        cls,
        archive: Archive,
        site_id: str,
        *,
        kind: RunKind = "crawl",
        batch: str | None = None,
        reader: Reader | None = None,
        today: date | None = None,
        peer_limit: int = PEER_LIMIT,
    ) -> Intake:
        run = start_run(archive, site_id, kind=kind, batch=batch)
        ensure_indexed(archive.db)
        return cls(run, reader, today=today, peer_limit=peer_limit)

    @property
    def site_id(self) -> str:
        return self.run.site.id

    def options(self, year: int | None = None) -> CheckOptions:
        """How the site's reports are read: its level and deadline, and a year the user gave.

        A publication date is never read into the report: it travels beside it (``Submission.publication``),
        so a crawled, an ingested and a re-parsed copy of one document are stored alike.
        """
        return options_for(self.run.site, year=year, today=self.today)

    # -- the one way in --------------------------------------------------------------------------

    async def take(self, submission: Submission) -> Outcome:
        """Store, read, pick, check and record one report (reading through the reader, off the event loop)."""
        for incoming in submission.documents:  # the blob writes (and their fsync) off the event loop
            if incoming.body is not None:
                await asyncio.to_thread(self.run.archive.blobs.put, incoming.body)
        step = self._store(submission)
        if isinstance(step, Outcome):
            return step
        readings: list[Reading | ReaderCrashed] = []
        for incoming, document in step.readable:
            try:
                readings.append(await self.reader.read(*self._read_args(step, incoming, document)))
            except ReaderCrashed as exc:
                readings.append(exc)
        return self._record(step, readings)

    def take_now(self, submission: Submission) -> Outcome:
        """``take`` from synchronous code (ingest, reparse): the same steps, reading as the reader does."""
        step = self._store(submission)
        if isinstance(step, Outcome):
            return step
        readings: list[Reading | ReaderCrashed] = []
        for incoming, document in step.readable:
            try:
                readings.append(self.reader.read_now(*self._read_args(step, incoming, document)))
            except ReaderCrashed as exc:
                readings.append(exc)
        return self._record(step, readings)

    def _store(self, submission: Submission) -> _Stored | Outcome:
        """Store every document; the readable ones to read, or the outcome when there is nothing new."""
        stored = []
        for index, incoming in enumerate(submission.documents):
            dates = submission.dates if index == 0 else []
            if incoming.body is None:
                found = self.run.document_unchanged(
                    incoming.url or "", etag=incoming.etag, last_modified=incoming.last_modified, dates=dates
                )
                if found is not None:
                    stored.append((incoming, found))
                continue
            document = self.run.store_document(
                incoming.body,
                url=incoming.url,
                name=incoming.name or None,
                content_type=incoming.content_type,
                etag=incoming.etag,
                last_modified=incoming.last_modified,
                dates=dates,
            )
            stored.append((incoming, document))
        readable = [(inc, doc) for inc, doc in stored if inc.role in READABLE_ROLES]
        year = submission.given_year or submission.year_hint
        if not readable or self._unchanged(submission, [doc for _, doc in stored]):
            return Outcome("unchanged", year=year)
        options = self.options(year=submission.given_year)
        return _Stored(submission, readable, options)

    def _read_args(
        self, step: _Stored, incoming: Incoming, document: StoredDocument
    ) -> tuple[bytes, str, CheckOptions, str | None]:
        data = incoming.body if incoming.body is not None else self.run.read_document(document)
        return data, incoming.name or incoming.url or document.sha256, step.options, incoming.content_type

    def _record(self, step: _Stored, readings: Sequence[Reading | ReaderCrashed]) -> Outcome:
        """Pick the best reading, check it and record it (or record why nothing could be read)."""
        submission = step.submission
        outcome = Outcome("added", year=submission.given_year or submission.year_hint)
        best: tuple[float, Report, StoredDocument] | None = None
        unreadable: set[str] = set()
        for (incoming, document), reading in zip(step.readable, readings, strict=True):
            where = incoming.url or incoming.name or document.sha256
            if isinstance(reading, ReaderCrashed):  # our reader's failure, not the agency's: said so
                outcome.problems.append((where, str(reading)))
                outcome.crashed.append((where, document.sha256, str(reading)))
                unreadable.add(where)
                continue
            if reading.report is None:
                outcome.problems.append((where, reading.problem or "无法读取"))
                unreadable.add(where)
                continue
            score = _score(reading.report)
            if best is None or score > best[0]:
                best = (score, reading.report, document)
        if best is not None and not holds_report(best[1]) and (submission.failed or outcome.problems):
            # A "详见附件" page whose attachment failed: judged, the page would give a dozen false STRUCT.*
            # errors. The report is not checked. An attachment that could not be downloaded is the crawl's
            # finding already (naming the report); one that could not be read is recorded as the report's
            # unreadable version (its CRAWL.DOCUMENT_FAILED names the report's year and the problem).
            outcome.withheld = True
            if submission.failed:
                outcome.status = "withheld"
                outcome.problems.extend(("", why) for why in submission.failed)
                return outcome
            best = None
        if best is None:
            outcome.status = "unreadable"
            parse_error = outcome.problem or "无法读取"
            document = step.readable[0][1]
            if outcome.withheld:
                document = next(
                    d for inc, d in step.readable if (inc.url or inc.name or d.sha256) in unreadable
                )
                named = f"{outcome.year}年度报告" if outcome.year else "报告"
                parse_error = f"{named}的附件无法读取（{parse_error}），其页面只写“详见附件”，报告未检查"
            self.run.record_report(
                document,
                None,
                year=outcome.year,
                parse_error=parse_error,
                given_year=submission.given_year,
                year_hint=submission.year_hint,
                publication=submission.publication,
                key=submission.key,
                failure_evidence=submission.listing or None,
            )
            return outcome
        _, report, document = best
        if report.year is None and submission.year_hint is not None:
            report.year, report.year_source = submission.year_hint, "list title"
        if submission.image_only and document.url == submission.key:
            report.image_only = True
        changed = self._changed(report, document)
        publication = self._publication(submission, report)
        findings = self.check(report, publication)
        self.run.record_report(
            document,
            report,
            findings,
            year=report.year,
            given_year=submission.given_year,
            year_hint=submission.year_hint,
            publication=publication,
            key=submission.key,
            sketch=index_entry(report) if report.year is not None else None,
        )
        if changed is not None:
            self.run.add_finding(changed, year=report.year, url=document.url)
        outcome.report, outcome.findings, outcome.year = report, findings, report.year
        return outcome

    def _publication(self, submission: Submission, report: Report) -> Publication | None:
        """When the report was published: a date the user gave stands; else the one the evidence gives for the
        year the report states (a report of year Y is not published before January 1 of Y+1)."""
        given = submission.publication
        if given is None or given.given or not submission.dates:
            return given
        chosen = choose_publication(submission.dates, self.today, report.year)
        return Publication.of(chosen, given.url, LOOKED_AT)

    def _unchanged(self, submission: Submission, documents: Sequence[StoredDocument]) -> bool:
        """Nothing to read again: every document is as stored, and the report's current version came from them.

        A document the archive knows but that is not its report's current version (a portal swapping
        back to an older attachment, an upload of an earlier file) is read again: it becomes current.
        """
        if self.run.kind == "reparse":
            return False
        if any(d.is_new or d.is_new_version for d in documents):
            return False
        current = current_versions(self.run.archive.db, self.site_id, {d.sha256 for d in documents})
        return any(version.report_key == submission.key for version in current)

    # -- checking --------------------------------------------------------------------------------

    def check(self, report: Report, publication: Publication | None) -> list[Finding]:
        """Run the rules on ``report`` with the archive's context and this run's other reports.

        One of the year before that this run records *after* this check makes ``finish()`` check
        ``report`` again, so XREF.CARRYOVER and XREF.COPIED see it whatever order they came in.
        """
        self._checked_with[id(report)] = len(self.run.pending)
        self._checked_against[id(report)] = (self._archive_version(), self._likely(report))
        return check_report(
            self.run.archive.db,
            self.run.site,
            report,
            publication=publication,
            today=self.today,
            peer_limit=self.peer_limit,
            pending=self.run.pending_reports(),
        )

    def _check_again_with_later_reports(self) -> None:
        pending = self.run.pending
        for index, item in enumerate(pending):
            report = item.report
            checked_with = self._checked_with.get(id(report)) if report is not None else None
            if report is None or checked_with is None or not report.year:
                continue
            later = pending[checked_with:]
            if not any(p.report is not None and p.report.year == report.year - 1 for p in later):
                continue
            context = [(p.key, p.report) for i, p in enumerate(pending) if p.report and i != index]
            self._checked_against[id(report)] = (self._archive_version(), self._likely(report))
            item.findings = check_report(
                self.run.archive.db,
                self.run.site,
                report,
                publication=item.publication,
                today=self.today,
                peer_limit=self.peer_limit,
                pending=context,
            )

    def _check_copies_again(self) -> None:
        """Look again for copies among the reports written since each report was checked.

        A crawl writes each site's run as the site ends, while other sites' reports wait to be
        checked or written: a report checked before its copy was written would miss it (and the
        copy, checked earlier still, missed it too). Checked again here, just before this run is
        written, the later of the two always sees the earlier, whatever order they came in.
        """
        version = self._archive_version()
        pending = self.run.pending
        for index, item in enumerate(pending):
            report = item.report
            checked = self._checked_against.get(id(report)) if report is not None else None
            if report is None or not report.year or checked is None or checked[0] == version:
                continue
            if self._likely(report) == checked[1]:
                continue  # nothing new alike to it was written meanwhile
            context = [(p.key, p.report) for i, p in enumerate(pending) if p.report and i != index]
            copies = check_copies(
                self.run.archive.db,
                self.run.site,
                report,
                publication=item.publication,
                today=self.today,
                peer_limit=self.peer_limit,
                pending=context,
            )
            item.findings = [f for f in item.findings if f.code != "XREF.COPIED"] + copies

    def _likely(self, report: Report) -> frozenset[int]:
        """The ids of the reports the similarity index finds alike (only a crawl writes others meanwhile)."""
        if self.run.kind != "crawl":
            return frozenset()
        return frozenset(c.report_id for c in likely_copies(self.run.archive.db, self.run.site, report))

    def _archive_version(self) -> tuple[int, int]:
        """Changes to the archive, by other connections and by this one (a crawl's other sites)."""
        db = self.run.archive.db
        return int(db.execute("PRAGMA data_version").fetchone()[0]), db.conn.total_changes

    def _changed(self, report: Report, document: StoredDocument) -> Finding | None:
        """PUB.CHANGED when a report already archived at this URL now says something else."""
        if not document.is_new_version or report.year is None:
            return None
        # The report last read from this URL (a site may list several agencies' reports for one year).
        previous = report_at_url(self.run.archive.db, self.site_id, document.url)
        if previous is not None and _content_key(previous) == _content_key(report):
            return None  # the bytes changed (a view counter, a template), the report did not
        return finding(
            PUB_CHANGED,
            f"{report.year}年度报告在发布后被修改或替换（内容与此前存档的版本不同）",
            {
                "url": document.url,
                "sha256": document.sha256,
                "previous_sha256": document.previous_sha256,
                "year": report.year,
            },
            subject=document.url or "",
        )

    # -- the end ---------------------------------------------------------------------------------

    def add_finding(self, found: Finding, *, year: int | None = None, url: str | None = None) -> None:
        """A site-level finding of this run (CRAWL.*, PUB.MISSING)."""
        self.run.add_finding(found, year=year, url=url)

    def finish(
        self,
        status: RunStatus | str = RunStatus.OK,
        *,
        counts: dict[str, Any] | None = None,
        errors: list[str] | None = None,
    ) -> RunSummary:
        """Check again what later reports changed the context of, then write the run in one transaction."""
        if self.run.finished is None:
            self._check_again_with_later_reports()
            self._check_copies_again()
        return self.run.finish(status, counts=counts, errors=errors)


def holds_report(report: Report) -> bool:
    """Does this reading hold the report itself (half its parts, or a table), not a "详见附件" wrapper?"""
    return len(report.sections) >= 3 or any(table.found for table in report.tables.values())


def _score(report: Report) -> float:
    """How much of a report a document holds: sections and tables found, some text."""
    tables = sum(1 for t in report.tables.values() if t.found)
    return len(report.sections) * 10 + tables * 20 + min(len(report.body_text) / 1000, 5)


def _content_key(report: Report) -> str:
    """The report's content without volatile page chrome (view counters), to tell a real change."""
    data = report.to_json()
    content = {
        "sections": {k: v["text"] for k, v in data["sections"].items()},
        "tables": data["tables"],
        "title": data["title"],
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True)
