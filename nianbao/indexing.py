"""Keeping the similarity index complete: sketches for reports archived before it existed.

The intake gives every report it records its sketch (``nianbao.context.index_entry``).
Reports archived before migration m003 have none; the first intake of a process
computes them (about 0.6 ms per report: read, shingle, sign) so that a copy of
any current report of the year is found.
"""

from __future__ import annotations

import weakref

from sqlite_utils import Database

from nianbao.context import index_entry
from storage.db import write_transaction
from storage.reports import load_report
from storage.similarity import IndexEntry, store_sketch, unsketched

_complete: weakref.WeakSet[Database] = weakref.WeakSet()
_NOTHING = IndexEntry(0, b"")


def ensure_indexed(db: Database, *, batch: int = 500) -> int:
    """Sketch every current parsed report that has none; returns how many (once per connection)."""
    if db in _complete:
        return 0
    done = 0
    while ids := unsketched(db, limit=batch):
        with write_transaction(db):
            for report_id in ids:
                (year,) = db.execute("SELECT year FROM reports WHERE id = ?", [report_id]).fetchone()
                report = load_report(db, report_id)
                # A body that cannot be decoded gets an empty sketch: never a candidate, never asked again.
                entry = index_entry(report) if report is not None else _NOTHING
                store_sketch(db, report_id, year, entry, current=True)
        done += len(ids)
    _complete.add(db)
    return done
