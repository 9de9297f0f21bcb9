"""One agency's page: every report and stored version, each finding's life, reviews, and the crawl history.

Built from the archive as it is now (``storage.queries``: one site's rows,
never the whole archive), for the digest's output folder and for ``serve``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from monitor.codes import LEVEL_NAMES, SEVERITY_NAMES, RunStatus, code_title
from monitor.deadlines import deadline_for
from monitor.evidence import evidence_items, readable, source_name
from nianbao.digest.build import page_of, safe_url, weeks_between
from nianbao.digest.copies import copy_path
from nianbao.digest.evidence import day, moment
from nianbao.digest.model import FindingView, StoredCopy
from nianbao.digest.weeks import Week
from storage import queries
from storage.reports import load_report_json
from storage.reviews import VERDICT_NAMES, Review, reviews_of_site

RUN_KINDS = {"crawl": "抓取", "ingest": "人工入库", "reparse": "重新解析"}
EVENT_NAMES = {"opened": "发现", "resolved": "已整改", "reopened": "重新出现"}
RUNS_SHOWN = 60


@dataclass
class DateView:
    source: str
    value: str
    quote: str


@dataclass
class VersionView:
    report_id: int
    title: str | None
    recorded: str
    published: str | None
    published_source: str
    copy: StoredCopy
    size: int
    current: bool
    problem: str | None  # why the version could not be read
    dates: list[DateView]


@dataclass
class ReportView:
    year: int | None
    key: str | None
    versions: list[VersionView]


@dataclass
class LifeView:
    """A finding and what happened to it."""

    finding: FindingView
    state: str  # 未解决，已持续 N 周 | 已整改（日期）
    events: list[tuple[str, str]]  # (date and time, what happened)
    reviews: list[Review]


@dataclass
class RunView:
    kind: str
    started: str
    finished: str | None
    status: str
    ok: bool
    counts: str
    errors: list[str]
    changes: str


@dataclass
class AgencyPage:
    site_id: str
    agency: str
    region: str | None
    level_name: str
    contact: str | None
    phone: str | None
    site_urls: list[str]
    deadline: str
    enabled: bool
    reports: list[ReportView]
    open: list[LifeView]
    closed: list[LifeView]
    runs: list[RunView]
    runs_total: int
    cited: dict[str, StoredCopy] = field(default_factory=dict)
    problem: str | None = None

    @property
    def page(self) -> str:
        return page_of(self.site_id)


def build_agency_page(db: Database, site_id: str, *, today: date) -> AgencyPage | None:
    """The page of ``site_id`` (None if no such site)."""
    site = queries.site_row(db, site_id)
    if site is None:
        return None
    urls = [u for u in (safe_url(x) for x in _json_list(site.get("start_urls"))) if u]
    page = AgencyPage(
        site_id=site_id,
        agency=site["agency"],
        region=site.get("region"),
        level_name=LEVEL_NAMES.get(site["level"], site["level"]),
        contact=site.get("contact"),
        phone=site.get("phone"),
        site_urls=urls,
        deadline=_deadline_text(site),
        enabled=bool(site.get("enabled", 1)),
        reports=[],
        open=[],
        closed=[],
        runs=[],
        runs_total=0,
    )
    versions = queries.report_versions(db, site_id)
    sections: dict[int, tuple[Any, Any]] = {}
    by_report: dict[tuple[Any, Any], ReportView] = {}
    for v in versions:
        stored = StoredCopy(
            v.sha256,
            copy_path(v.sha256, v.name, v.url, v.content_type),
            safe_url(v.url),
            v.name,
            v.content_type,
        )
        page.cited[v.sha256] = stored
        block = by_report.setdefault((v.year, v.report_key), ReportView(v.year, v.report_key, []))
        block.versions.append(
            VersionView(
                report_id=v.report_id,
                title=v.title,
                recorded=moment(v.recorded_at) or "",
                published=v.published,
                published_source=source_name(v.published_source),
                copy=stored,
                size=v.size,
                current=v.current,
                problem=v.parse_error,
                dates=[
                    DateView(source_name(d["source"]), str(d["value"]), readable(str(d["quote"] or "")))
                    for d in v.dates
                ],
            )
        )
    page.reports = list(by_report.values())
    reports = {v.report_id: v for v in versions}
    reviews = reviews_of_site(db, site_id)
    week = Week.containing(today)
    for row, events in queries.site_findings(db, site_id):
        report = reports.get(row.report_id) if row.report_id else None
        if report is not None and report.report_id not in sections and "quote" in json.dumps(row.evidence):
            body = load_report_json(db, report.report_id)  # compressed since m003: read whole
            sections[report.report_id] = (
                body.get("sections") if body else None,
                body.get("template") if body else None,
            )
        section, template = sections.get(report.report_id, (None, None)) if report else (None, None)
        copy = page.cited.get(report.sha256) if report else None
        review = row.review
        open_since = next((e.at for e in reversed(events) if e.event != "resolved"), row.first_seen)
        weeks = weeks_between(open_since, week)
        view = FindingView(
            id=row.id,
            site_id=row.site,
            agency=row.agency,
            code=row.code,
            title=code_title(row.code),
            severity=row.severity,
            severity_name=SEVERITY_NAMES.get(row.severity, row.severity),
            message=row.message,
            evidence=evidence_items(row.evidence, message=row.message, sections=section, template=template),
            evidence_text="",
            year=row.year,
            report_title=report.title if report else None,
            copy=copy,
            site_url=safe_url(row.url) if row.scope in ("site", "crawl") else (urls[0] if urls else None),
            status="open" if row.status == "open" else "resolved",
            status_text=f"已持续 {weeks} 周" if row.status == "open" else f"已整改（{day(row.resolved_at)}）",
            weeks_open=weeks,
            first_seen=day(row.first_seen) or "",
            last_seen=day(row.last_seen) or "",
            resolved_at=day(row.resolved_at),
            review=(review["verdict"] if review["in_force"] else "lapsed") if review else None,
            review_text=_review_text(review),
        )
        life = LifeView(
            finding=view,
            state=view.status_text if row.status == "open" else f"已整改于 {day(row.resolved_at)}",
            events=[(moment(e.at) or "", EVENT_NAMES.get(e.event, e.event)) for e in events],
            reviews=reviews.get(row.id, []),
        )
        (page.open if row.status == "open" else page.closed).append(life)
    runs = queries.runs(db, site_id=site_id, limit=RUNS_SHOWN)
    page.runs_total = int(db.execute("SELECT count(*) FROM runs WHERE site_id = ?", [site_id]).fetchone()[0])
    page.runs = [_run(r) for r in runs]
    return page


def _review_text(review: dict[str, Any] | None) -> str | None:
    if not review:
        return None
    who = f"{review['reviewer']}，{day(review['at'])}"
    name = VERDICT_NAMES.get(review["verdict"], review["verdict"])
    if not review["in_force"]:
        return f"报告已更新，需重新审核（此前{name}，{who}）"
    return f"{name}（{who}）" + (f"：{review['note']}" if review.get("note") else "")


def _run(run: queries.RunRow) -> RunView:
    try:
        status = RunStatus(run.status).label
    except ValueError:
        status = "进行中" if run.status == "running" else run.status
    counts = run.counts or {}
    parts: list[str] = []
    for key, name in (
        ("pages", "页面"),
        ("reports", "年报"),
        ("reports_found", "年报"),
        ("documents", "文件"),
    ):
        if isinstance(counts.get(key), int) and not any(p.startswith(name) for p in parts):
            parts.append(f"{name} {counts[key]}")
    changes = []
    for value, name in (
        (run.findings_opened, "新问题"),
        (run.findings_reopened, "重新出现"),
        (run.findings_resolved, "已整改"),
    ):
        if value:
            changes.append(f"{name} {value}")
    return RunView(
        kind=RUN_KINDS.get(run.kind, run.kind),
        started=moment(run.started_at) or "",
        finished=moment(run.finished_at),
        status=status,
        ok=run.status == "ok",
        counts="，".join(parts),
        errors=[readable(e) for e in run.errors[:5]],
        changes="，".join(changes) or "无变化",
    )


def _deadline_text(site: dict[str, Any]) -> str:
    try:
        due = deadline_for(2001, site["level"], site.get("deadline"))
    except ValueError:
        return f"登记的截止日期 {site.get('deadline')} 无效"
    return f"次年 {due.month} 月 {due.day} 日" if due else "无法定截止日期"


def _json_list(text: Any) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
