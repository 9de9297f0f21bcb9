"""The similarity index behind XREF.COPIED: sketches of reports and the band keys of the current ones.

The application computes a report's sketch (``monitor.similarity``: own-shingle
count, MinHash signature, LSH band keys) and hands it over with the report;
this module only stores it and answers "which current reports of this year
share band keys with these": one lookup of the primary key per band key, at
most ``PER_KEY`` rows each, whose cost does not grow with the year (with the
signature estimate, 0.23–0.36 ms median from 1,000 to 100,000 reports, docs/scale.md).

``report_sketches`` keeps a sketch per report version; ``report_bands`` holds
the keys of the *current* versions only, moved by ``storage.reports`` when the
current version of a (site, year, report key) changes. A report too short to be
a candidate has a sketch without bands.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class IndexEntry:
    """A report's sketch as the archive keeps it (computed by ``monitor.similarity``)."""

    shingles: int  # own shingles (template wording and the agency's names left out)
    signature: bytes  # MinHash values, little-endian uint32
    bands: Sequence[int] = ()  # LSH band keys (signed 64-bit); empty: never a candidate


@dataclass(frozen=True)
class Candidate:
    """A current report of the year sharing a band key with the one looked up."""

    report_id: int
    site_id: str
    report_key: str | None
    parsed_at: str
    shingles: int
    signature: bytes


def _pack(keys: Sequence[int]) -> bytes | None:
    return struct.pack(f"<{len(keys)}q", *keys) if keys else None


def _unpack(data: bytes | None) -> list[int]:
    return list(struct.unpack(f"<{len(data) // 8}q", data)) if data else []


def store_sketch(db: Database, report_id: int, year: int, entry: IndexEntry, *, current: bool) -> None:
    """Keep the sketch of a report version; its band keys enter the index if it is current."""
    remove_bands(db, report_id)
    db.execute(
        "INSERT OR REPLACE INTO report_sketches (report_id, year, shingles, signature, bands)"
        " VALUES (?, ?, ?, ?, ?)",
        [report_id, year, entry.shingles, entry.signature, _pack(entry.bands)],
    )
    if current:
        add_bands(db, report_id)


def drop_sketch(db: Database, report_id: int) -> None:
    """Forget a version's sketch (it was read again without a year, or could not be read)."""
    remove_bands(db, report_id)
    db.execute("DELETE FROM report_sketches WHERE report_id = ?", [report_id])


def add_bands(db: Database, report_id: int) -> None:
    """Put a (now current) version's band keys in the index, from its stored sketch."""
    row = db.execute("SELECT year, bands FROM report_sketches WHERE report_id = ?", [report_id]).fetchone()
    if row and row[1]:
        db.conn.executemany(
            "INSERT OR IGNORE INTO report_bands (year, key, report_id) VALUES (?, ?, ?)",
            [(row[0], key, report_id) for key in _unpack(row[1])],
        )


def remove_bands(db: Database, report_id: int) -> None:
    """Take a version (no longer current) out of the index; its sketch stays."""
    row = db.execute("SELECT year, bands FROM report_sketches WHERE report_id = ?", [report_id]).fetchone()
    if row and row[1]:
        db.conn.executemany(
            "DELETE FROM report_bands WHERE year = ? AND key = ? AND report_id = ?",
            [(row[0], key, report_id) for key in _unpack(row[1])],
        )


# Rows read per band key: when hundreds of current reports share one key (one template's text copied by a
# county's townships), a lookup reads this many of them, not all: its cost stays bounded.
PER_KEY = 32


def band_lookup(year: int, bands: Sequence[int]) -> tuple[str, list[object]]:
    """The lookup of band keys: for each key, at most ``PER_KEY`` of the reports holding it."""
    one = "SELECT report_id FROM (SELECT report_id FROM report_bands WHERE year = ? AND key = ? LIMIT ?)"
    params: list[object] = [value for key in bands for value in (year, key, PER_KEY)]
    return " UNION ALL ".join([one] * len(bands)), params


def candidates(
    db: Database, year: int, bands: Sequence[int], *, exclude_site: str, limit: int = 100
) -> list[Candidate]:
    """Current reports of ``year`` of other sites sharing band keys, with their sketches.

    At most ``limit``, those sharing the most keys first: when hundreds of agencies publish one
    template's text, a report is compared with the likeliest of them, not all (the rule names at
    most ``PEER_LIMIT`` of them anyway), and the cost per report stays bounded.
    """
    if not bands:
        return []
    sql, params = band_lookup(year, bands)
    shared = Counter(int(row[0]) for row in db.execute(sql, params))
    ranked = sorted(shared, key=lambda report_id: (-shared[report_id], report_id))[: limit * 2]
    if not ranked:
        return []
    marks = ", ".join("?" * len(ranked))
    rows = db.execute(
        f"""SELECT s.report_id, c.site_id, c.report_key, r.parsed_at, s.shingles, s.signature
            FROM current_reports c JOIN reports r ON r.id = c.report_id
            JOIN report_sketches s ON s.report_id = c.report_id
            WHERE c.report_id IN ({marks}) AND c.site_id != ?""",
        [*ranked, exclude_site],
    ).fetchall()
    found = [Candidate(int(r[0]), r[1], r[2], r[3], int(r[4]), bytes(r[5])) for r in rows]
    found.sort(key=lambda c: (-shared[c.report_id], c.report_id))
    return found[:limit]


def unsketched(db: Database, *, limit: int = 1000) -> list[int]:
    """Current parsed reports with a year but no sketch (archived before the index existed)."""
    rows = db.execute(
        """SELECT c.report_id FROM current_reports c
           WHERE c.parsed = 1 AND c.year IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM report_sketches s WHERE s.report_id = c.report_id)
           LIMIT ?""",
        [limit],
    ).fetchall()
    return [int(r[0]) for r in rows]
