"""Build the weekly digest from the archive.

Reads only through ``storage.queries`` (findings, finding_changes, reports,
sites) and the as-of queries in ``nianbao.digest.queries`` (including the
chart's ``open_history``);
every figure is computed as of the period's cutoff, so a digest for a past
week shows that week as it was.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from monitor.codes import LEVEL_NAMES, SEVERITY_NAMES, SEVERITY_ORDER, RunStatus, code_title
from monitor.evidence import evidence_items, evidence_text, shorten
from monitor.model import CST
from monitor.publication import upcoming_deadline
from nianbao.digest.chart import weekly_chart
from nianbao.digest.model import (
    AgencyBlock,
    CodeCount,
    DeadlineRow,
    Digest,
    FindingView,
    Headline,
    UncheckedSite,
)
from nianbao.digest.queries import (
    FindingState,
    crawls_as_of,
    finding_states,
    last_successful_crawls,
    open_history,
)
from nianbao.digest.weeks import Period, Week
from storage import queries
from storage.clock import iso
from storage.queries import FindingRow, ReportRow, RunRow
from storage.sites import Site

HISTORY_WEEKS = 12
# A site whose last crawl is older than this is not counted as checked: its results are stale.
STALE_AFTER = timedelta(days=8)
LATE_CODES = ("PUB.MISSING", "PUB.LATE")


def build_digest(
    db: Database, period: Period, *, history_weeks: int = HISTORY_WEEKS, generated_at: datetime | None = None
) -> Digest:
    """Everything the digest page shows for ``period``."""
    sites = {site.id: site for site in queries.sites(db)}
    states = finding_states(db, period.cutoff)
    rows = [row for row in queries.findings(db, status="all") if row.site in sites and row.id in states]
    changes = queries.finding_changes(db, period.start, period.cutoff)
    opened = {row.id for row in changes["opened"]}
    reopened = {row.id for row in changes["reopened"]}
    resolved_now = {row.id for row in changes["resolved"]}
    reports_by_id = {r.id: r for r in queries.reports(db, current_only=False)}
    views = _Views(period, sites, reports_by_id, opened, reopened)

    open_rows = [row for row in rows if states[row.id].is_open]
    resolved_rows = [row for row in rows if row.id in resolved_now and not states[row.id].is_open]
    open_views = [views.finding(row, states[row.id]) for row in open_rows]
    resolved_views = sorted(
        (views.finding(row, states[row.id]) for row in resolved_rows),
        key=lambda f: (SEVERITY_ORDER[f.severity], f.agency, f.code),
    )

    unchecked = _unchecked(db, period, sites, open_rows)
    agencies = _agencies(open_views, sites, {u.site_id: u.reason for u in unchecked})
    current = _current_reports(reports_by_id.values(), sites, period.cutoff)
    headline = Headline(
        monitored=len(sites),
        checked=len(sites) - len(unchecked),
        not_checked=len(unchecked),
        reports=len(current),
        reports_new=sum(1 for r in current if r.recorded_at >= period.start),
        missing_or_late=len({(r.site, r.year) for r in open_rows if r.code in LATE_CODES}),
        open_errors=sum(1 for f in open_views if f.severity == "error"),
        open_warnings=sum(1 for f in open_views if f.severity == "warning"),
        open_infos=sum(1 for f in open_views if f.severity == "info"),
    )
    history = open_history(db, period, sites=set(sites), weeks=history_weeks, severity="error")
    return Digest(
        period=period,
        generated_at=iso(generated_at or datetime.now(CST)),
        headline=headline,
        agencies=agencies,
        resolved=resolved_views,
        unchecked=unchecked,
        upcoming=_upcoming(period.today, sites, current),
        codes=_codes(open_views, resolved_views, opened | reopened),
        chart=weekly_chart(history),
    )


def _current_reports(reports: Iterable[ReportRow], sites: dict[str, Site], cutoff: str) -> list[ReportRow]:
    """Per (site, year), the newest version recorded before ``cutoff``: the current report as of then.

    Not today's current version filtered by the cutoff: a version recorded
    later would hide the (site, year) from a regenerated past digest. Where
    the archive tells several reports of one (site, year) apart
    (``report_key``), each is its own.
    """
    newest: dict[tuple[str, int | None, str | None], ReportRow] = {}
    for report in reports:
        if report.site_id not in sites or report.recorded_at >= cutoff:
            continue
        key = (report.site_id, report.year, getattr(report, "report_key", None))
        held = newest.get(key)
        if held is None or (report.recorded_at, report.id) > (held.recorded_at, held.id):
            newest[key] = report
    return sorted(newest.values(), key=lambda r: (r.site_id, r.year is None, r.year or 0, r.id))


class _Views:
    """Turns archive rows into what a supervisor reads."""

    def __init__(
        self,
        period: Period,
        sites: dict[str, Site],
        reports: dict[int, ReportRow],
        opened: set[int],
        reopened: set[int],
    ) -> None:
        self.period, self.sites, self.reports = period, sites, reports
        self.opened, self.reopened = opened, reopened

    def finding(self, row: FindingRow, state: FindingState) -> FindingView:
        report = self.reports.get(row.report_id) if row.report_id else None
        weeks = _weeks_between(state.open_since or row.first_seen, self.period.week)
        if not state.is_open:
            status, text = "resolved", f"本周已整改（{_day(state.resolved_at)}）"
        elif row.id in self.reopened:
            status, text = "reopened", "本周重新出现（曾经整改）"
        elif row.id in self.opened:
            status, text = "new", "本周新发现"
        else:
            status, text = "open", f"已持续 {weeks} 周"
        url = safe_url(row.url) or (safe_url(report.url) if report else None)
        return FindingView(
            id=row.id,
            site_id=row.site,
            agency=row.agency,
            code=row.code,
            title=code_title(row.code),
            severity=row.severity,
            severity_name=SEVERITY_NAMES.get(row.severity, row.severity),
            message=row.message,
            evidence=[(k, v) for k, v in evidence_items(row.evidence) if v != row.message],
            evidence_text=evidence_text(row.evidence),
            year=row.year,
            report_title=report.title if report else None,
            url=url,
            link_label="打开报告" if row.scope == "report" else "打开网站",
            status=status,
            status_text=text,
            weeks_open=weeks,
            first_seen=_day(row.first_seen) or "",
            last_seen=_day(row.last_seen) or "",
            resolved_at=_day(state.resolved_at),
        )


def _agencies(
    views: list[FindingView], sites: dict[str, Site], not_checked: dict[str, str]
) -> list[AgencyBlock]:
    by_site: dict[str, list[FindingView]] = defaultdict(list)
    for view in views:
        by_site[view.site_id].append(view)
    status_order = {"new": 0, "reopened": 1, "open": 2}
    blocks = []
    for site_id, found in by_site.items():
        site = sites[site_id]
        found.sort(
            key=lambda f: (
                SEVERITY_ORDER[f.severity],
                status_order.get(f.status, 3),
                -(f.year or 0),
                f.code,
                f.id,
            )
        )
        blocks.append(
            AgencyBlock(
                site_id=site_id,
                agency=site.agency,
                level_name=LEVEL_NAMES.get(site.level, site.level),
                url=safe_url(site.start_urls[0]) if site.start_urls else None,
                findings=found,
                not_checked=not_checked.get(site_id),
            )
        )
    blocks.sort(key=lambda b: (-b.count("error"), -b.count("warning"), -b.count("info"), b.agency, b.site_id))
    return blocks


def _unchecked(
    db: Database, period: Period, sites: dict[str, Site], open_rows: list[FindingRow]
) -> list[UncheckedSite]:
    """Sites this digest cannot vouch for: never crawled, failed, stale, or without a report column."""
    runs = crawls_as_of(db, period.cutoff)
    successes = last_successful_crawls(db, period.cutoff)
    crawl_findings: dict[str, list[str]] = defaultdict(list)
    for row in open_rows:
        if row.code.startswith("CRAWL.") and row.code != "CRAWL.DOCUMENT_FAILED":
            crawl_findings[row.site].append(row.message)
    stale_before = iso(datetime.fromisoformat(period.cutoff) - STALE_AFTER)
    out = []
    for site in sites.values():
        run: RunRow | None = runs.get(site.id)
        if run is None:
            reason = "尚无抓取记录"
        elif run.status != "ok":
            reason = RunStatus(run.status).reason
        elif (run.finished_at or run.started_at) < stale_before:
            reason = f"超过 {STALE_AFTER.days} 天没有抓取"
        else:
            continue
        # The run's own error lines repeat its crawl findings ("CODE url message"): show them only without one.
        details = crawl_findings.get(site.id) or (run.errors if run else [])
        details = list(dict.fromkeys(details))
        out.append(
            UncheckedSite(
                site_id=site.id,
                agency=site.agency,
                url=safe_url(site.start_urls[0]) if site.start_urls else None,
                reason=reason,
                details=[shorten(d) for d in details],
                last_attempt=_day(run.started_at) if run else None,
                last_success=_day(successes.get(site.id)),
            )
        )
    out.sort(key=lambda u: (u.agency, u.site_id))
    return out


def _upcoming(today: date, sites: dict[str, Site], current: list[ReportRow]) -> list[DeadlineRow]:
    have = {(r.site_id, r.year) for r in current}
    rows = []
    for site in sites.values():
        due = upcoming_deadline(site.level, today, site.deadline)
        if due is None or (site.id, due[0]) in have:
            continue
        year, deadline = due
        rows.append(
            DeadlineRow(
                site_id=site.id,
                agency=site.agency,
                level_name=LEVEL_NAMES.get(site.level, site.level),
                year=year,
                deadline=deadline.isoformat(),
                days_left=(deadline - today).days,
            )
        )
    rows.sort(key=lambda r: (r.days_left, r.agency, r.site_id))
    return rows


def _codes(open_views: list[FindingView], resolved: list[FindingView], changed: set[int]) -> list[CodeCount]:
    open_count = Counter(f.code for f in open_views)
    new_count = Counter(f.code for f in open_views if f.id in changed)
    resolved_count = Counter(f.code for f in resolved)
    severity = {f.code: f.severity for f in [*open_views, *resolved]}
    codes = sorted(set(open_count) | set(resolved_count), key=lambda c: (SEVERITY_ORDER[severity[c]], c))
    return [
        CodeCount(
            code=code,
            title=code_title(code),
            severity=severity[code],
            severity_name=SEVERITY_NAMES.get(severity[code], severity[code]),
            open=open_count[code],
            new=new_count[code],
            resolved=resolved_count[code],
        )
        for code in codes
    ]


def safe_url(url: str | None) -> str | None:
    """A link target only if it is plain http(s): a crawled ``javascript:`` URL must never be clickable."""
    if not url:
        return None
    text = url.strip()
    lowered = text.lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return None
    if any(ch in text for ch in "\x00\r\n\t"):
        return None
    return text


def _weeks_between(since: str, week: Week) -> int:
    """How many ISO weeks, counting both ends, from the week of ``since`` to ``week``."""
    start = Week.containing(datetime.fromisoformat(since).astimezone(CST).date()).monday
    return max(1, (week.monday - start).days // 7 + 1)


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp).astimezone(CST).date().isoformat()
