"""PUB.*: when and how the report was published (the per-report part; PUB.MISSING is per site)."""

from __future__ import annotations

from monitor.codes import LEVEL_NAMES
from monitor.deadlines import deadline_for
from monitor.model import Finding, Report
from monitor.rules.registry import RuleContext, finding, rule


@rule("PUB.LATE")
def late(report: Report, ctx: RuleContext) -> list[Finding]:
    pub = ctx.publication
    if pub is None or pub.date is None or report.year is None:
        return []
    deadline = deadline_for(report.year, report.level, ctx.deadline_override)
    if deadline is None or pub.date <= deadline:
        return []
    days = (pub.date - deadline).days
    return [
        finding(
            "PUB.LATE",
            f"{report.year}年度报告于{pub.date.isoformat()}发布，晚于截止日期{deadline.isoformat()}（逾期{days}天）",
            {
                "published": pub.date.isoformat(),
                "published_source": pub.source,
                "deadline": deadline.isoformat(),
                "level": LEVEL_NAMES.get(report.level, report.level),
                "days_late": days,
                "url": pub.url,
                "quote": pub.quote,
            },
        )
    ]


@rule("PUB.DATE_UNKNOWN")
def date_unknown(report: Report, ctx: RuleContext) -> list[Finding]:
    pub = ctx.publication
    if pub is None or pub.date is not None:
        return []
    return [
        finding(
            "PUB.DATE_UNKNOWN",
            "无法确定年报的发布日期（页面、列表和网址均未给出），无法判断是否按时发布",
            {"url": pub.url, "looked_at": pub.source or "详情页、列表页、网址"},
        )
    ]


@rule("PUB.NOT_MACHINE_READABLE")
def not_machine_readable(report: Report, ctx: RuleContext) -> list[Finding]:
    if not report.image_only:
        return []
    return [
        finding(
            "PUB.NOT_MACHINE_READABLE",
            "年报仅以图片或扫描件形式发布，无法复制和检索文字",
            {
                "path": report.path,
                "format": report.format,
                "url": ctx.publication.url if ctx.publication else None,
            },
        )
    ]
