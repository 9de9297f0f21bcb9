"""PUB.MISSING: which years' reports a site should have published by ``today`` and has not.

Decided per site after a crawl; only a site crawled successfully can be
missing a report (otherwise its CRAWL.* finding says why we could not look).
A year whose report the list named but whose link is dead (HTTP 404) is
missing too, and its finding says so: 已列出但无法下载, not 未发布.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from monitor.deadlines import deadline_for
from monitor.model import Finding
from monitor.rules.registry import finding

# Without a configured first year, look back this many report years.
DEFAULT_LOOKBACK_YEARS = 3


def due_years(
    level: str, today: date, deadline_override: str | None = None, first_year: int | None = None
) -> list[int]:
    """Report years whose deadline has passed by ``today`` (oldest first)."""
    last = today.year - 1
    deadline = deadline_for(last, level, deadline_override)
    if deadline is None:
        return []
    if today <= deadline:
        last -= 1
    first = first_year if first_year is not None else last - DEFAULT_LOOKBACK_YEARS + 1
    return list(range(first, last + 1))


def missing_reports(
    *,
    level: str,
    today: date,
    years_found: Collection[int],
    crawl_ok: bool,
    deadline_override: str | None = None,
    first_year: int | None = None,
    site_url: str | None = None,
    listed_failed: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
) -> list[Finding]:
    """One PUB.MISSING finding per due year with no report found.

    ``listed_failed`` names, for a year, the listed reports whose links are dead (title, url, reason):
    that year's finding says the report was listed but could not be downloaded.
    """
    if not crawl_ok:
        return []
    listed_failed = listed_failed or {}
    found = []
    for year in due_years(level, today, deadline_override, first_year):
        if year in years_found:
            continue
        deadline = deadline_for(year, level, deadline_override)
        assert deadline is not None
        overdue = (today - deadline).days
        evidence: dict[str, Any] = {
            "year": year,
            "deadline": deadline.isoformat(),
            "url": site_url,
            "date": today.isoformat(),
            "years_found": sorted(years_found),
        }
        failed = list(listed_failed.get(year) or [])
        if failed:
            reasons = "、".join(sorted({str(f.get("reason") or "无法下载") for f in failed}))
            message = (
                f"截至{today.isoformat()}，{year}年度报告已列出但无法下载（{reasons}；"
                f"截止日期{deadline.isoformat()}，已过{overdue}天）"
            )
            evidence["listed"] = [
                {"title": f.get("title"), "url": f.get("url"), "reason": f.get("reason")} for f in failed
            ]
        else:
            message = f"截至{today.isoformat()}，未在网站上找到{year}年度报告（截止日期{deadline.isoformat()}，已过{overdue}天）"
        found.append(finding("PUB.MISSING", message, evidence, subject=str(year)))
    return found


def upcoming_deadline(
    level: str, today: date, deadline_override: str | None = None
) -> tuple[int, date] | None:
    """The report year whose deadline is still ahead (or today), with that deadline; None if none applies."""
    year = today.year - 1
    deadline = deadline_for(year, level, deadline_override)
    if deadline is None or deadline < today:
        return None
    return year, deadline
