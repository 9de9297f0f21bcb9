"""Build the weekly digest from the archive: whom to call, roll-ups, and details streamed per agency.

Every figure is an SQL aggregate over a ``Snapshot`` of the archive at the
period's cutoff (``nianbao.digest.queries``), so a digest for a past week
shows that week as it was, and the cost does not grow with every finding
held in memory: Python sees one row per agency and, while the page is
written, one agency's findings at a time.

One agency's bad data (a deadline ``02-30`` accepted long ago, an evidence
blob that no longer parses) never stops the digest: that agency's part fails
alone, is named in ``Digest.problems`` and on the page, and the rest is built.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlite_utils import Database

from monitor.codes import LEVEL_NAMES, LEVELS, SEVERITY_NAMES, SEVERITY_ORDER, RunStatus, code_title
from monitor.deadlines import deadline_for
from monitor.evidence import evidence_items, evidence_text, shorten
from monitor.model import CST
from nianbao.digest.chart import weekly_chart
from nianbao.digest.copies import copy_path
from nianbao.digest.evidence import day
from nianbao.digest.model import (
    CALL_STATES,
    GRAVITY,
    AgencyDetail,
    AgencyRow,
    CodeCount,
    DeadlineRow,
    Digest,
    Figure,
    FindingView,
    Headline,
    Rollup,
    StoredCopy,
)
from nianbao.digest.queries import (
    SiteCounts,
    Snapshot,
    crawl_messages,
    crawls_as_of,
    last_successful_crawls,
    open_history,
    published_in_year,
    report_counts,
)
from nianbao.digest.weeks import Period, Week
from storage.clock import iso
from storage.queries import RunRow
from storage.reports import load_report_json
from storage.reviews import VERDICT_NAMES

log = logging.getLogger(__name__)

HISTORY_WEEKS = 12
# A site whose last crawl is older than this is not counted as checked: its results are stale.
STALE_AFTER = timedelta(days=8)
AGENCIES_DIR = "agencies"
T = TypeVar("T")


def build_digest(
    db: Database, period: Period, *, history_weeks: int = HISTORY_WEEKS, generated_at: datetime | None = None
) -> Digest:
    """Everything the digest page shows for ``period``; details stream from ``db`` while it stays open."""
    sites = site_rows(db)
    now = Snapshot(db, period.cutoff)
    before = Snapshot(db, period.start)
    problems: list[str] = []
    try:
        counts, counts_before = now.site_counts(), before.site_counts()
        runs, runs_before = crawls_as_of(db, period.cutoff), crawls_as_of(db, period.start)
        successes = last_successful_crawls(db, period.cutoff)
        crawl_lines = crawl_messages(now)
        report_year = period.today.year - 1
        published = published_in_year(db, report_year, period.cutoff)
        published_before = published_in_year(db, report_year, period.start)
        agencies: list[AgencyRow] = []
        previous: list[AgencyRow] = []
        for site in sites:
            sid = site["id"]

            def this_week(site: dict[str, Any] = site, sid: str = sid) -> AgencyRow:
                return agency_row(
                    site,
                    period.today,
                    period.cutoff,
                    counts.get(sid),
                    runs.get(sid),
                    successes.get(sid),
                    crawl_lines.get(sid, []),
                    published,
                    report_year,
                )

            def last_week(site: dict[str, Any] = site, sid: str = sid) -> AgencyRow:
                return agency_row(
                    site,
                    period.week.monday - timedelta(days=1),
                    period.start,
                    counts_before.get(sid),
                    runs_before.get(sid),
                    None,
                    [],
                    published_before,
                    report_year,
                )

            def fallback(site: dict[str, Any] = site) -> AgencyRow:
                return fallback_row(site)

            agencies.append(_isolated(problems, site, this_week, fallback))
            previous.append(_isolated([], site, last_week, fallback))
        agencies.sort(key=_gravity)
        totals, totals_before = now.totals(), before.totals()
        reports = report_counts(db, period)
        headline = Headline(
            monitored=len(agencies),
            checked=sum(1 for a in agencies if "unchecked" not in a.states),
            not_checked=sum(1 for a in agencies if "unchecked" in a.states),
            reports=reports.reports,
            reports_new=reports.reports_new,
            missing=sum(1 for a in agencies if a.state == "missing"),
            late=sum(1 for a in agencies if a.state == "late"),
            open_errors=totals["error"],
            open_warnings=totals["warning"],
            open_infos=totals["info"],
            dismissed=totals["dismissed"],
            report_year=report_year,
        )
        had_last_week = db.execute(
            "SELECT 1 FROM finding_events WHERE at < ? LIMIT 1", [period.start]
        ).fetchone()
        figures = _figures(headline, previous, totals_before, bool(had_last_week))
        codes = _codes(now.code_counts(period.start))
        history = open_history(db, period, weeks=history_weeks, severity="error")
        resolved_count = sum(c.resolved for c in codes)
    except BaseException:
        now.close()
        before.close()
        raise
    before.close()
    digest = Digest(
        period=period,
        generated_at=iso(generated_at or datetime.now(CST)),
        headline=headline,
        figures=figures,
        agencies=agencies,
        regions=rollups(agencies, previous, "region"),
        levels=rollups(agencies, previous, "level"),
        upcoming=_upcoming(period.today, sites, published, problems),
        codes=codes,
        chart=weekly_chart(history),
        resolved_count=resolved_count,
        problems=problems,
    )
    details = _Details(db, now, period, digest)
    digest.detail_source = details.agencies
    digest.resolved_source = details.resolved
    digest.closer = now.close
    return digest


# -- sites -----------------------------------------------------------------------------------------


def site_rows(db: Database) -> list[dict[str, Any]]:
    """The enabled sites as plain rows; ``contact`` and ``phone`` when the archive has those columns."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(sites)").fetchall()}
    extra = [c for c in ("contact", "phone") if c in columns]
    select = ", ".join(["id", "agency", "level", "region", "start_urls", "deadline", "first_year", *extra])
    rows = []
    for row in db.query(f"SELECT {select} FROM sites WHERE enabled = 1 ORDER BY id"):
        row = dict(row)
        try:
            urls = json.loads(row["start_urls"] or "[]")
        except ValueError:
            urls = []
        row["site_url"] = next((safe_url(u) for u in urls if safe_url(u)), None)
        row.setdefault("contact", None)
        row.setdefault("phone", None)
        rows.append(row)
    return rows


