"""The sites registry: one row per monitored agency.

Sites are loaded from the YAML contract or a supervisor's CSV/XLSX list
(``storage.sitefiles``) and saved here; the crawler and the digest read them
back as ``Site`` objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from monitor.codes import Level
from storage.db import write_transaction

LEVELS: tuple[Level, ...] = ("department", "government", "township")
# Statutory deadlines (Article 49); townships have none unless a site sets one.
DEFAULT_DEADLINES: dict[str, str | None] = {"department": "01-31", "government": "03-31", "township": None}


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

    def __post_init__(self) -> None:
        if not self.allowed_domains:
            self.allowed_domains = default_domains(self.start_urls)

    @property
    def effective_deadline(self) -> str | None:
        """The site's own "MM-DD" deadline, else the statutory one for its level."""
        return self.deadline or DEFAULT_DEADLINES.get(self.level)

    def deadline_for(self, year: int) -> date | None:
        """The date by which the report for ``year`` is due (in year + 1), if any."""
        mm_dd = self.effective_deadline
        if not mm_dd:
            return None
        month, day = (int(part) for part in mm_dd.split("-"))
        return date(year + 1, month, day)

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
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Site:
        return cls(
            id=row["id"],
            agency=row["agency"],
            level=row["level"],
            start_urls=json.loads(row["start_urls"]),
            allowed_domains=json.loads(row["allowed_domains"]),
            region=row["region"],
            deadline=row["deadline"],
            first_year=row["first_year"],
            obey_robots=bool(row["obey_robots"]),
            enabled=bool(row["enabled"]),
        )


def default_domains(start_urls: list[str]) -> list[str]:
    hosts: list[str] = []
    for url in start_urls:
        host = urlsplit(url).hostname
        if host and host not in hosts:
            hosts.append(host)
    return hosts


@dataclass
class SaveResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def save_sites(db: Database, sites: list[Site], *, now: str, source: str | None = None) -> SaveResult:
    """Insert new sites and update changed ones (by id), in one transaction."""
    result = SaveResult()
    with write_transaction(db):
        for site in sites:
            row = site.to_row()
            old = db.execute("SELECT * FROM sites WHERE id = ?", [site.id]).fetchone()
            if old is None:
                columns = [*row, "source", "added_at", "updated_at"]
                values = [*row.values(), source, now, now]
                db.execute(
                    f"INSERT INTO sites ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    values,
                )
                result.added.append(site.id)
                continue
            current = get_site(db, site.id)
            if current == site:
                result.unchanged.append(site.id)
                continue
            assignments = ", ".join(f"{column} = ?" for column in row if column != "id")
            db.execute(
                f"UPDATE sites SET {assignments}, source = ?, updated_at = ? WHERE id = ?",
                [*(value for column, value in row.items() if column != "id"), source, now, site.id],
            )
            result.updated.append(site.id)
    return result


def get_site(db: Database, site_id: str) -> Site | None:
    rows = list(db.query("SELECT * FROM sites WHERE id = ?", [site_id]))
    return Site.from_row(rows[0]) if rows else None


def list_sites(db: Database, *, enabled_only: bool = False) -> list[Site]:
    where = "WHERE enabled = 1" if enabled_only else ""
    return [Site.from_row(row) for row in db.query(f"SELECT * FROM sites {where} ORDER BY id")]
