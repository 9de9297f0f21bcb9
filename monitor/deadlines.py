"""Statutory deadlines (条例 Art. 49-50, format.md) with per-site overrides."""

from __future__ import annotations

import re
from datetime import date

# Departments: January 31 of Y+1; governments: March 31 of Y+1; townships: no statutory date.
DEFAULT_DEADLINES: dict[str, str | None] = {"department": "01-31", "government": "03-31", "township": None}
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def deadline_for(year: int, level: str, override: str | None = None) -> date | None:
    """The last day to publish the report for ``year``; None when no deadline applies."""
    month_day = override or DEFAULT_DEADLINES.get(level)
    if not month_day:
        return None
    month, day = (int(x) for x in month_day.split("-"))
    return date(year + 1, month, day)


def parse_month_day(value: str) -> str:
    """Validate a "MM-DD" deadline override; raises ValueError with the reason (Chinese).

    The day must exist in every year: 02-29 is refused, since the report of a
    year followed by a common year would have no deadline at all.
    """
    match = _MONTH_DAY.match(value.strip())
    if not match:
        raise ValueError(f"截止日期 {value!r} 应为 MM-DD 形式（如 01-31）")
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2001, month, day)  # a common year
    except ValueError:
        raise ValueError(
            f"截止日期 {value!r} 不是每年都有的 MM-DD 日期（月 1-12，日不超过当月天数，不能是 02-29）"
        ) from None
    return f"{month:02d}-{day:02d}"