def page_of(site_id: str) -> str:
    """The agency page's path relative to the digest: ``agencies/<id>.html``, any character made safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", site_id).strip(".") or "_"
    if safe != site_id:
        import hashlib

        safe = f"{safe[:60]}-{hashlib.sha256(site_id.encode()).hexdigest()[:8]}"
    return f"{AGENCIES_DIR}/{safe}.html"


def _isolated(
    problems: list[str], site: dict[str, Any], build: Callable[[], T], fallback: Callable[[], T]
) -> T:
    """``build()``; if it fails, ``fallback()`` and a line in ``problems`` naming the agency."""
    try:
        return build()
    except Exception as exc:  # one agency's bad data must not stop the digest
        log.warning("digest: %s: %s", site["id"], exc, exc_info=True)
        problems.append(f"{site['agency']}（{site['id']}）：{problem_text(exc, site)}")
        return fallback()


def problem_text(exc: Exception, site: dict[str, Any]) -> str:
    if isinstance(exc, ValueError) and site.get("deadline"):
        try:
            deadline_for(2001, site["level"], site["deadline"])
        except ValueError:
            return f"登记的截止日期 {site['deadline']} 无效，无法判断期限（请在站点清单中改正后重新导入）"
    return f"该机关的数据无法处理（{type(exc).__name__}），其余内容不受影响"


def fallback_row(site: dict[str, Any]) -> AgencyRow:
    row = _base_row(site)
    row.state, row.states = "unchecked", ["unchecked"]
    row.unchecked_reason = "数据有误，未能判断"
    row.problem = "该机关的状态未能判断，请查看其机关页"
    return row


def _base_row(site: dict[str, Any]) -> AgencyRow:
    return AgencyRow(
        site_id=site["id"],
        agency=site["agency"],
        region=site.get("region"),
        level=site["level"],
        level_name=LEVEL_NAMES.get(site["level"], site["level"]),
        contact=site.get("contact"),
        phone=site.get("phone"),
        page=page_of(site["id"]),
        site_url=site.get("site_url"),
        state="ok",
        states=[],
    )


def agency_row(
    site: dict[str, Any],
    today: date,
    cutoff: str,
    counts: SiteCounts | None,
    run: RunRow | None,
    last_success: str | None,
    crawl_lines: list[str],
    published: dict[str, str | None],
    report_year: int,
) -> AgencyRow:
    """One agency's state at ``cutoff``: what to call it about, and how its report for the year stands."""
    row = _base_row(site)
    if counts is not None:
        row.errors, row.warnings, row.infos, row.dismissed = (
            counts.errors,
            counts.warnings,
            counts.infos,
            counts.dismissed,
        )
        row.missing_years, row.late_years, row.days_late = (
            counts.missing_years,
            counts.late_years,
            counts.late_days,
        )
    reason = _unchecked_reason(run, cutoff)
    if reason:
        row.unchecked_reason = reason
        row.unchecked_details = [
            shorten(d) for d in dict.fromkeys(crawl_lines or (run.errors if run else []))
        ]
        row.last_attempt = day(run.started_at) if run else None
        row.last_success = day(last_success)
    states = []
    if row.missing_years:
        states.append("missing")
    if row.late_years:
        states.append("late")
    if reason:
        states.append("unchecked")
    for state, count in (("errors", row.errors), ("warnings", row.warnings), ("infos", row.infos)):
        if count:
            states.append(state)
    row.states = states or ["ok"]
    row.state = row.states[0]
    since = {
        "missing": counts.missing_since if counts else None,
        "late": counts.late_since if counts else None,
        "unchecked": counts.crawl_since if counts else None,
    }.get(row.state, counts.since if counts else None)
    row.since = day(since)

    deadline = deadline_for(report_year, site["level"], site.get("deadline"))
    row.deadline = deadline.isoformat() if deadline else None
    row.published = published.get(site["id"])
    if report_year in row.late_years:
        row.year_state = "late"
        if row.days_late is None and row.published and deadline:
            row.days_late = (date.fromisoformat(row.published) - deadline).days
    elif site["id"] in published:
        row.year_state = "on_time" if row.published else "unknown"
    elif report_year in row.missing_years:
        row.year_state = "missing"
    elif deadline is None:
        row.year_state = "no_deadline"
    elif today <= deadline:
        row.year_state = "pending"
    else:
        row.year_state = "unknown"
    return row


