"""Helpers that build the evidence dictionaries findings carry."""

from __future__ import annotations

from typing import Any

from monitor.model import Cell, Report
from monitor.template import TABLE_TITLES, column_label, row_label

# How evidence keys read to a supervisor (terminal output and the digest).
EVIDENCE_LABELS: dict[str, str] = {
    "quote": "原文",
    "line": "行号",
    "lines": "行号",
    "table": "表格",
    "row": "行",
    "rows": "行",
    "column": "列",
    "column_label": "列",
    "cells": "单元格",
    "cell": "单元格",
    "count": "数量",
    "where": "位置",
    "raw": "原值",
    "url": "网址",
    "published": "发布日期",
    "published_source": "发布日期来源",
    "deadline": "截止日期",
    "days_late": "逾期天数",
    "level": "层级",
    "signed": "落款日期",
    "expected_year": "应为年份",
    "section": "章节",
    "headings_found": "已有章节",
    "missing_rows": "缺少的行",
    "labels": "缺少的行",
    "template": "模板",
    "title": "标题",
    "letterhead": "文头",
    "agency_in_body": "正文中的机关名称",
    "previous_report": "上年报告",
    "previous_year": "上年年度",
    "columns": "各列",
    "other_report": "对比报告",
    "other_agency": "对比机关",
    "other_year": "对比年度",
    "share": "相同比例",
    "compared": "比较范围",
    "last_line": "末行",
    "signature_agency": "落款机关",
    "year": "年度",
    "path": "文件",
    "format": "格式",
    "total": "总计",
    "sum": "合计",
    "nonzero_parts": "非零项",
    "group": "分组",
    "problem": "问题",
    "section_heading": "章节标题",
    "looked_at": "查找范围",
    "section_text": "章节内容",
    "date": "日期",
}


def quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_ref(report: Report, table: str, row: str, col: str, cell: Cell | None = None) -> dict[str, Any]:
    """Where a cell is: table, row and column (keys and Chinese labels), its text and source line."""
    tmpl = report.template or "2021"
    ref: dict[str, Any] = {
        "table": table,
        "row": row,
        "column": col,
        "where": (
            f"{TABLE_TITLES[table]}「{column_label(table, col, tmpl)}」列"
            if table == "table4"
            else f"{TABLE_TITLES[table]}「{row_label(table, row, tmpl)}」行「{column_label(table, col, tmpl)}」列"
        ),
    }
    if cell is not None:
        ref["raw"] = cell.raw
    line = report.tables[table].lines.get(row) if table in report.tables else None
    if line:
        ref["line"] = line
    return ref
