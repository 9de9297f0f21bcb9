"""How the crawl of one site ends: its run status, its crawl-health findings, and PUB.MISSING.

The crawler says what it saw (problems, the years its listing named, whether
the listing was complete); this module judges it and writes the site's run
through its intake, in one transaction. A site whose listing could not be
read completely is never judged for missing reports: its CRAWL.* finding
says why it could not be looked at. A year whose listed report is gone (its
link answers 404) is judged missing, and its PUB.MISSING
says it was listed but could not be downloaded. A site whose list pages our own
code could not read is recorded as an error (and not judged for missing years).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from monitor.codes import CODES, PUB_MISSING, RunStatus
from monitor.model import Finding
from monitor.publication import missing_reports
from monitor.rules import finding
from nianbao.intake import Intake
from storage.runs import RunSummary

log = logging.getLogger(__name__)


class CrawlProblem(Protocol):
    """A problem the crawler met on a site (its ``ProblemItem``)."""

    code: str
    message: str  # Chinese, one line
    url: str
    evidence: dict[str, Any]
    listing: bool  # it hit the listing, so the listing is incomplete

    def to_json(self) -> dict[str, Any]: ...


@dataclass
class SiteCrawl:
    """What the crawler saw of one site, at its end."""

    problems: Sequence[CrawlProblem]
    years_found: set[int]
    listing_complete: bool
    column_url: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    # Years whose every listed report is gone: year -> those entries (title, url, reason).
    years_failed: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # our own failures while crawling the site


@dataclass
class CrawlVerdict:
    summary: RunSummary
    status: RunStatus
    missing: list[Finding]


def run_status(problems: Sequence[CrawlProblem]) -> RunStatus:
    """A listing that was blocked, unreachable or had no report column gives the run that status."""
    listing_codes = {p.code for p in problems if p.listing}
    for status in RunStatus:
        if status.code is not None and status.code in listing_codes:
            return status
    return RunStatus.OK


def problem_finding(problem: CrawlProblem) -> Finding:
    # The site's reachability is one finding per site, whatever page showed it; a document's failure is its own.
    subject = "" if CODES[problem.code].scope == "crawl" else problem.url
    return finding(problem.code, problem.message, {"url": problem.url, **problem.evidence}, subject=subject)


def finish_crawl(intake: Intake, crawl: SiteCrawl, *, today: date) -> CrawlVerdict:
    """Judge the crawl and write the site's run; a failure to judge or write is recorded as an error run."""
    errors = [f"{p.code} {p.url} {p.message}" for p in crawl.problems] + list(crawl.errors)
    try:
        status = run_status(crawl.problems)
        if status == RunStatus.OK and crawl.errors:
            status = RunStatus.ERROR
        for problem in crawl.problems:
            year = problem.evidence.get("year")
            intake.add_finding(
                problem_finding(problem), url=problem.url, year=year if isinstance(year, int) else None
            )
        site = intake.run.site
        missing = missing_reports(
            level=site.level,
            today=today,
            years_found=crawl.years_found,
            crawl_ok=status == RunStatus.OK and crawl.listing_complete,
            deadline_override=site.deadline,
            first_year=site.first_year,
            site_url=crawl.column_url or (site.start_urls[0] if site.start_urls else None),
            listed_failed=crawl.years_failed,
        )
        for found in missing:
            intake.add_finding(found, year=found.evidence.get("year"))
        summary = intake.finish(status, counts=crawl.counts, errors=errors)
        return CrawlVerdict(summary, status, missing)
    except Exception as exc:
        log.exception("could not record the crawl of site %s; recording it as an error", intake.site_id)
        errors.append(f"记录抓取结果时出错（{type(exc).__name__}: {exc}）")
        summary = intake.run.finish_failed(counts=crawl.counts, errors=errors)
        return CrawlVerdict(summary, RunStatus.ERROR, [])


def missing_years(verdict: CrawlVerdict) -> list[int]:
    return [int(f.evidence["year"]) for f in verdict.missing if f.code == PUB_MISSING]