def _unchecked_reason(run: RunRow | None, cutoff: str) -> str | None:
    """Why this digest cannot vouch for the site: never crawled, failed, or stale; None when checked."""
    if run is None:
        return "尚无抓取记录"
    if run.status != "ok":
        try:
            return RunStatus(run.status).reason
        except ValueError:
            return run.status
    stale_before = iso(datetime.fromisoformat(cutoff) - STALE_AFTER)
    if (run.finished_at or run.started_at) < stale_before:
        return f"超过 {STALE_AFTER.days} 天没有抓取"
    return None


def _gravity(row: AgencyRow) -> tuple[Any, ...]:
    return (GRAVITY[row.state], -row.errors, -row.warnings, row.since or "9999", row.agency, row.site_id)


# -- roll-ups, figures, codes, deadlines ----------------------------------------------------------------


def rollups(agencies: list[AgencyRow], previous: list[AgencyRow], by: str) -> list[Rollup]:
    """Per region (ranked by on-time rate) or per level: agencies and how the year's reports stand."""

    def key(row: AgencyRow) -> str:
        return (row.region or "") if by == "region" else row.level

    def tally(rows: list[AgencyRow]) -> dict[str, Rollup]:
        out: dict[str, Rollup] = {}
        for row in rows:
            k = key(row)
            name = (k or "（未填地区）") if by == "region" else LEVEL_NAMES.get(k, k)
            r = out.setdefault(k, Rollup(k, name, 0, 0, 0, 0, 0, 0, 0))
            r.agencies += 1
            r.due += row.year_state in ("on_time", "late", "missing", "unknown")
            r.on_time += row.year_state == "on_time"
            r.late += row.year_state == "late"
            r.missing += row.year_state == "missing"
            r.not_checked += "unchecked" in row.states
            r.open_errors += row.errors
        return out

    now, before = tally(agencies), tally(previous)
    for k, r in now.items():
        if k in before:
            r.previous_on_time, r.previous_errors = before[k].on_time, before[k].open_errors
    if by == "level":
        return [now[k] for k in sorted(now, key=lambda k: LEVELS.index(k) if k in LEVELS else 99)]
    ranked = sorted(
        now.values(),
        key=lambda r: (r.rate is None, -(r.rate or 0), r.open_errors, r.name),
    )
    for rank, r in enumerate(ranked, start=1):
        r.rank = rank if r.rate is not None else None
    return ranked


