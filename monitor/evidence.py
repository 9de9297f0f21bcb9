"""How evidence reads to a supervisor: Chinese labels for its keys and readable values.

The one formatter of evidence: the terminal (``nianbao check``, ``findings``),
the digest, its pages and exports all show a finding's evidence through it.
"""

from __future__ import annotations

import json
from typing import Any

# How evidence keys read to a supervisor.
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
    "uncertain_rows": "读取不确定的行（未据以判断）",
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
    "kind": "问题类型",
    "status": "状态",
    "years_found": "已找到的年度",
    "report_url": "报告网址",
    "name": "文件名",
    "message": "说明",
    "source": "来源",
    "reason": "原因",
}

# The crawler's verdict kinds (crawler/detect.py), in words.
KIND_NAMES = {
    "ruishu": "瑞数反爬挑战",
    "jiasule": "加速乐反爬挑战",
    "restricted": "访问受限",
    "waf": "人机验证或拦截",
    "robots": "robots.txt 禁止抓取",
    "http404": "页面不存在",
    "soft404": "页面不存在（返回 200）",
    "http5xx": "服务器错误",
    "http4xx": "请求失败",
    "timeout": "连接超时",
    "dns": "域名无法解析",
    "refused": "连接被拒绝",
    "error": "下载出错",
    "too_large": "文件过大",
    "offsite": "跳转到登记域名之外",
}

# Evidence keys shown elsewhere on the card (the link) or of no use to a reader.
_HIDDEN_EVIDENCE = frozenset({"url", "sha256", "previous_sha256", "path", "format"})
MAX_VALUE_CHARS = 300


def evidence_items(evidence: dict[str, Any], *, links: bool = False) -> list[tuple[str, str]]:
    """Evidence as (Chinese label, text) pairs, in the order the rule wrote them.

    Links and hashes are left out unless ``links`` (a page shows the link beside the finding).
    """
    items = []
    for key, value in evidence.items():
        if (key in _HIDDEN_EVIDENCE and not (links and key == "url")) or value in (None, "", [], {}):
            continue
        items.append((label(key), _text(value, key)))
    return items


def label(key: str) -> str:
    return EVIDENCE_LABELS.get(key, key)


def evidence_text(evidence: dict[str, Any], *, links: bool = False) -> str:
    """Evidence on one line (the terminal, the spreadsheet column)."""
    return "；".join(f"{label}：{text}" for label, text in evidence_items(evidence, links=links))


def _text(value: Any, key: str = "") -> str:
    if key == "kind" and isinstance(value, str):
        return KIND_NAMES.get(value, value)
    if key == "share" and isinstance(value, float) and 0 <= value <= 1:
        return f"{value:.0%}"
    if isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, list):
        text = "、".join(_text(v) for v in value)
    elif isinstance(value, dict):
        text = "；".join(f"{label(str(k))}：{_text(v, str(k))}" for k, v in value.items())
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, str | int):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return shorten(text)


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
