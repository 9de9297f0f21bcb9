"""Archive timestamps as a page shows them: dates, and dates with times (China Standard Time, as stored)."""

from __future__ import annotations

from datetime import datetime

from monitor.evidence import readable


def day(stamp: str | None) -> str | None:
    """The date of an archive timestamp ("2024-02-12")."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).date().isoformat()
    except ValueError:
        return stamp[:10]


def moment(stamp: str | None) -> str | None:
    """An archive timestamp as "2024-02-12 09:05" (China Standard Time, as stored)."""
    if not stamp:
        return None
    return readable(stamp)
