"""How evidence reads to a supervisor: Chinese labels for its keys and readable values.

The one formatter of evidence: the terminal (``nianbao check``, ``findings``),
the digest, its pages and exports all show a finding's evidence through it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from monitor.codes import RunStatus
from monitor.locate import location

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
    # What the crawler saw of a report that could not be fetched or read.
    "list_date": "列表日期",
    "list_url": "列表页",
    "redirected_to": "跳转到",
    "host": "域名",
    "detail": "说明",
    "listed": "已列出的报告",
    "not_fetched": "未抓取的年报链接数",
    "attachments_not_fetched": "未下载的附件数",
    "limit": "每站年报上限",
    "attachment_limit": "每站附件上限",
    "examples": "示例",
    "max_size": "大小上限（字节）",
    "decompressed_so_far": "已解压（字节）",
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
    "decompression_cap": "解压后超过大小上限（疑似压缩炸弹）",
    "gateway_expired": "下载链接已失效",
    "gateway_limited": "下载次数受限",
    "not_document": "链接返回的不是文件",
    "parse_error": "页面无法解析",
    "reader_crashed": "读取进程崩溃",
    "record_failed": "读取或记录时出错",
    "cap": "超过每站抓取上限",
}

# Evidence keys shown elsewhere on the card (the link) or of no use to a reader.
_HIDDEN_EVIDENCE = frozenset({"url", "sha256", "previous_sha256", "path", "format"})
# Keys the location in words replaces (a table's and the template's internal keys, the reader's line numbers).
_PLACE_KEYS = frozenset({"line", "lines", "table", "row", "column", "where", "group"})
MAX_VALUE_CHARS = 300

_TIMESTAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?")
_META = re.compile(
    r"""<meta\b[^>]*?\bname\s*=\s*["']?([^"'\s>]+)["']?[^>]*?\bcontent\s*=\s*["']?([^"'>]*)""", re.I
)

# Where a publication date was read, in words (the keys of monitor.portal.dates.SOURCE_RANK).
SOURCE_NAMES = {
    "text:发布时间": "网页正文标注的“发布时间”",
    "text:日期": "网页正文标注的日期",
    "meta:PubDate": "网页元数据 PubDate",
    "meta:Maketime": "网页元数据 Maketime",
    "list": "栏目列表页上的日期",
    "url": "网址中的日期",
    "option": "人工录入（--published）",
    "--published": "人工录入（--published）",
}


def source_name(source: str | None) -> str:
    """A publication date's source in words ("meta:PubDate" → 网页元数据 PubDate)."""
    if not source:
        return "未知"
    return SOURCE_NAMES.get(source, source)


def readable(text: str) -> str:
    """Timestamps as "2024-02-12 09:05", a quoted <meta> as its name and value."""
    text = _TIMESTAMP.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    return _META.sub(lambda m: f"网页元数据 {m.group(1)}：{m.group(2)}", text)


def evidence_items(
    evidence: dict[str, Any],
    *,
    links: bool = False,
    sections: dict[str, Any] | None = None,
    template: str | None = None,
    message: str = "",
) -> list[tuple[str, str]]:
    """Evidence as (Chinese label, text) pairs: where it is first, in words ("表三 第（七）行 总计列",
    "第二部分 第3段"), then the rest in the order the rule wrote it.

    Never the reader's line numbers or the template's internal keys. ``sections`` (the stored report's,
    as JSON) lets a quote be placed by section and paragraph. Links and hashes are left out unless
    ``links`` (a page shows the link beside the finding); a value equal to ``message`` is not repeated.
    """
    items: list[tuple[str, str]] = []
    place = location(evidence, sections, template)
    if place:
        items.append(("位置", place))
    elif isinstance(evidence.get("where"), str):
        items.append(("位置", shorten(evidence["where"])))
    labelled = "labels" in evidence  # the missing rows in words: their keys are internal
    for key, value in evidence.items():
        if key in _PLACE_KEYS or (key == "missing_rows" and labelled):
            continue
        if (key in _HIDDEN_EVIDENCE and not (links and key == "url")) or value in (None, "", [], {}):
            continue
        text = readable(_text(_without_lines(value), key))
        if text and text != message:
            items.append((label(key), text))
    return items


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ("line", "lines")}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def label(key: str) -> str:
    return EVIDENCE_LABELS.get(key, key)


def evidence_text(
    evidence: dict[str, Any],
    *,
    links: bool = False,
    sections: dict[str, Any] | None = None,
    template: str | None = None,
) -> str:
    """Evidence on one line (the terminal, the spreadsheet column)."""
    items = evidence_items(evidence, links=links, sections=sections, template=template)
    return "；".join(f"{label}：{text}" for label, text in items)


def _text(value: Any, key: str = "") -> str:
    if key == "kind" and isinstance(value, str):
        return KIND_NAMES.get(value, value)
    if key in ("published_source", "source") and isinstance(value, str) and value in SOURCE_NAMES:
        return SOURCE_NAMES[value]
    if key == "status" and isinstance(value, str) and value in RunStatus._value2member_map_:
        return RunStatus(value).label
    if key == "status" and isinstance(value, int):
        return f"HTTP {value}"
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
