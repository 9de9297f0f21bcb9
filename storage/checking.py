"""Checking a report with what the archive knows: the site, last year's report, the peers.

The monitor's rules are pure; this module gives them their context from the
archive: ``previous`` is the site's current report for the year before
(XREF.CARRYOVER, XREF.COPIED), ``peers`` other sites' current reports for
the same year (XREF.COPIED), the deadline the site's registry entry sets.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from monitor.check import CheckOptions
from monitor.model import Finding, Report
from monitor.rules import Publication, RuleContext, run_rules
from storage.reports import latest_report, peer_reports
from storage.sites import Site

# How many other agencies' reports a report is compared with for copying.
PEER_LIMIT = 20


def options_for(
    site: Site, *, year: int | None = None, published: date | None = None, today: date | None = None
) -> CheckOptions:
    """The reading options the registry implies for one of the site's reports."""
    return CheckOptions(year=year, level=site.level, published=published, deadline=site.deadline, today=today)


def rule_context(
    db: Database,
    site: Site,
    report: Report,
    *,
    publication: Publication | None,
    today: date | None,
    peer_limit: int = PEER_LIMIT,
) -> RuleContext:
    # Rules only read their context, so the reports may come from the shared cache.
    previous = latest_report(db, site.id, report.year - 1, shared=True) if report.year else None
    peers = (
        peer_reports(db, report.year, exclude_site=site.id, region=site.region, limit=peer_limit, shared=True)
        if report.year and peer_limit
        else []
    )
    return RuleContext(
        publication=publication, previous=previous, peers=peers, deadline_override=site.deadline, today=today
    )


def check_report(
    db: Database,
    site: Site,
    report: Report,
    *,
    publication: Publication | None = None,
    today: date | None = None,
    peer_limit: int = PEER_LIMIT,
) -> list[Finding]:
    """Run every rule on ``report`` with its context from the archive."""
    ctx = rule_context(db, site, report, publication=publication, today=today, peer_limit=peer_limit)
    return run_rules(report, ctx)
