"""STRUCT.*: are the sections, tables, rows and cells the template requires there?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from monitor.extract.facts import names_region
from monitor.extract.normalize import letters_only
from monitor.model import Cell, Finding, Report
from monitor.rules.evidence import quote, row_name, uncertain_rows
from monitor.rules.registry import RuleContext, finding, rule
from monitor.template import SECTION_TITLES, TABLE_TITLES, column_label, row_label, table2_blocks

_NUMERALS = "一二三四五六"
_TABLE_SECTION = {"table2": 2, "table3": 3, "table4": 4}
_EMPTY_WORDS = re.compile(r"^(无|暂无|略|没有|空|无内容|不适用)$")


@rule("STRUCT.SECTION_MISSING")
def section_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    found = []
    for number, title in SECTION_TITLES.items():
        if number in report.sections:
            continue
        table = next((t for t, n in _TABLE_SECTION.items() if n == number), None)
        if table and report.tables.get(table) and report.tables[table].found:
            continue  # the heading is gone but the section's table is there
        found.append(
            finding(
                "STRUCT.SECTION_MISSING",
                f"缺少第{_NUMERALS[number - 1]}部分“{title}”",
                {
                    "section": f"{_NUMERALS[number - 1]}、{title}",
                    "headings_found": [s.heading for _, s in sorted(report.sections.items())],
                },
                subject=f"section{number}",
            )
        )
    return found


@rule("STRUCT.SECTION_EMPTY")
def section_empty(report: Report, ctx: RuleContext) -> list[Finding]:
    found = []
    for number in (1, 5, 6):  # the prose sections; empty tables are STRUCT.TABLE_MISSING / BLANK_CELLS
        section = report.sections.get(number)
        if section is None:
            continue
        text = letters_only(section.text)
        if len(text) <= 1 or _EMPTY_WORDS.match(text):
            found.append(
                finding(
                    "STRUCT.SECTION_EMPTY",
                    f"第{_NUMERALS[number - 1]}部分“{section.heading}”没有实质内容",
                    {
                        "section": section.heading,
                        "line": section.line,
                        "quote": section.text.strip() or "（空白）",
                    },
                    subject=f"section{number}",
                )
            )
    return found


@rule("STRUCT.TABLE_MISSING")
def table_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    return [
        finding(
            "STRUCT.TABLE_MISSING",
            f"未找到{TABLE_TITLES[key]}或无法读取其中的数字",
            {
                "table": key,
                "section_heading": s.heading if (s := report.sections.get(_TABLE_SECTION[key])) else None,
            },
            subject=key,
        )
        for key in ("table2", "table3", "table4")
        if not (t := report.tables.get(key)) or not t.found
    ]


@rule("STRUCT.ROWS_MISSING")
def rows_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    found = []
    tmpl = report.template or "2021"
    for key, table in sorted(report.tables.items()):
        if not table.found or not table.missing_rows:
            continue
        labels = [row_label(key, r, tmpl) for r in table.missing_rows]
        if key == "table2":  # name the blocks (第二十条第（八）项) whose rows are all gone
            blocks = [
                b.label
                for b in table2_blocks(tmpl)
                if all(f"{b.key}.{r.key}" in table.missing_rows for r in b.rows)
            ]
            if blocks:
                labels = blocks + [lb for lb in labels if not any(lb.startswith(b) for b in blocks)]
        evidence: dict[str, object] = {
            "table": key,
            "missing_rows": table.missing_rows,
            "labels": labels,
            "template": tmpl,
        }
        if table.uncertain:  # rows that may be there, unread: not counted as missing
            evidence["uncertain_rows"] = uncertain_rows(report, key)
        found.append(
            finding(
                "STRUCT.ROWS_MISSING",
                f"{TABLE_TITLES[key]}缺少{len(table.missing_rows)}行：{'、'.join(labels[:4])}{'等' if len(labels) > 4 else ''}",
                evidence,
                subject=key,
            )
        )
    return found


def column_kinds(report: Report, table: str) -> dict[str, str]:
    """Column key -> kind (count | amount | text) for a table of this report's template."""
    if table == "table2":
        kinds: dict[str, str] = {}
        for block in table2_blocks(report.template or "2021"):
            for col in block.columns:
                for row in block.rows:
                    kinds[f"{block.key}.{row.key}|{col.key}"] = col.kind
        return kinds
    return {}


