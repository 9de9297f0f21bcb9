"""Timestamps: ISO strings in China Standard Time, with an injectable "now".

Every timestamp the archive writes comes from a ``Clock`` so that tests can
replay weeks of runs; strings share one offset (+08:00), so comparing them as
text orders them in time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from monitor.model import CST

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(CST)


def iso(moment: datetime) -> str:
    """``2025-02-10T09:30:00+08:00``: seconds precision, always in CST."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.astimezone(CST).isoformat(timespec="seconds")


def iso_date(value: date | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(value).isoformat()


class ManualClock:
    """A clock for tests and replays: stands still until moved."""

    def __init__(self, start: datetime) -> None:
        self.moment = start if start.tzinfo else start.replace(tzinfo=CST)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` (e.g. ``days=7``) and return the new time."""
        self.moment += timedelta(**delta)
        return self.moment
