"""The digest as plain data: what the template renders and the exports write.

Built by ``nianbao.digest.build``; everything here is already in Chinese and
ordered, so the templates only lay it out (and escape it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.digest.weeks import Period


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
    url: str | None  # http(s) only; None when unknown or unsafe
    link_label: str
    status: str  # new | reopened | open | resolved
    status_text: str
    weeks_open: int
    first_seen: str  # date
    last_seen: str  # date
    resolved_at: str | None  # date


@dataclass
class AgencyBlock:
    site_id: str
    agency: str
    level_name: str
    url: str | None
    findings: list[FindingView]
    not_checked: str | None = None  # why this week's look failed, if it did

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class UncheckedSite:
    site_id: str
    agency: str
    url: str | None
    reason: str
    details: list[str]
    last_attempt: str | None  # date
    last_success: str | None  # date


@dataclass
class DeadlineRow:
    site_id: str
    agency: str
    level_name: str
    year: int
    deadline: str
    days_left: int


@dataclass
class CodeCount:
    code: str
    title: str
    severity: str
    severity_name: str
    open: int
    new: int
    resolved: int


@dataclass
class Headline:
    monitored: int
    checked: int
    not_checked: int
    reports: int
    reports_new: int
    missing_or_late: int
    open_errors: int
    open_warnings: int
    open_infos: int


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
    agencies: list[AgencyBlock]
    resolved: list[FindingView]
    unchecked: list[UncheckedSite]
    upcoming: list[DeadlineRow]
    codes: list[CodeCount]
    chart: Chart
    notes: list[str] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        return self.period.week.label

    @property
    def open_findings(self) -> list[FindingView]:
        return [f for block in self.agencies for f in block.findings]
