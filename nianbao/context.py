"""Checking a report with what the archive knows: the site, last year's report, the peers.

The monitor's rules are pure; this module gives them their context from the
archive: ``previous`` is the site's current report for the year before
(XREF.CARRYOVER, XREF.COPIED), ``peers`` other sites' current reports for
the same year (XREF.COPIED), the deadline the site's registry entry sets.

A run's reports wait in memory until its ``finish()``; ``pending`` gives the
check the reports this run already read (report key, report), so a crawl
that finds 2022 and 2023 compares them before either is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlite_utils import Database

from monitor.model import CheckOptions, Finding, Publication, Report
from monitor.rules import RuleContext, run_rules
from storage.reports import current_parsed, parsed_reports, peer_reports
from storage.sites import Site

# How many other agencies' reports a report is compared with for copying.
PEER_LIMIT = 20


def options_for(site: Site, *, year: int | None = None, today: date | None = None) -> CheckOptions:
    """The reading options the registry implies for one of the site's reports."""
    return CheckOptions(year=year, level=site.level, deadline=site.deadline, today=today)


def rule_context(
    db: Database,
    site: Site,
    report: Report,
    *,
    publication: Publication | None,
    today: date | None,
    peer_limit: int = PEER_LIMIT,
    pending: Sequence[tuple[str | None, Report]] = (),
) -> RuleContext:
    previous = previous_report(db, site, report, pending=pending) if report.year else None
    peers = (
        peer_reports(db, report.year, exclude_site=site.id, region=site.region, limit=peer_limit, shared=True)
        if report.year and peer_limit
        else []
    )
    return RuleContext(
        publication=publication, previous=previous, peers=peers, deadline_override=site.deadline, today=today
    )


def previous_report(
    db: Database, site: Site, report: Report, *, pending: Sequence[tuple[str | None, Report]] = ()
) -> Report | None:
    """The site's report of the year before ``report``'s, for XREF.CARRYOVER / XREF.COPIED.

    Candidates are the site's current parsed reports of that year, a run's
    ``pending`` ones replacing the archived version of their report key. With
    several (部门年报), the one of the same agency; failing that, the only one;
    several reports of other agencies give no previous report rather than a wrong one.
    """
    if not report.year:
        return None
    year = report.year - 1
    by_key: dict[str | None, Report | tuple[int, str]] = {}
    agencies: dict[str | None, str | None] = {}
    for key, report_id, parsed_at, agency in current_parsed(db, site.id, year):
        by_key[key] = (report_id, parsed_at)
        agencies[key] = agency
    for key, other in pending:
        if other is not report and other.year == year:
            by_key[key] = other
            agencies[key] = other.agency
    if not by_key:
        return None
    # This run's reports first, then the archive's, most recently checked first.
    ranked = [key for key, other in pending if key in by_key and by_key[key] is other]
    ranked += [key for key in by_key if key not in ranked]
    same = [key for key in ranked if agencies[key] and agencies[key] == report.agency]
    if same:
        chosen = by_key[same[0]]
    elif len(by_key) == 1:
        (chosen,) = by_key.values()
    else:
        return None
    if isinstance(chosen, Report):
        return chosen
    # Rules only read their context, so the reports may come from the shared cache.
    return parsed_reports(db, [chosen], True)[0]


def check_report(
    db: Database,
    site: Site,
    report: Report,
    *,
    publication: Publication | None = None,
    today: date | None = None,
    peer_limit: int = PEER_LIMIT,
    pending: Sequence[tuple[str | None, Report]] = (),
) -> list[Finding]:
    """Run every rule on ``report`` with its context from the archive (and a run's ``pending`` reports)."""
    ctx = rule_context(
        db, site, report, publication=publication, today=today, peer_limit=peer_limit, pending=pending
    )
    return run_rules(report, ctx)
