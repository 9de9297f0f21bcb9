"""DATE.* and YEAR.*: the dates and years the report states about itself."""

from __future__ import annotations

from datetime import date

from monitor.extract.facts import opening_year
from monitor.model import Finding, Report
from monitor.portal.titles import title_year
from monitor.rules.registry import RuleContext, finding, rule


@rule("DATE.SIGNATURE_MISSING")
def signature_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    if report.signed is not None:
        return []
    last = [ln for ln in report.lines if ln.strip()][-1:] or [""]
    return [
        finding(
            "DATE.SIGNATURE_MISSING",
            "年报末尾没有落款日期",
            {"last_line": last[0][:120], "signature_agency": report.signature_agency},
        )
    ]


@rule("DATE.SIGNATURE_YEAR")
def signature_year(report: Report, ctx: RuleContext) -> list[Finding]:
    if report.signed is None or report.year is None or report.signed.date.year == report.year + 1:
        return []
    signed = report.signed
    hint = "，早于所报告年度结束，疑为沿用往年模板" if signed.date <= date(report.year, 12, 31) else ""
    return [
        finding(
            "DATE.SIGNATURE_YEAR",
            f"{report.year}年度报告落款日期为{signed.date.isoformat()}，应在{report.year + 1}年{hint}",
            {
                "quote": signed.quote,
                "line": signed.line,
                "signed": signed.date.isoformat(),
                "expected_year": report.year + 1,
            },
        )
    ]


@rule("DATE.SIGNED_AFTER_PUBLICATION")
def signed_after_publication(report: Report, ctx: RuleContext) -> list[Finding]:
    pub = ctx.publication
    if report.signed is None or pub is None or pub.date is None or report.signed.date <= pub.date:
        return []
    if report.signed.precision == "month" and report.signed.date.replace(day=1) <= pub.date.replace(day=1):
        return []
    return [
        finding(
            "DATE.SIGNED_AFTER_PUBLICATION",
            f"落款日期{report.signed.date.isoformat()}晚于发布日期{pub.date.isoformat()}",
            {
                "quote": report.signed.quote,
                "line": report.signed.line,
                "published": pub.date.isoformat(),
                "published_source": pub.source,
                "url": pub.url,
            },
        )
    ]


@rule("DATE.PERIOD_MISMATCH")
def period_mismatch(report: Report, ctx: RuleContext) -> list[Finding]:
    period = report.period
    if period is None or report.year is None:
        return []
    if period.start == date(report.year, 1, 1) and period.end == date(report.year, 12, 31):
        return []
    return [
        finding(
            "DATE.PERIOD_MISMATCH",
            f"统计期限为{period.start.isoformat()}至{period.end.isoformat()}，"
            f"应为{report.year}年1月1日至{report.year}年12月31日",
            {"quote": period.quote, "line": period.line},
        )
    ]


@rule("YEAR.INCONSISTENT")
def year_inconsistent(report: Report, ctx: RuleContext) -> list[Finding]:
    stated = title_year(report.title)
    if stated is None:
        return []
    body: tuple[int, str, str] | None = None
    if report.period is not None and report.period.start.year == report.period.end.year:
        body = (report.period.start.year, report.period.quote, "统计期限")
    elif (opening := opening_year(report.section_text(1))) is not None:
        body = (opening[0], opening[1], "总体情况开头")
    if body is None or body[0] == stated:
        return []
    return [
        finding(
            "YEAR.INCONSISTENT",
            f"标题为{stated}年度报告，正文（{body[2]}）却报告{body[0]}年的情况",
            {"title": report.title, "quote": body[1], "where": body[2]},
        )
    ]
