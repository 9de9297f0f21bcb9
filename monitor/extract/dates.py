"""Dates as Chinese reports write them (format.md, "More facts that bite").

2024年1月25日, 2024 年 1 月 25 日, 二〇二四年一月二十五日 (with 〇, ○, O or 零),
2024-01-25 / 2024/1/25 / 2024.1.25, month only (2017年3月), and digits that
lost their characters in extraction (2021926 for 2021年9月26日).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from monitor.text import chinese_number, halfwidth

_CN = "〇○Oo0零Ｏ一二三四五六七八九十廿卅元"

_ARABIC = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2}|元)\s*月(?:\s*(?P<d>\d{1,2})\s*日)?")
_CHINESE = re.compile(
    rf"(?P<y>[{_CN}]{{4}})\s*年\s*(?P<m>[{_CN}]{{1,3}})\s*月(?:\s*(?P<d>[{_CN}]{{1,3}})\s*日)?"
)
_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?!\d)")
_LOST = re.compile(r"^(?P<digits>(?:19|20)\d{4,6})$")


@dataclass(frozen=True)
class FoundDate:
    date: date
    text: str  # the characters the date was read from
    start: int
    end: int
    precision: str = "day"  # day | month


def _make(y: int, m: int, d: int | None) -> date | None:
    try:
        return date(y, m, d or 1)
    except ValueError:
        return None


def find_dates(text: str) -> list[FoundDate]:
    """Every date in ``text``, in order of appearance (overlaps resolved left to right)."""
    text = halfwidth(text)
    found: list[FoundDate] = []
    for m in _ARABIC.finditer(text):
        month = 1 if m["m"] == "元" else int(m["m"])
        d = _make(int(m["y"]), month, int(m["d"]) if m["d"] else None)
        if d:
            found.append(FoundDate(d, m.group(0), m.start(), m.end(), "day" if m["d"] else "month"))
    for m in _CHINESE.finditer(text):
        y, mo = chinese_number(m["y"]), chinese_number(m["m"])
        day = chinese_number(m["d"]) if m["d"] else None
        if y and mo and (m["d"] is None or day):
            d = _make(y, mo, day)
            if d:
                found.append(FoundDate(d, m.group(0), m.start(), m.end(), "day" if m["d"] else "month"))
    for m in _ISO.finditer(text):
        d = _make(int(m["y"]), int(m["m"]), int(m["d"]))
        if d:
            found.append(FoundDate(d, m.group(0), m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    result: list[FoundDate] = []
    for f in found:
        if result and f.start < result[-1].end:
            continue
        result.append(f)
    return result


def lost_characters_date(text: str) -> date | None:
    """2021926 → 2021-09-26: a date whose 年/月/日 were lost in extraction (whole string only)."""
    m = _LOST.match(text.strip())
    if not m:
        return None
    digits = m["digits"]
    year, rest = int(digits[:4]), digits[4:]
    options = []
    if len(rest) == 4:
        options.append((int(rest[:2]), int(rest[2:])))
    elif len(rest) == 3:
        options += [(int(rest[:1]), int(rest[1:])), (int(rest[:2]), int(rest[2:]))]
    elif len(rest) == 2:
        options.append((int(rest[0]), int(rest[1])))
    for month, day in options:
        d = _make(year, month, day) if day else None
        if d:
            return d
    return None


_DATE_ONLY_TAIL = re.compile(r"^[\s。.,，日]*$")


def whole_line_date(line: str) -> FoundDate | None:
    """The date when a line is nothing but a date (a signature line), else None."""
    text = halfwidth(line).strip().strip("。.,， ")
    if not text:
        return None
    found = find_dates(text)
    if len(found) == 1 and found[0].start == 0 and _DATE_ONLY_TAIL.match(text[found[0].end :]):
        return found[0]
    d = lost_characters_date(text)
    if d:
        return FoundDate(d, text, 0, len(text))
    return None
