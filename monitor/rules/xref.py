"""XREF.*: the narrative against the tables, and the report against other reports."""

from __future__ import annotations

import re

from monitor.model import Finding, Report
from monitor.rules.evidence import cell_ref, quote
from monitor.rules.registry import RuleContext, finding, rule
from monitor.similarity import COPY_SHARE, own_shingles, share
from monitor.template import TABLE3_COLUMNS, TABLE4_GROUPS
from monitor.text import halfwidth

# "未收到政府信息公开申请", "未接到依申请公开办件" — the applications themselves, not what followed them
# ("未发生因依申请公开答复引起的行政复议", "未收到申请人对答复结果的投诉").
_NO_APPLICATIONS = re.compile(
    r"(未|没有|无)(收到|接到|受理)(?:任何|过|到)?[^。；，,因对]{0,12}?"
    r"(政府信息公开申请|依申请公开(?:申请|件|办件|事项)?|公开申请|申请件|申请)(?!人)"
)
_NOT_ABOUT_APPLICATIONS = re.compile(r"复议|诉讼|投诉|举报")
_COUNT_APPLICATIONS = re.compile(
    r"(?:共|累计|全年|本年度?)?(?:收到|受理|新收|接收|接到)[^。；，,\d]{0,20}?申请[^。；，,\d]{0,6}?(\d{1,9})\s*(?:件|个|条|宗)"
)
# "区政府办代表区政府受理申请17件", "本级受理…": a count for part of what table 3 sums, not its total.
_PART_COUNT = re.compile(r"代表|本级")
_NOT_CORRECTED = re.compile(r"(未|没有|无)[^。；，,]{0,30}?(被纠错|被纠正|纠错)")
_NO_REVIEW = re.compile(r"(未|没有|无)(发生|收到|涉及)[^。；]{0,12}?(行政复议|行政诉讼)")


def _clause(text: str, start: int, end: int) -> str:
    """The clause (between commas or stops) around text[start:end]."""
    marks = "。；，,\n"
    left = max(text.rfind(p, 0, start) for p in marks) + 1
    rights = [i for p in marks if (i := text.find(p, end)) != -1]
    return text[left : min(rights) if rights else len(text)]


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(p, 0, start) for p in "。；\n") + 1
    rights = [i for p in "。；\n" if (i := text.find(p, end)) != -1]
    return text[left : (min(rights) + 1) if rights else len(text)].strip()


@rule("XREF.TEXT_TABLE")
def text_table(report: Report, ctx: RuleContext) -> list[Finding]:
    text = halfwidth(report.narrative())
    t3, t4 = report.tables.get("table3"), report.tables.get("table4")
    found = []
    new_total = t3.value("new", "total") if t3 and t3.found else None
    if new_total is not None:
        m = next(
            (
                m
                for m in _NO_APPLICATIONS.finditer(text)
                if not _NOT_ABOUT_APPLICATIONS.search(_clause(text, m.start(), m.end()))
            ),
            None,
        )
        if m and new_total > 0:
            found.append(
                finding(
                    "XREF.TEXT_TABLE",
                    f"正文称未收到政府信息公开申请，但表三本年新收申请总计为{new_total:g}",
                    {
                        "quote": quote(_sentence(text, m.start(), m.end())),
                        "cell": cell_ref(
                            report, "table3", "new", "total", t3.cell("new", "total") if t3 else None
                        ),
                    },
                    subject="applications",
                )
            )
        for m in _COUNT_APPLICATIONS.finditer(text):
            stated = int(m.group(1))
            if _PART_COUNT.search(_clause(text, m.start(), m.end())):
                continue
            if stated != new_total and not (
                t3 and stated == (new_total + (t3.value("carried_over", "total") or 0))
            ):
                found.append(
                    finding(
                        "XREF.TEXT_TABLE",
                        f"正文称收到申请{stated}件，但表三本年新收申请总计为{new_total:g}",
                        {
                            "quote": quote(_sentence(text, m.start(), m.end())),
                            "cell": cell_ref(
                                report, "table3", "new", "total", t3.cell("new", "total") if t3 else None
                            ),
                        },
                        subject="application_count",
                    )
                )
                break
    if t4 and t4.found:
        corrected = sum(t4.value("cases", f"{g}.corrected") or 0 for g, _ in TABLE4_GROUPS)
        totals = sum(t4.value("cases", f"{g}.total") or 0 for g, _ in TABLE4_GROUPS)
        m = _NOT_CORRECTED.search(text)
        if m and corrected > 0:
            found.append(
                finding(
                    "XREF.TEXT_TABLE",
                    f"正文称未被纠错，但表四“结果纠正”合计为{corrected:g}",
                    {
                        "quote": quote(_sentence(text, m.start(), m.end())),
                        "cells": [
                            cell_ref(report, "table4", "cases", f"{g}.corrected") for g, _ in TABLE4_GROUPS
                        ],
                    },
                    subject="corrected",
                )
            )
        m = _NO_REVIEW.search(text)
        if m and totals > 0 and corrected == 0:  # a 纠错 contradiction already covers this sentence
            found.append(
                finding(
                    "XREF.TEXT_TABLE",
                    f"正文称未发生行政复议、行政诉讼，但表四总计合计为{totals:g}",
                    {
                        "quote": quote(_sentence(text, m.start(), m.end())),
                        "cells": [
                            cell_ref(report, "table4", "cases", f"{g}.total") for g, _ in TABLE4_GROUPS
                        ],
                    },
                    subject="review_cases",
                )
            )
    return found


