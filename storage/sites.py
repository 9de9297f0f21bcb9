"""The sites registry: one row per monitored agency.

Sites are loaded from the YAML contract or a supervisor's CSV/XLSX list
(``storage.sitefiles``) and saved here; the crawler and the digest read them
back as ``Site`` objects. Every change to a site (added, changed, disabled,
enabled, renamed, removed) is kept in ``site_events``; ``storage.registry``
plans and applies imports and the lifecycle commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from monitor.codes import Level
from monitor.deadlines import DEFAULT_DEADLINES, parse_month_day
from storage.db import write_transaction

LEVELS: tuple[Level, ...] = ("department", "government", "township")
__all__ = ["DEFAULT_DEADLINES", "LEVELS", "SaveResult", "Site", "get_site", "list_sites", "save_sites"]

# The fields a sites file sets, in the order people read them; ``Site`` compares on these.
FIELDS = (
    "agency",
    "level",
    "region",
    "start_urls",
    "allowed_domains",
    "deadline",
    "first_year",
    "obey_robots",
    "enabled",
    "contact",
    "phone",
)
NO_DEADLINE_NOTE = "乡镇（街道）没有法定的年报发布期限，名单中也未填写截止日期：不判断其年报是否逾期或缺失"


@dataclass
class Site:
    """One monitored agency, as in the sites file contract."""

    id: str
    agency: str
    level: Level = "department"
    start_urls: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    region: str | None = None
    deadline: str | None = None  # "MM-DD" override
    first_year: int | None = None
    obey_robots: bool = True
    enabled: bool = True
    contact: str | None = None  # whom to call at the agency (联系人)
    phone: str | None = None  # and where (联系电话)
    # What is wrong with the stored row (hand-edited, or imported before validation); not stored.
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.allowed_domains:
            self.allowed_domains = default_domains(self.start_urls)

    @property
    def effective_deadline(self) -> str | None:
        """The site's own "MM-DD" deadline, else the statutory one for its level."""
        return self.deadline or DEFAULT_DEADLINES.get(self.level)

    @property
    def held_to_deadline(self) -> bool:
        """False for a township without a deadline: nothing is judged late or missing for it."""
        return self.effective_deadline is not None

    @property
    def deadline_note(self) -> str | None:
        """Why the site is not held to a deadline, for the digest and ``sites list``; None when it is."""
        return None if self.held_to_deadline else NO_DEADLINE_NOTE

    def deadline_for(self, year: int) -> date | None:
        """The date by which the report for ``year`` is due (in year + 1), if any."""
        mm_dd = self.effective_deadline
        if not mm_dd:
            return None
        month, day = (int(part) for part in mm_dd.split("-"))
        return date(year + 1, month, day)

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agency": self.agency,
            "level": self.level,
            "region": self.region,
            "start_urls": json.dumps(self.start_urls, ensure_ascii=False),
            "allowed_domains": json.dumps(self.allowed_domains, ensure_ascii=False),
            "deadline": self.deadline,
            "first_year": self.first_year,
            "obey_robots": int(self.obey_robots),
            "enabled": int(self.enabled),
            "contact": self.contact,
            "phone": self.phone,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Site:
        """The site of a stored row; what is wrong with the row is kept in ``problems``, never raised."""
        problems: list[str] = []

        def urls(column: str) -> list[str]:
            try:
                value = json.loads(row[column] or "[]")
                if isinstance(value, list):
                    return [str(v) for v in value]
            except ValueError:
                pass
            problems.append(f"{column} 不是网址列表（{row[column]!r}）")
            return []

        site = cls(
            id=row["id"],
            agency=row["agency"],
            level=row["level"],
            start_urls=urls("start_urls"),
            allowed_domains=urls("allowed_domains"),
            region=row["region"],
            deadline=row["deadline"],
            first_year=row["first_year"],
            obey_robots=bool(row["obey_robots"]),
            enabled=bool(row["enabled"]),
            contact=row.get("contact"),
            phone=row.get("phone"),
        )
        site.problems = problems + stored_problems(site)
        if site.deadline is not None and any("截止日期" in p for p in site.problems):
            # An impossible date cannot be used by anyone reading the site (a digest would stop on it):
            # the site goes by its level's deadline, and ``problems`` says why (the crawl skips it).
            site.deadline = None
        return site


def stored_problems(site: Site) -> list[str]:
    """What makes a site unusable for a crawl or a digest (Chinese, one line each)."""
    problems = []
    if site.deadline is not None:
        try:
            parse_month_day(str(site.deadline))
        except ValueError as exc:
            problems.append(str(exc))
    for url in site.start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"网址 {url!r} 不是 http(s) 地址")
    return problems


def default_domains(start_urls: list[str]) -> list[str]:
    hosts: list[str] = []
    for url in start_urls:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host and host not in hosts:
            hosts.append(host)
    return hosts


@dataclass
class SaveResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def save_sites(db: Database, sites: list[Site], *, now: str, source: str | None = None) -> SaveResult:
    """Insert new sites and update changed ones (by id), in one transaction; each change is an event."""
    result = SaveResult()
    with write_transaction(db):
        for site in sites:
            current = get_site(db, site.id)
            if current is None:
                insert_site(db, site, now=now, source=source)
                result.added.append(site.id)
            elif current == site:
                result.unchanged.append(site.id)
            else:
                update_site(db, current, site, now=now, source=source)
                result.updated.append(site.id)
    return result


def insert_site(db: Database, site: Site, *, now: str, source: str | None) -> None:
    row = site.to_row()
    columns = [*row, "source", "added_at", "updated_at"]
    db.execute(
        f"INSERT INTO sites ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [*row.values(), source, now, now],
    )
    record_event(db, site.id, "added", {"agency": site.agency, "source": source}, now)


def update_site(
    db: Database, current: Site, site: Site, *, now: str, source: str | None, event: str = "changed"
) -> None:
    """Write ``site`` over ``current`` (same id), keeping what changed as an event."""
    row = site.to_row()
    assignments = ", ".join(f"{column} = ?" for column in row if column != "id")
    values = [value for column, value in row.items() if column != "id"]
    if source is None:
        db.execute(f"UPDATE sites SET {assignments}, updated_at = ? WHERE id = ?", [*values, now, site.id])
    else:
        db.execute(
            f"UPDATE sites SET {assignments}, source = ?, updated_at = ? WHERE id = ?",
            [*values, source, now, site.id],
        )
    record_event(db, site.id, event, {"changes": changes(current, site), "source": source}, now)


def changes(old: Site, new: Site) -> dict[str, list[Any]]:
    """Field → [before, after] for every field that differs."""
    before, after = old.fields(), new.fields()
    return {name: [before[name], after[name]] for name in FIELDS if before[name] != after[name]}


def record_event(db: Database, site_id: str, event: str, detail: dict[str, Any], now: str) -> None:
    db.execute(
        "INSERT INTO site_events (site_id, event, detail, at) VALUES (?, ?, ?, ?)",
        [site_id, event, json.dumps(detail, ensure_ascii=False, default=str), now],
    )


def get_site(db: Database, site_id: str) -> Site | None:
    rows = list(db.query("SELECT * FROM sites WHERE id = ?", [site_id]))
    return Site.from_row(rows[0]) if rows else None


def list_sites(db: Database, *, enabled_only: bool = False) -> list[Site]:
    where = "WHERE enabled = 1" if enabled_only else ""
    return [Site.from_row(row) for row in db.query(f"SELECT * FROM sites {where} ORDER BY id")]
