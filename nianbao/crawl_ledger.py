"""What one site's crawl has brought so far, until its run is written: the one bookkeeping of a crawl.

A crawl on this machine (``crawler.pipelines.IntakePipeline``) and a crawl
through the queue (``nianbao.queue.writer``, with the worker's results) keep a
site's account the same way, so both write the same run: counts of what was
downloaded, read and checked, the years found, the crawl problems (a document
that killed the reader among them), and at the end the verdict of
``nianbao.crawl_result.finish_crawl`` with the summary line ``nianbao crawl`` prints.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monitor.codes import DOCUMENT_FAILED, RunStatus
from monitor.model import CST
from nianbao.crawl_result import CrawlProblem, SiteCrawl, finish_crawl, missing_years
from nianbao.intake import Intake, Outcome

log = logging.getLogger(__name__)

UNFINISHED = "抓取未完成（爬虫提前停止或记录失败）"
STOPPED = "抓取被中止，只记录了中止前读到的内容"


def report_name(title: str, year: int | None) -> str:
    """How a message names a report: its year when known, else its title."""
    return f"{year}年度报告" if year else f"年报“{title}”"


def crawl_clock(today: date | None) -> Callable[[], datetime] | None:
    """The archive's clock for a crawl judged as of ``today``: the real time of day on that day."""
    if today is None:
        return None
    day = today

    def clock() -> datetime:
        return datetime.combine(day, datetime.now(CST).time(), CST)

    return clock


@dataclass
class Problem:
    """A crawl problem met on a site (CRAWL.*), as the spider reports it or the intake adds it."""

    site_id: str
    code: str
    message: str  # Chinese, one line
    url: str
    evidence: dict[str, Any] = field(default_factory=dict)
    listing: bool = True  # it hit the listing, so the listing is incomplete

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "problem",
            "site_id": self.site_id,
            "code": self.code,
            "message": self.message,
            "url": self.url,
            "evidence": self.evidence,
            "listing": self.listing,
        }


@dataclass(frozen=True)
class Listed:
    """A report as the spider found it: where, under what title and year, and its entry in the list."""

    url: str
    title: str
    year: int | None
    listing: dict[str, Any] = field(default_factory=dict)  # the list entry: title, year, list date, list page


