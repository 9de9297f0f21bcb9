"""Copy index benchmark: the similarity lookup of XREF.COPIED in a year of 1,000 to 100,000 reports.

Builds one year of N reports with distinct synthetic narratives (``tests/support/synthetic.py``)
in the archive's own tables (``report_sketches``, ``report_bands``, ``current_reports``), then
looks up 200 reports: 100 copies of reports of the year (90 % of their text kept) and 100 new
ones. Prints the time of the band lookup with the signature estimate (what every check pays),
the candidates it leaves for the exact comparison, and how many copies were found.

    .venv/bin/python -m bench.copy_index_bench                    # 1,000 10,000 30,000
    .venv/bin/python -m bench.copy_index_bench --sizes 1000 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from monitor.model import Report, Section
from monitor.similarity import ESTIMATE_FLOOR, estimated_share, report_sketch, signature_from_bytes
from nianbao.context import index_entry
from storage.db import connect, write_transaction
from storage.similarity import IndexEntry, candidates, store_sketch
from tests.support.synthetic import Narrative, SyntheticReports

YEAR = 2023


def report_of(number: int, told: Narrative) -> Report:
    return Report(
        path=f"r{number}",
        format="html",
        agency=f"机关{number}",
        year=YEAR,
        sections={
            1: Section(1, "一、总体情况", "\n".join(told.overview), 5),
            5: Section(5, "五、存在的主要问题及改进情况", "\n".join(told.problems), 60),
        },
    )


def build(path: Path, entries: list[IndexEntry]) -> None:
    db = connect(path)
    db.execute("PRAGMA foreign_keys = OFF")  # the index alone: no sites, documents or runs behind it
    now = "2024-02-05T09:00:00+08:00"
    with write_transaction(db):
        for number, entry in enumerate(entries):
            db.execute(
                """INSERT INTO reports (id, site_id, year, report_key, document_id, parser_version, parsed,
                       recorded_at, parsed_at, checked_at) VALUES (?, ?, ?, ?, ?, '1', 1, ?, ?, ?)""",
                [number + 1, f"s{number}", YEAR, f"k{number}", number + 1, now, now, now],
            )
            db.execute(
                "INSERT INTO current_reports VALUES (?, ?, ?, ?, 1, ?)",
                [number + 1, f"s{number}", YEAR, f"k{number}", now],
            )
            store_sketch(db, number + 1, YEAR, entry, current=True)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 30_000])
    args = parser.parse_args()
    reports = SyntheticReports()
    largest = max(args.sizes)
    started = time.perf_counter()
    entries = [index_entry(report_of(n, reports.narrative(n))) for n in range(largest)]
    print(f"{largest} sketches in {time.perf_counter() - started:.0f} s")
    rng = random.Random(5)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "index.db"
            build(path, entries[:size])
            db = connect(path)
            copied = [rng.randrange(size) for _ in range(100)]
            queries: list[tuple[int | None, Narrative]] = [
                (n, reports.copy_of(n, keep=0.9, salt=size)) for n in copied
            ]
            queries += [(None, reports.narrative(largest + 1000 + k)) for k in range(100)]
            times, left, found = [], [], 0
            for k, (original, told) in enumerate(queries):
                mine = report_sketch(report_of(10**7 + k, told))
                began = time.perf_counter()
                likely = [
                    c.report_id
                    for c in candidates(db, YEAR, mine.bands(), exclude_site="none")
                    if estimated_share(
                        mine.signature, mine.shingles, signature_from_bytes(c.signature), c.shingles
                    )
                    >= ESTIMATE_FLOOR
                ]
                times.append((time.perf_counter() - began) * 1000)
                left.append(len(likely))
                found += original is not None and original + 1 in likely
            times.sort()
            db.close()
            print(
                f"{size:>7} reports: lookup + estimate median {statistics.median(times):.2f} ms, "
                f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms; left for the exact comparison: "
                f"mean {statistics.mean(left):.2f}, max {max(left)}; copies found {found}/100"
            )


if __name__ == "__main__":
    main()
