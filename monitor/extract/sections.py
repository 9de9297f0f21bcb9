"""Find the title, the letterhead above it, and the six sections.

Headings vary (一、 / ## 一、 / **一、**, full- or half-width punctuation,
small wording changes: format.md); a heading is a short paragraph line whose
numeral and keywords agree, taken in increasing order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extract.normalize import compact, has_cjk, squeeze_cjk_spaces
from monitor.readers.base import Line

_NUMERALS = "一二三四五六"
_HEADING = re.compile(r"^[#\s*]*\**\s*(?P<num>[一二三四五六])\s*[、.．,，:：]\s*\**(?P<rest>.*)$")
# Keywords a heading of each section carries (any one).
_SECTION_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "总体", "基本情况", "概况"),
    2: ("主动公开",),
    3: ("申请",),
    4: ("行政复议", "行政诉讼", "复议"),
    5: ("问题", "改进", "不足"),
    6: ("其他", "其它"),
}
_TITLE_WORDS = ("报告", "年报")
_TITLE_TOPIC = ("政府信息公开", "信息公开", "政务公开")
_MAX_HEADING_CHARS = 40


@dataclass
class Heading:
    number: int
    text: str
    line: int  # index into the document's lines


@dataclass
class Layout:
    title: str | None
    title_line: int | None
    letterhead: str | None
    headings: list[Heading]

    def section_of(self, index: int) -> int:
        """The section number (1..6) a line index falls in; 0 before section 一."""
        current = 0
        for h in self.headings:
            if h.line <= index:
                current = h.number
            else:
                break
        return current


def heading_number(text: str) -> int | None:
    """The section number when ``text`` is a section heading, else None."""
    line = squeeze_cjk_spaces(text)
    if not line or len(compact(line)) > _MAX_HEADING_CHARS:
        return None
    m = _HEADING.match(line)
    if not m:
        return None
    number = _NUMERALS.index(m["num"]) + 1
    rest = compact(m["rest"])
    if any(k in rest for k in _SECTION_KEYWORDS[number]) and not rest.startswith("是"):
        return number
    return None


def find_title(lines: list[Line], limit: int = 15) -> tuple[str | None, int | None]:
    """The report's title: an early paragraph naming the report (…年度报告 / 年报)."""
    seen = 0
    for i, line in enumerate(lines):
        if line.is_row or not line.text.strip():
            continue
        seen += 1
        if seen > limit or heading_number(line.text):
            break
        text = compact(line.text)
        if any(w in text for w in _TITLE_WORDS) and any(t in text for t in _TITLE_TOPIC) and len(text) <= 60:
            return squeeze_cjk_spaces(line.text.strip("#* \t")).strip("* "), i
    return None, None


def _letterhead(lines: list[Line], title_line: int | None) -> str | None:
    """A short line above the title naming the agency (湛江经济技术开发区教育局 over seed 003's title)."""
    if title_line is None:
        return None
    for line in reversed(lines[:title_line]):
        text = squeeze_cjk_spaces(line.text.strip("#* \t"))
        if not text or line.is_row:
            continue
        if has_cjk(text) and len(text) <= 30 and not re.search(r"[。，,；;：:]", text):
            return text
        return None
    return None


def find_layout(lines: list[Line]) -> Layout:
    title, title_line = find_title(lines)
    headings: list[Heading] = []
    last = 0
    start = (title_line or 0) + 1 if title_line is not None else 0
    for i in range(start, len(lines)):
        line = lines[i]
        if line.is_row:
            continue
        number = heading_number(line.text)
        if number and number > last:
            headings.append(Heading(number, squeeze_cjk_spaces(line.text.strip("#* \t")).strip("* "), i))
            last = number
    return Layout(title, title_line, _letterhead(lines, title_line), headings)


def section_texts(lines: list[Line], layout: Layout) -> dict[int, tuple[Heading, str]]:
    """Each section's prose (paragraph lines only; table rows are read separately)."""
    result: dict[int, tuple[Heading, str]] = {}
    bounds = [*layout.headings]
    for k, heading in enumerate(bounds):
        end = bounds[k + 1].line if k + 1 < len(bounds) else len(lines)
        paragraphs = [squeeze_cjk_spaces(ln.text) for ln in lines[heading.line + 1 : end] if not ln.is_row]
        result[heading.number] = (heading, "\n".join(p for p in paragraphs if p))
    return result