@dataclass
class SiteDone:
    """What the spider saw of a site when all its requests were answered."""

    site_id: str
    listing_complete: bool
    years_listed: dict[int, list[str]] = field(default_factory=dict)
    reports: int = 0
    pages: int = 0
    requests: int = 0
    families: list[str] = field(default_factory=list)
    interpretations: int = 0
    offsite: int = 0
    duplicates: int = 0
    redirects: list[list[str]] = field(default_factory=list)
    column_url: str = ""
    years_failed: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # listed, not fetched
    skipped_out_of_range: int = 0
    capped: int = 0
    errors: list[str] = field(default_factory=list)  # our own failures while crawling the site
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["years_listed"] = {str(k): v for k, v in self.years_listed.items()}
        data["years_failed"] = {str(k): v for k, v in self.years_failed.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteDone:
        values = dict(data)
        values["years_listed"] = {int(k): list(v) for k, v in data.get("years_listed", {}).items()}
        values["years_failed"] = {int(k): list(v) for k, v in data.get("years_failed", {}).items()}
        return cls(**values)


class SiteLedger:
    """One site's account during a crawl; ``finish`` judges it and writes the run through its intake."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.counts: dict[str, int] = defaultdict(int)
        self.years: set[int] = set()
        self.problems: list[CrawlProblem] = []

    @property
    def site_id(self) -> str:
        return self.intake.site_id

    def report_arrived(self, year: int | None, bodies: Sequence[bool]) -> None:
        """A report the spider found: its listed year, and for each document whether a body came (else 304)."""
        self.counts["reports"] += 1
        if year is not None:
            self.years.add(year)
        for body in bodies:
            self.counts["downloaded" if body else "not_modified"] += 1

    def report_taken(self, outcome: Outcome, listed: Listed) -> None:
        """What the intake made of it; a document that killed the reader is our failure, said as a crawl problem."""
        if outcome.status == "unchanged":
            self.counts["unchanged"] += 1
        elif outcome.status in (
            "unreadable",
            "withheld",
        ):  # a finding says why (the crawl's, or the archive's)
            self.counts[outcome.status] += 1
        else:
            self.counts["checked"] += 1
        if outcome.year is not None:
            self.years.add(outcome.year)
        name = report_name(listed.title, outcome.year or listed.year)
        for url, sha256, message in outcome.crashed:  # our reader's failure, not the agency's
            self.counts["reader_crashed"] += 1
            self._report_problem(
                listed, "reader_crashed", f"{name}文件读取时读取进程崩溃", url, sha256=sha256, detail=message
            )

    def report_failed(self, listed: Listed, exc: Exception) -> None:
        """A report that could not be recorded (logged by the caller): a finding; the run still finishes."""
        self.counts["record_errors"] += 1
        self._report_problem(
            listed,
            "record_failed",
            f"{report_name(listed.title, listed.year)}无法读取或记录（{type(exc).__name__}）",
            listed.url,
            detail=f"{type(exc).__name__}: {exc}"[:300],
        )

    def _report_problem(self, listed: Listed, kind: str, message: str, url: str, **evidence: Any) -> None:
        """CRAWL.DOCUMENT_FAILED for a report that was fetched but could not be taken in, with its list entry."""
        facts = {"kind": kind, "url": url, "report_url": listed.url, **listed.listing, **evidence}
        self.problems.append(Problem(self.site_id, DOCUMENT_FAILED, message, url, facts, False))

    def problem(self, problem: CrawlProblem) -> None:
        self.problems.append(problem)

    def finish(self, done: SiteDone, *, today: date) -> dict[str, Any]:
        """Judge the site's crawl, write its run, and return its summary (what ``nianbao crawl`` prints)."""
        read = self.years
        years_failed = {y: gone for y, gone in done.years_failed.items() if y not in read}
        years_found = (set(done.years_listed) - set(years_failed)) | read
        counts: dict[str, Any] = dict(self.counts)
        counts.update(
            {
                "list_pages": done.pages,
                "requests": done.requests,
                "reports_found": done.reports,
                "interpretations_skipped": done.interpretations,
                "offsite_links": done.offsite,
                "duplicates": done.duplicates,
                "skipped_out_of_range": done.skipped_out_of_range,
                "capped": done.capped,
            }
        )
        crawl = SiteCrawl(
            self.problems,
            years_found,
            done.listing_complete,
            done.column_url,
            counts,
            years_failed=years_failed,
            errors=done.errors,
        )
        verdict = finish_crawl(self.intake, crawl, today=today)
        return {
            "site_id": self.site_id,
            "agency": self.intake.run.site.agency,
            "status": str(verdict.status),
            "run_id": verdict.summary.run_id,
            "counts": counts,
            "years_found": sorted(years_found),
            "missing": missing_years(verdict),
            "problems": [p.to_json() for p in self.problems],
            "opened": len(verdict.summary.findings.opened),
            "reopened": len(verdict.summary.findings.reopened),
            "resolved": len(verdict.summary.findings.resolved),
            "families": done.families,
            "redirects": done.redirects,
            "notes": done.notes,
        }

    def finish_unfinished(self, errors: Sequence[str] = (UNFINISHED,)) -> dict[str, Any]:
        """A site whose crawl never ended (stopped, killed, retries used up): an error run, never "ok".

        What it read is written with it; when even that cannot be written, the failed run alone.
        """
        counts: dict[str, Any] = dict(self.counts)
        try:
            summary = self.intake.finish(RunStatus.ERROR, counts=counts, errors=list(errors))
        except Exception:
            log.exception("could not record what the crawl of site %s read", self.site_id)
            summary = self.intake.run.finish_failed(counts=counts, errors=list(errors))
        return {
            "site_id": self.site_id,
            "agency": self.intake.run.site.agency,
            "status": str(RunStatus.ERROR),
            "run_id": summary.run_id,
            "counts": {},
            "problems": [],
            "opened": 0,
            "reopened": 0,
            "resolved": 0,
        }
