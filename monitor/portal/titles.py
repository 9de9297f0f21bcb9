"""Recognise an annual report by its title, and read its year.

Portals list the report next to interpretation pages (解读, 图解, 一图读懂),
notices about writing the report (…编制和发布工作的通知) and the column's own
name (政府信息公开年报). Only the report itself may satisfy "report
published" (format.md), so the classifier is strict: it needs the disclosure
words, a report word, and nothing that marks a companion page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from monitor.text import chinese_number, halfwidth

TitleKind = Literal["report", "interpretation", "other"]

# The disclosure subject: 政府信息公开, 信息公开, 政务公开 is a different report and does not count.
_SUBJECT = re.compile(r"(政府)?信息公开")
# The report word: 工作年度报告, 年度报告, 年报, 工作报告, 工作的报告, 工作情况报告.
_REPORT_WORD = re.compile(r"(年度报告|年报|工作(的|情况)?报告)")
# Companion pages and notices that share the words but are not the report.
_INTERPRETATION = re.compile(r"(解读|图解|一图|读懂|图说|图读|答记者问|问答|视频|动漫|长图|H5)", re.I)
_NOT_REPORT = re.compile(
    r"(通知|格式|编制|撰写|模板|范本|要点|评估|考核|测评|指数|培训|征求|意见|目录|指南|制度|"
    r"公示|统计表|工作方案|实施方案|报送|转发|印发)"
)
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_CN_YEAR = re.compile(r"([〇○O零Ｏ一二三四五六七八九]{4})\s*年")
_BARE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_IMAGE_EDITION = re.compile(r"[（(]\s*(图片版|图片|扫描版|扫描件)\s*[)）]")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class TitleInfo:
    kind: TitleKind
    year: int | None
    image_edition: bool = False  # "（图片版）": the report is published as images


def normalize_title(title: str) -> str:
    """Collapse whitespace (list pages wrap titles across lines) and strip."""
    return _WS.sub("", title or "").strip()


def classify_title(title: str) -> TitleInfo:
    """Is this link's title an annual report, a companion interpretation, or something else?"""
    text = normalize_title(title)
    year = title_year(text)
    if not (_SUBJECT.search(text) and _REPORT_WORD.search(text)):
        return TitleInfo("other", year)
    if _INTERPRETATION.search(text):
        return TitleInfo("interpretation", year)
    if _NOT_REPORT.search(text):
        return TitleInfo("other", year)
    return TitleInfo("report", year, bool(_IMAGE_EDITION.search(text)))


_COLUMN_NAMES = re.compile(r"(信息公开年报|公开年报|年度报告|工作年度报告|部门年报|年报)$")
_SUBCOLUMN_TEXT = re.compile(
    r"^((19|20)\d{2}\s*年?度?(政府信息公开)?(工作)?(年报|年度报告)?|"
    r"(部门|乡镇|街道|镇街|区县|县区|市直|县直|区直|直属|本级|政府|单位|镇|办事处|委办局)"
    r"[\w（）()、]{0,12}(年报|年度报告)?|[\w]{0,12}(部门|乡镇|街道|单位)(年报|年度报告))$"
)


def is_column_name(text: str) -> bool:
    """A link text that names a report column (政府信息公开年报, 年度报告), not a report."""
    t = normalize_title(text)
    return bool(t) and len(t) <= 16 and bool(_COLUMN_NAMES.search(t)) and title_year(t) is None


def is_subcolumn_name(text: str) -> bool:
    """A link text naming a year or department sub-column (2023年, 部门年报, 乡镇（街道）)."""
    t = normalize_title(text)
    return bool(t) and len(t) <= 20 and bool(_SUBCOLUMN_TEXT.match(t))


def title_year(title: str | None) -> int | None:
    """The year a title reports on: the first 20XX年 (or 二〇二三年, or a bare 20XX) before the report words."""
    if not title:
        return None
    text = re.sub(r"\s+", "", halfwidth(title))
    cut = _REPORT_WORD.search(text)
    head = text[: cut.end()] if cut else text
    if m := _TITLE_YEAR.search(head):
        return int(m.group(1))
    if (m := _CN_YEAR.search(head)) and (value := chinese_number(m.group(1))) and 1990 < value < 2100:
        return value
    m = _BARE_YEAR.search(head)
    return int(m.group(1)) if m else None