def _figures(
    h: Headline, previous: list[AgencyRow], totals_before: dict[str, int], compare: bool
) -> list[Figure]:
    def was(value: int) -> int | None:
        return value if compare else None

    missing_before = sum(1 for a in previous if a.state == "missing")
    late_before = sum(1 for a in previous if a.state == "late")
    unchecked_before = sum(1 for a in previous if "unchecked" in a.states)
    return [
        Figure("monitored", "监测机关", h.monitored, None, "#regions"),
        Figure(
            "missing",
            "未发布年报",
            h.missing,
            was(missing_before),
            "#call-missing",
            "bad" if h.missing else "",
        ),
        Figure("late", "逾期发布", h.late, was(late_before), "#call-late", "bad" if h.late else ""),
        Figure(
            "not_checked",
            "未能检查",
            h.not_checked,
            was(unchecked_before),
            "#call-unchecked",
            "warn" if h.not_checked else "",
        ),
        Figure(
            "open_errors",
            "未解决错误",
            h.open_errors,
            was(totals_before["error"]),
            "#call-errors",
            "bad" if h.open_errors else "",
        ),
        Figure(
            "open_warnings",
            "未解决警告",
            h.open_warnings,
            was(totals_before["warning"]),
            "#call-warnings",
            "warn" if h.open_warnings else "",
        ),
        Figure("reports", "已找到年报", h.reports, None, "#regions"),
        Figure("dismissed", "已排除误报", h.dismissed, was(totals_before["dismissed"]), "#codes"),
    ]


def _codes(rows: list[tuple[str, str, int, int, int, int, int]]) -> list[CodeCount]:
    out = [
        CodeCount(
            code=code,
            title=code_title(code),
            severity=severity,
            severity_name=SEVERITY_NAMES.get(severity, severity),
            open=open_,
            new=new,
            resolved=resolved,
            confirmed=confirmed,
            dismissed=dismissed,
        )
        for code, severity, open_, new, resolved, confirmed, dismissed in rows
        if open_ or resolved or confirmed or dismissed
    ]
    out.sort(key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), c.code))
    return out


def _upcoming(
    today: date, sites: list[dict[str, Any]], published: dict[str, str | None], problems: list[str]
) -> list[DeadlineRow]:
    """Agencies whose report for the year has not appeared while its deadline is still ahead."""
    year = today.year - 1
    rows = []
    for site in sites:
        if site["id"] in published:
            continue
        try:
            deadline = deadline_for(year, site["level"], site.get("deadline"))
        except ValueError:
            continue  # already named in the problems by its agency row
        if deadline is None or deadline < today:
            continue
        rows.append(
            DeadlineRow(
                site_id=site["id"],
                agency=site["agency"],
                region=site.get("region"),
                level_name=LEVEL_NAMES.get(site["level"], site["level"]),
                year=year,
                deadline=deadline.isoformat(),
                days_left=(deadline - today).days,
                page=page_of(site["id"]),
            )
        )
    rows.sort(key=lambda r: (r.days_left, r.agency, r.site_id))
    return rows


# -- details, streamed ----------------------------------------------------------------------------------


