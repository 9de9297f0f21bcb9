"""Chinese names and readable text for what the digest shows."""

from __future__ import annotations

import json
from typing import Any

from monitor.names import EVIDENCE_LABELS, LEVEL_NAMES, SEVERITY_NAMES, code_title  # noqa: F401  (used by templates)

# Why a site could not be checked, by the status of its latest crawl.
RUN_STATUS_REASONS = {
    "unreachable": "网站无法访问",
    "blocked": "网站拒绝访问（反爬虫验证或访问限制）",
    "no_report_column": "起始页上找不到年报栏目",
    "error": "抓取程序出错",
    "running": "抓取未完成",
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


def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Evidence as (Chinese label, text) pairs, in the order the rule wrote them."""
    items = []
    for key, value in evidence.items():
        if key in _HIDDEN_EVIDENCE or value in (None, "", [], {}):
            continue
        items.append((label(key), _text(value, key)))
    return items


def label(key: str) -> str:
    return EVIDENCE_LABELS.get(key, key)


def evidence_text(evidence: dict[str, Any]) -> str:
    """Evidence on one line (the spreadsheet column)."""
    return "；".join(f"{label}：{text}" for label, text in evidence_items(evidence))


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