@rule("XREF.CARRYOVER")
def carryover(report: Report, ctx: RuleContext) -> list[Finding]:
    prev = ctx.previous
    t3 = report.tables.get("table3")
    p3 = prev.tables.get("table3") if prev else None
    if prev is None or not t3 or not t3.found or not p3 or not p3.found:
        return []
    mismatches = []
    for col in TABLE3_COLUMNS:
        now, before = t3.value("carried_over", col.key), p3.value("carried_forward", col.key)
        if now is not None and before is not None and now != before:
            mismatches.append((col, now, before))
    if not mismatches:
        return []
    col, now, before = next(((c, n, b) for c, n, b in mismatches if c.key == "total"), mismatches[0])
    return [
        finding(
            "XREF.CARRYOVER",
            f"表三“上年结转”{col.label}为{now:g}，而{prev.year}年度报告“结转下年度继续办理”为{before:g}",
            {
                "previous_report": prev.path,
                "previous_year": prev.year,
                "columns": {c.label: {"本年上年结转": n, "上年结转下年度": b} for c, n, b in mismatches},
                "cell": cell_ref(report, "table3", "carried_over", col.key, t3.cell("carried_over", col.key)),
            },
            subject="table3.carried_over",
        )
    ]


# --- copying ---------------------------------------------------------------------

# What the other report is to this one (in the message and the subject).
PREVIOUS_YEAR = "上一年度"
SAME_YEAR = "同年度其他机关"


def copied_share(report: Report, other: Report) -> float:
    """Share of this report's own narrative (sections 一 and 五, template wording excluded) found in ``other``."""
    return share(own_shingles(report), own_shingles(other))


@rule("XREF.COPIED")
def copied(report: Report, ctx: RuleContext) -> list[Finding]:
    """One finding per other report holding ``COPY_SHARE`` of this one's own narrative.

    The others are last year's report of the agency and, of the same year, the reports the
    caller found alike (the archive's similarity index, or the other files checked together).
    """
    candidates = ([(PREVIOUS_YEAR, ctx.previous)] if ctx.previous else []) + [
        (SAME_YEAR, p) for p in ctx.peers
    ]
    found = []
    for kind, other in candidates:
        part = copied_share(report, other)
        if part >= COPY_SHARE:
            found.append(
                finding(
                    "XREF.COPIED",
                    f"正文（总体情况、存在问题部分，不含模板固定表述）有{part:.0%}"
                    f"与{other.agency or other.path}{other.year}年度报告相同（{kind}）",
                    {
                        "other_report": other.path,
                        "other_agency": other.agency,
                        "other_year": other.year,
                        "share": round(part, 3),
                    },
                    subject=copy_subject(kind, other),
                )
            )
    return found


def copy_subject(kind: str, other: Report) -> str:
    """What a copy finding is about: the other report (so one pair is one finding, whatever its share)."""
    return f"{kind}:{other.agency or other.path}:{other.year}"
