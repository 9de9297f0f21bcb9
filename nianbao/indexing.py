"""Keeping the similarity index complete: sketches for reports archived before it existed.

The intake gives every report it records its sketch (``nianbao.context.index_entry``).
Reports archived before migration m003 have none; the first intake of a process
computes them (about 1–3 ms per report, once: the 30,000 reports of a migrated
archive took about 80 s on the busy development machine) so that a copy of any
current report of the year is found.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from sqlite_utils import Database

from monitor.model import Report, Section
from nianbao.context import index_entry
from storage.db import write_transaction
from storage.reports import load_report_json
from storage.similarity import IndexEntry, store_sketch, unsketched

log = logging.getLogger(__name__)

_complete: weakref.WeakSet[Database] = weakref.WeakSet()
_NOTHING = IndexEntry(0, b"")


def ensure_indexed(db: Database, *, batch: int = 500) -> int:
    """Sketch every current parsed report that has none; returns how many (once per connection)."""
    if db in _complete:
        return 0
    done = 0
    while ids := unsketched(db, limit=batch):
        if not done:
            log.warning("正在为此前入库的年报建立相似度索引（仅此一次，每份约 1–3 毫秒）……")
        with write_transaction(db):
            for report_id in ids:
                (year,) = db.execute("SELECT year FROM reports WHERE id = ?", [report_id]).fetchone()
                data = load_report_json(db, report_id)
                # A body that cannot be decoded gets an empty sketch: never a candidate, never asked again.
                entry = index_entry(_narrative(data)) if data is not None else _NOTHING
                store_sketch(db, report_id, year, entry, current=True)
        done += len(ids)
    if done:
        log.warning("相似度索引已建立：%d 份年报", done)
    _complete.add(db)
    return done


def _narrative(data: dict[str, Any]) -> Report:
    """As much of a stored report as its sketch needs: its names and sections 一 and 五 (not its tables)."""
    return Report(
        path=data["path"],
        format=data["format"],
        agency=data.get("agency"),
        heading_agency=data.get("heading_agency"),
        year=data.get("year"),
        sections={int(n): Section(**s) for n, s in data.get("sections", {}).items() if n in ("1", "5")},
    )
