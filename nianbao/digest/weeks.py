"""The week a digest covers: ISO weeks (Monday–Sunday) in China Standard Time.

A digest for week W reports what changed from W's Monday 00:00 up to the end
of its "today" (the last day it can know about: the Sunday for a past week,
the real or given today for the current one). Archive timestamps are ISO
strings in +08:00, so the bounds are too, and compare as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from monitor.model import CST
from storage.clock import iso

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)


@dataclass(frozen=True)
class Week:
    """One ISO week."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """``2025-W07`` (or ``2025W7``); raises ValueError with the reason in Chinese."""
        match = _WEEK.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} 不是 YYYY-Www 形式的周（如 2025-W07）")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} 年没有第 {number} 周") from None
        return cls(year, number)

    @classmethod
    def containing(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def previous(self, weeks: int = 1) -> Week:
        return Week.containing(self.monday - timedelta(weeks=weeks))


@dataclass(frozen=True)
class Period:
    """What one digest covers: the week, and the day it is written as of."""

    week: Week
    today: date

    @property
    def start(self) -> str:
        """The week's first moment (inclusive), as an archive timestamp."""
        return midnight(self.week.monday)

    @property
    def cutoff(self) -> str:
        """The end of ``today`` (exclusive): nothing recorded later is known to this digest."""
        return midnight(self.today + timedelta(days=1))


def last_complete_week(today: date) -> Week:
    """The latest ISO week that ended before ``today``: on any day of week W, week W-1.

    What the scheduled digest reports (run on Monday morning, it covers the
    week that just ended, Monday to Sunday, as of the end of that Sunday).
    """
    return Week.containing(today).previous()


def midnight(day: date) -> str:
    return iso(datetime.combine(day, time(0), CST))


def resolve_period(
    week: str | Week | None = None, today: date | None = None, *, now: date | None = None
) -> Period:
    """The period for ``--week`` or ``--today`` (or neither: the current week as of now)."""
    real_today = now or datetime.now(CST).date()
    if week is not None and today is not None:
        raise ValueError("--week 与 --today 只能指定一个")
    if week is not None:
        w = Week.parse(week) if isinstance(week, str) else week
        # A past week is seen as of its Sunday; the current week as of today.
        return Period(w, min(w.sunday, max(w.monday, real_today)))
    day = today or real_today
    return Period(Week.containing(day), day)
