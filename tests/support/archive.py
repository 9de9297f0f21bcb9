"""A fresh archive for a test: a manual clock, registered sites, the seed reports, table snapshots."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor.model import CST
from storage.archive import Archive
from storage.clock import ManualClock
from storage.sites import Site, save_sites
from tests.support.paths import SEEDS

TABLES = (
    "sites",
    "runs",
    "blobs",
    "documents",
    "document_dates",
    "reports",
    "findings",
    "finding_events",
    "report_findings",
)
START = "2024-02-05T09:00:00"


class ManualArchive(Archive):
    """An archive whose clock is a ``ManualClock``: tests move time with ``archive.clock.advance(days=7)``."""

    clock: ManualClock


def seed_path(prefix: str) -> Path:
    """The seed report whose file name starts with ``prefix`` (e.g. "001")."""
    (path,) = sorted(SEEDS.glob(f"{prefix}*.txt"))
    return path


def seed_bytes(prefix: str) -> bytes:
    return seed_path(prefix).read_bytes()


def manual_clock(start: str = START) -> ManualClock:
    return ManualClock(datetime.fromisoformat(start).replace(tzinfo=CST))


def open_archive(data_dir: str | Path, clock: ManualClock | None = None) -> ManualArchive:
    """The archive in ``data_dir`` (created), on disk: for tests that reopen it or hand it to a child."""
    archive = ManualArchive.open(data_dir, clock=clock or manual_clock(), durable=False)
    assert isinstance(archive, ManualArchive)
    return archive


def memory_archive(blobs_dir: str | Path, clock: ManualClock | None = None) -> ManualArchive:
    """A throwaway archive: the database in memory, documents in ``blobs_dir``."""
    archive = ManualArchive.in_memory(blobs_dir, clock=clock or manual_clock())
    assert isinstance(archive, ManualArchive)
    return archive


def add_site(archive: Archive, site_id: str, agency: str = "测试机关", **fields: Any) -> Site:
    site = Site(
        id=site_id,
        agency=agency,
        start_urls=fields.pop("start_urls", [f"https://{site_id}.gov.cn/nb/"]),
        **fields,
    )
    save_sites(archive.db, [site], now=archive.now(), source="test")
    return site


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every archive table, to compare before and after an operation."""
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES}
