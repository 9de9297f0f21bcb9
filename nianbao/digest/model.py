"""The digest as plain data: what the templates render and the exports write.

Built by ``nianbao.digest.build``; everything here is already in Chinese and
ordered, so the templates only lay it out (and escape it). The per-agency
findings are not held here: ``Digest.details()`` streams them from the
archive while the page is written, one agency at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from nianbao.digest.weeks import Period

# Gravity of an agency's state, gravest first: the order of the whom-to-call table.
STATES: dict[str, str] = {
    "missing": "未发布",
    "late": "逾期",
    "unchecked": "未能检查",
    "errors": "有错误",
    "warnings": "有警告",
    "infos": "有提示",
    "ok": "无问题",
}
GRAVITY = {state: rank for rank, state in enumerate(STATES)}
CALL_STATES = ("missing", "late", "unchecked", "errors", "warnings")
# The status of an agency's report for the year under review (Excel sheet 1, roll-ups).
YEAR_STATES = {
    "on_time": "按时发布",
    "late": "逾期发布",
    "missing": "未发布",
    "unknown": "未能确定",
    "pending": "未到截止日期",
    "no_deadline": "无法定截止日期",
}


@dataclass
class StoredCopy:
    """A document as the archive holds it: the stored copy beside the page, and where it was published."""

    sha256: str
    file: str  # relative path of the copy, e.g. "docs/3f9c2a1b7d4e0a55.pdf"
    live_url: str | None  # http(s) only
    name: str | None = None
    content_type: str | None = None


@dataclass
class FindingView:
    id: int
    site_id: str
    agency: str
    code: str
    title: str  # the rule's short Chinese title
    severity: str
    severity_name: str
    message: str
    evidence: list[tuple[str, str]]
    evidence_text: str
    year: int | None
    report_title: str | None
    copy: StoredCopy | None  # the report version it is about
    site_url: str | None  # the site's report column (site-level findings)
    status: str  # new | reopened | open | resolved
    status_text: str
    weeks_open: int
    first_seen: str  # date
    last_seen: str  # date
    resolved_at: str | None  # date
    review: str | None = None  # confirmed | dismissed | lapsed (reviewed, but the report changed since)
    review_text: str | None = None  # "已确认（张三，2024-02-13）：…"

    @property
    def url(self) -> str | None:
        """The live address: the report's, else the site's."""
        return (self.copy.live_url if self.copy else None) or self.site_url


@dataclass
class AgencyRow:
    """One monitored agency as the digest sees it at its cutoff."""

    site_id: str
    agency: str
    region: str | None
    level: str
    level_name: str
    contact: str | None
    phone: str | None
    page: str  # relative path of the agency page
    site_url: str | None
    state: str  # a key of STATES
    states: list[str]  # every state that applies, gravest first
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    dismissed: int = 0
    since: str | None = None  # date the gravest problem has been open since
    missing_years: list[int] = field(default_factory=list)
    late_years: list[int] = field(default_factory=list)
    unchecked_reason: str | None = None
    unchecked_details: list[str] = field(default_factory=list)
    last_attempt: str | None = None
    last_success: str | None = None
    # The report year under review.
    year_state: str = "unknown"
    published: str | None = None
    deadline: str | None = None
    days_late: int | None = None
    problem: str | None = None  # why part of this agency's row could not be worked out

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @property
    def year_state_name(self) -> str:
        return YEAR_STATES[self.year_state]

    @property
    def needs_call(self) -> bool:
        return self.state in CALL_STATES

    @property
    def status_text(self) -> str:
        """The state in a few words: 未发布（2023 年度）, 未能检查：网站无法访问, …"""
        if self.state == "missing":
            return f"未发布（{'、'.join(str(y) for y in self.missing_years)} 年度）"
        if self.state == "late":
            late = f"，逾期 {self.days_late} 天" if self.days_late else ""
            return f"逾期发布（{'、'.join(str(y) for y in self.late_years)} 年度{late}）"
        if self.state == "unchecked":
            return f"未能检查：{self.unchecked_reason}"
        return self.state_name


@dataclass
class AgencyDetail:
    """One agency's open findings (the digest's collapsible details)."""

    row: AgencyRow
    findings: list[FindingView]
    problem: str | None = None  # the findings could not be listed (the rest of the digest is written)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class DeadlineRow:
    site_id: str
    agency: str
    region: str | None
    level_name: str
    year: int
    deadline: str
    days_left: int
    page: str = ""


@dataclass
class CodeCount:
    code: str
    title: str
    severity: str
    severity_name: str
    open: int
    new: int
    resolved: int
    confirmed: int = 0
    dismissed: int = 0

    @property
    def false_rate(self) -> str:
        """Share of the reviewed findings of this code that supervisors dismissed as false."""
        reviewed = self.confirmed + self.dismissed
        return f"{self.dismissed / reviewed:.0%}" if reviewed else "—"


@dataclass
class Figure:
    key: str
    name: str
    value: int
    previous: int | None  # last week's value (None when there is no last week to compare)
    anchor: str  # where the rows behind it are
    tone: str = ""  # bad | warn | good

    @property
    def change(self) -> str:
        if self.previous is None:
            return ""
        delta = self.value - self.previous
        return "与上周持平" if delta == 0 else f"较上周{'+' if delta > 0 else '−'}{abs(delta)}"


@dataclass
class Headline:
    monitored: int
    checked: int
    not_checked: int
    reports: int
    reports_new: int
    missing: int
    late: int
    open_errors: int
    open_warnings: int
    open_infos: int
    dismissed: int
    report_year: int

    @property
    def missing_or_late(self) -> int:
        return self.missing + self.late


@dataclass
class Rollup:
    """Agencies of one region or level and how their reports for the year stand."""

    key: str
    name: str
    agencies: int
    due: int  # agencies whose deadline for the year has passed
    on_time: int
    late: int
    missing: int
    not_checked: int
    open_errors: int
    rank: int | None = None
    previous_on_time: int | None = None
    previous_errors: int | None = None

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate:.0%}"

    @property
    def change(self) -> str:
        parts = []
        if self.previous_on_time is not None and self.on_time != self.previous_on_time:
            delta = self.on_time - self.previous_on_time
            parts.append(f"按时 {'+' if delta > 0 else '−'}{abs(delta)}")
        if self.previous_errors is not None and self.open_errors != self.previous_errors:
            delta = self.open_errors - self.previous_errors
            parts.append(f"错误 {'+' if delta > 0 else '−'}{abs(delta)}")
        return "，".join(parts) if self.previous_errors is not None else ""


@dataclass
class Bar:
    label: str  # e.g. "2/10"
    week: str  # 2025-W07
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    max_value: int
    summary: str  # the same figures as text, for screen readers and print


@dataclass
class Digest:
    period: Period
    generated_at: str
    headline: Headline
    figures: list[Figure]
    agencies: list[AgencyRow]  # every monitored agency, gravest first
    regions: list[Rollup]
    levels: list[Rollup]
    upcoming: list[DeadlineRow]
    codes: list[CodeCount]
    chart: Chart
    resolved_count: int
    problems: list[str] = field(default_factory=list)  # parts that could not be built, in Chinese
    # Streams the details (open findings per agency) and the findings resolved this week from the
    # archive; valid while the archive the digest was built from is open.
    detail_source: Callable[[], Iterator[AgencyDetail]] | None = field(default=None, repr=False)
    resolved_source: Callable[[], Iterator[FindingView]] | None = field(default=None, repr=False)
    cited: dict[str, StoredCopy] = field(default_factory=dict, repr=False)  # filled while details stream
    closer: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def week_label(self) -> str:
        return self.period.week.label

    @property
    def to_call(self) -> list[AgencyRow]:
        return [a for a in self.agencies if a.needs_call]

    def call_group(self, state: str) -> list[AgencyRow]:
        return [a for a in self.agencies if a.state == state]

    @property
    def unchecked(self) -> list[AgencyRow]:
        return [a for a in self.agencies if "unchecked" in a.states]

    def details(self) -> Iterator[AgencyDetail]:
        if self.detail_source is None:
            return iter(())
        return self.detail_source()

    def resolved(self) -> Iterator[FindingView]:
        if self.resolved_source is None:
            return iter(())
        return self.resolved_source()

    def close(self) -> None:
        """Release what streaming the details holds in the archive's connection (temporary tables)."""
        if self.closer is not None:
            self.closer()
            self.closer = None

    def open_findings_stream(self) -> Iterator[FindingView]:
        for detail in self.details():
            yield from detail.findings

    @property
    def open_findings(self) -> list[FindingView]:
        """Every open finding listed in the details (tests and small archives: this holds them all)."""
        return [f for detail in self.details() for f in detail.findings]