class _Details:
    """Turns one agency's open findings at a time into what a supervisor reads."""

    def __init__(self, db: Database, snapshot: Snapshot, period: Period, digest: Digest) -> None:
        self.db, self.snapshot, self.period, self.digest = db, snapshot, period, digest
        self.sites = {a.site_id: a for a in digest.agencies}

    def agencies(self) -> Iterator[AgencyDetail]:
        for row in self.digest.agencies:
            if row.state == "ok" and not row.problem:
                continue
            try:
                views = [self.finding(r) for r in self.snapshot.open_rows(row.site_id)]
                views.sort(
                    key=lambda f: (
                        SEVERITY_ORDER.get(f.severity, 9),
                        f.status != "new",
                        -(f.year or 0),
                        f.code,
                        f.id,
                    )
                )
                yield AgencyDetail(row, views)
            except Exception as exc:  # this agency's findings fail alone
                log.warning("digest: details of %s: %s", row.site_id, exc, exc_info=True)
                problem = f"{row.agency}（{row.site_id}）：问题明细未能生成（{type(exc).__name__}）"
                self.digest.problems.append(problem)
                yield AgencyDetail(row, [], problem="问题明细未能生成，请在机关页或 nianbao findings 中查看")

    def resolved(self) -> Iterator[FindingView]:
        for r in self.snapshot.resolved_rows(self.period.start):
            try:
                yield self.finding(r, resolved_at=r["resolved_at"])
            except Exception as exc:
                log.warning("digest: resolved finding %s: %s", r.get("id"), exc, exc_info=True)

    def finding(self, r: dict[str, Any], *, resolved_at: str | None = None) -> FindingView:
        report = self._report(r["report_id"], needs_sections="quote" in (r["evidence"] or ""))
        evidence = json.loads(r["evidence"] or "{}")
        open_since = r.get("open_since") or r["first_seen"]
        weeks = weeks_between(open_since, self.period.week)
        if resolved_at:
            status, text = "resolved", f"本周已整改（{day(resolved_at)}）"
        elif open_since >= self.period.start and r["first_seen"] >= self.period.start:
            status, text = "new", "本周新发现"
        elif open_since >= self.period.start:
            status, text = "reopened", "本周重新出现（曾经整改）"
        else:
            status, text = "open", f"已持续 {weeks} 周"
        review = review_text = None
        if r.get("verdict"):
            when = day(r.get("reviewed_at"))
            who = f"{r.get('reviewer')}，{when}"
            if r.get("in_force"):
                review = r["verdict"]
                review_text = f"{VERDICT_NAMES[r['verdict']]}（{who}）" + (
                    f"：{r['note']}" if r.get("note") else ""
                )
            else:
                review = "lapsed"
                review_text = f"报告已更新，需重新审核（此前{VERDICT_NAMES[r['verdict']]}，{who}）"
        site = self.sites.get(r["site_id"])
        copy = None
        if report is not None:
            copy = StoredCopy(
                report["sha256"],
                report["file"],
                safe_url(report["url"]),
                report["name"],
                report["content_type"],
            )
            self.digest.cited[report["sha256"]] = copy
        message = r["message"]
        return FindingView(
            id=int(r["id"]),
            site_id=r["site_id"],
            agency=site.agency if site else r["site_id"],
            code=r["code"],
            title=code_title(r["code"]),
            severity=r["severity"],
            severity_name=SEVERITY_NAMES.get(r["severity"], r["severity"]),
            message=message,
            evidence=evidence_items(
                evidence,
                message=message,
                sections=report["sections"] if report else None,
                template=report["template"] if report else None,
            ),
            evidence_text=evidence_text({k: v for k, v in evidence.items() if k not in ("line", "lines")}),
            year=r["year"],
            report_title=report["title"] if report else None,
            copy=copy,
            site_url=safe_url(r["url"])
            if r["scope"] in ("site", "crawl") and r["url"]
            else (site.site_url if site else None),
            status=status,
            status_text=text,
            weeks_open=weeks,
            first_seen=day(r["first_seen"]) or "",
            last_seen=day(r["last_seen"]) or "",
            resolved_at=day(resolved_at),
            review=review,
            review_text=review_text,
        )

    def _report(self, report_id: int | None, *, needs_sections: bool) -> dict[str, Any] | None:
        if report_id is None:
            return None
        row = self.db.execute(
            """SELECT r.title, d.sha256, d.url, d.name, d.content_type
                FROM reports r JOIN documents d ON d.id = r.document_id WHERE r.id = ?""",
            [report_id],
        ).fetchone()
        if row is None:
            return None
        stored = load_report_json(self.db, report_id) or {}  # compressed since m003: read whole
        return {
            "title": row[0],
            "template": stored.get("template"),
            "sections": stored.get("sections") if needs_sections else None,
            "sha256": row[1],
            "url": row[2],
            "name": row[3],
            "content_type": row[4],
            "file": copy_path(row[1], row[3], row[2], row[4]),
        }


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


def weeks_between(since: str, week: Week) -> int:
    """How many ISO weeks, counting both ends, from the week of ``since`` to ``week``."""
    start = Week.containing(datetime.fromisoformat(since).astimezone(CST).date()).monday
    return max(1, (week.monday - start).days // 7 + 1)


__all__ = ["CALL_STATES", "build_digest", "page_of", "safe_url"]
