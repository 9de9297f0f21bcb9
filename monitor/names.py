"""Chinese names for what supervisors read: severities, levels, rule titles, evidence keys.

One place for the words the terminal output, the digest and the exports share.
"""

from __future__ import annotations

SEVERITY_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}
LEVEL_NAMES = {"department": "部门", "government": "政府", "township": "乡镇（街道）"}

# Codes decided per site (by the crawl) rather than by a report rule, which carry their own titles.
SITE_CODE_TITLES = {
    "PUB.MISSING": "未发布年报",
    "PUB.CHANGED": "发布后被修改",
    "CRAWL.UNREACHABLE": "网站无法访问",
    "CRAWL.BLOCKED": "网站拒绝访问",
    "CRAWL.NO_REPORT_COLUMN": "未找到年报栏目",
    "CRAWL.DOCUMENT_FAILED": "报告文件无法读取",
}

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


def code_title(code: str) -> str:
    """A short Chinese title for any finding code."""
    from monitor.rules import REGISTRY  # the registry imports this module's neighbours: import late

    spec = REGISTRY.get(code)
    if spec is not None and spec.title:
        return spec.title
    return SITE_CODE_TITLES.get(code, code)