def numeric_cells(report: Report, key: str) -> Iterator[tuple[str, str, Cell, str]]:
    """(row, col, cell, kind) for every cell that must hold a number, in the rows read with
    confidence (a row whose cells may sit in the wrong columns is not judged)."""
    table = report.tables[key]
    kinds = column_kinds(report, key)
    for row, cols in table.rows.items():
        if row in table.uncertain:
            continue
        for col, cell in cols.items():
            kind = kinds.get(f"{row}|{col}", "count")
            if kind != "text":
                yield row, col, cell, kind


@rule("STRUCT.BLANK_CELLS")
def blank_cells(report: Report, ctx: RuleContext) -> list[Finding]:
    found = []
    tmpl = report.template or "2021"
    for key in ("table2", "table3", "table4"):
        table = report.tables.get(key)
        if not table or not table.found:
            continue
        by_row: dict[str, list[str]] = {}
        total = 0
        for row, col, cell, _ in numeric_cells(report, key):
            total += 1
            if cell.kind in ("blank", "placeholder"):
                label = column_label(key, col, tmpl) + (f"“{cell.raw}”" if cell.raw else "")
                by_row.setdefault(row, []).append(label)
        if not by_row:
            continue
        count = sum(len(v) for v in by_row.values())
        rows = {
            row_name(report, key, row): (
                "整行空白"
                if len(cols) == len(table.rows[row]) and not any(c.raw for c in table.rows[row].values())
                else "、".join(cols)
            )
            for row, cols in by_row.items()
        }
        if count == total:
            rows = {"全表": f"全部{total}个单元格空白"}
        evidence: dict[str, object] = {
            "table": key,
            "count": count,
            "rows": rows,
            "lines": sorted({table.lines[r] for r in by_row if r in table.lines}),
        }
        if table.uncertain:  # not judged: their cells may sit in the wrong columns
            evidence["uncertain_rows"] = uncertain_rows(report, key)
        found.append(
            finding(
                "STRUCT.BLANK_CELLS",
                f"{TABLE_TITLES[key]}有{count}个应填数字的单元格为空或填写“/”“-”“无”（共{total}个）",
                evidence,
                subject=key,
            )
        )
    return found


@rule("STRUCT.OLD_TEMPLATE")
def old_template(report: Report, ctx: RuleContext) -> list[Finding]:
    if report.year is None or report.year < 2021 or report.template != "2019":
        return []
    return [
        finding(
            "STRUCT.OLD_TEMPLATE",
            f"{report.year}年度报告仍使用2019年版格式（国办公开办函〔2019〕60号），应使用2021年版（国办公开办函〔2021〕30号）",
            {"quote": quote(report.template_evidence or ""), "year": report.year},
        )
    ]


@rule("STRUCT.AGENCY_MISSING")
def agency_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    if names_region(report.heading_agency):
        return []
    return [
        finding(
            "STRUCT.AGENCY_MISSING",
            "标题未写明发布机关的地区和全称"
            + (f"（仅写“{report.heading_agency}”）" if report.heading_agency else ""),
            {"title": report.title, "letterhead": report.letterhead, "agency_in_body": report.agency},
        )
    ]


@rule("STRUCT.FEE_STATEMENT_MISSING")
def fee_statement_missing(report: Report, ctx: RuleContext) -> list[Finding]:
    if report.year is None or report.year < 2021 or report.fee_statement:
        return []
    six = report.sections.get(6)
    return [
        finding(
            "STRUCT.FEE_STATEMENT_MISSING",
            "第六部分未说明信息处理费收取情况（国办函〔2020〕109号）",
            {
                "section": six.heading if six else None,
                "quote": quote(six.text) if six else "（缺少第六部分）",
            },
        )
    ]
