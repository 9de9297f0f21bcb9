"""Checking a report with what the archive knows: the site, last year's report, the peers.

The monitor's rules are pure; this module gives them their context from the
archive: ``previous`` is the site's current report for the year before
(XREF.CARRYOVER, XREF.COPIED), ``peers`` the other sites' current reports of
the same year that the similarity index finds alike (XREF.COPIED), the
deadline the site's registry entry sets.

The peers are searched among *every* current report of the year: the index
(``storage.similarity``) gives the reports sharing a MinHash band with this
one, their signatures estimate how much of this report each holds, and only
those that may hold ``COPY_SHARE`` of it (at most ``PEER_LIMIT``, the likeliest
first) are read for the rule's exact comparison. A pair already reported from
the other side (the other report's open XREF.COPIED names this one) is left out:
one finding per pair.

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
from monitor.rules.xref import SAME_YEAR, copy_subject
from monitor.similarity import ESTIMATE_FLOOR, Sketch, estimated_share, report_sketch, signature_from_bytes
from storage.findings import holds_open_finding
from storage.reports import current_parsed, parsed_reports
from storage.similarity import Candidate, IndexEntry, candidates
from storage.sites import Site

# At most this many other agencies' reports, the likeliest copies first, are compared exactly: a report
# names at most five of the agencies it shares its text with (when a template's text is copied by hundreds,
# five tell the supervisor what happened; more would fill the desk and the archive with the same finding).
PEER_LIMIT = 5


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
    peers = similar_reports(db, site, report, limit=peer_limit) if peer_limit else []
    return RuleContext(
        publication=publication, previous=previous, peers=peers, deadline_override=site.deadline, today=today
    )


def index_entry(report: Report) -> IndexEntry:
    """What the similarity index keeps of a report (computed here: the archive never reads reports)."""
    found = report_sketch(report)
    return IndexEntry(found.shingles, found.signature_bytes(), found.bands() if found.indexed else ())


def likely_copies(db: Database, site: Site, report: Report) -> list[Candidate]:
    """Other sites' current reports of the year whose signatures say they may hold ``COPY_SHARE`` of this one.

    The likeliest first. Cheap (index lookups, a comparison of signatures): nothing is read.
    """
    if not report.year or report.image_only:  # an image-only report has no text to compare
        return []
    mine: Sketch = report_sketch(report)
    if not mine.searches:
        return []
    likely = []
    for other in candidates(db, report.year, mine.bands(), exclude_site=site.id):
        estimate = estimated_share(
            mine.signature, mine.shingles, signature_from_bytes(other.signature), other.shingles
        )
        if estimate >= ESTIMATE_FLOOR:
            likely.append((estimate, other.report_id, other))
    likely.sort(key=lambda item: (-item[0], item[1]))
    return [other for _, _, other in likely]


def similar_reports(db: Database, site: Site, report: Report, *, limit: int = PEER_LIMIT) -> list[Report]:
    """The likely copies, read for the rule's exact comparison (at most ``limit``; pairs reported once)."""
    subject = copy_subject(SAME_YEAR, report)
    chosen: list[tuple[int, str]] = []
    for other in likely_copies(db, site, report):
        if len(chosen) >= limit:
            break
        if holds_open_finding(db, other.site_id, report.year, other.report_key, "XREF.COPIED", subject):
            continue  # the pair is already reported, from the other side
        chosen.append((other.report_id, other.parsed_at))
    # Rules only read their context: the reports may come from the shared cache (a crawl's sites that
    # copy one template meet the same peers again and again).
    return parsed_reports(db, chosen, True)


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
    codes: set[str] | None = None,
) -> list[Finding]:
    """Run every rule (or those of ``codes``) on ``report`` with its context from the archive (and a
    run's ``pending`` reports)."""
    ctx = rule_context(
        db, site, report, publication=publication, today=today, peer_limit=peer_limit, pending=pending
    )
    return run_rules(report, ctx, codes=codes)


def check_copies(
    db: Database,
    site: Site,
    report: Report,
    *,
    publication: Publication | None = None,
    today: date | None = None,
    peer_limit: int = PEER_LIMIT,
    pending: Sequence[tuple[str | None, Report]] = (),
) -> list[Finding]:
    """XREF.COPIED alone, with the archive as it is now (other sites' reports written since the check)."""
    return check_report(
        db,
        site,
        report,
        publication=publication,
        today=today,
        peer_limit=peer_limit,
        pending=pending,
        codes={"XREF.COPIED"},
    )
