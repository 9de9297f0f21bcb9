"""Archive benchmark: ingest N reports (distinct narratives, some copied) and watch the cost per report.

Each report is a seed's tables with sections 一 and 五 written afresh
(``tests/support/synthetic.py``), for 10 years of N/10 sites; about 2 % copy another
agency's report of the same year and 2 % the site's own report of the year
before, so XREF.COPIED has real work to do. Every report goes through the
whole intake (read, check with the archive's context, record in its run).

Prints the CPU time per report for every 1,000, the ratio of the last 1,000 to
the first (target ≤ 1.3: the cost must not grow with the archive), the
database's bytes per report, the planted copies found, and the time and memory
of the main queries on the result.

    .venv/bin/python -m bench.storage_bench                 # 10,000 reports
    .venv/bin/python -m bench.storage_bench -n 30000 --no-fsync
    .venv/bin/python -m bench.storage_bench -n 1000 --keep bench/out/archive
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from monitor.model import CheckOptions
from nianbao.context import PEER_LIMIT
from nianbao.digest import resolve_period
from nianbao.digest.queries import open_history
from nianbao.ingest import ingest_bytes
from nianbao.reading import InlineReader, Reading
from storage import queries
from storage.archive import Archive
from storage.integrity import check_archive
from storage.sites import Site, save_sites
from tests.support.batch import variant, variant_agency
from tests.support.synthetic import Narrative, SyntheticReports

YEARS = tuple(range(2016, 2026))
# Today's figure (issue 13): 314–350 MB at 10,000 reports of the same five seeds.
BEFORE_KB_PER_REPORT = 314 * 1024 / 10_000


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: float) -> str:
    return f"{n / 1048576:.1f} MB"


class TimedReader(InlineReader):
    """Reads as ingest does, adding up the CPU time of reading (what a queue's workers take off the writer)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu = 0.0

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        started = time.process_time()
        try:
            return super().read_now(data, path, options, content_type)
        finally:
            self.cpu += time.process_time() - started


def planted(k: int) -> tuple[str, int] | None:
    """Whether report k copies another: ("peer", report number) of the same year, ("previous", k - 1)."""
    site, year_index = divmod(k, len(YEARS))
    if k % 50 == 17 and site >= 7:
        return "peer", k - 7 * len(YEARS)
    if k % 50 == 33 and year_index >= 1:
        return "previous", k - 1
    return None


def narrative(reports: SyntheticReports, k: int) -> Narrative:
    copied = planted(k)
    return reports.copy_of(copied[1], keep=0.95, salt=k) if copied else reports.narrative(k)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="reports to ingest (default 10000)")
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument(
        "--peer-limit", type=int, default=PEER_LIMIT, help="most peers compared for XREF.COPIED"
    )
    parser.add_argument("--no-fsync", action="store_true", help="do not fsync blobs (faster, less durable)")
    parser.add_argument(
        "--seed-variants",
        action="store_true",
        help="the benchmark before m003: variants of the five seeds (every report of a year a copy of the others)",
    )
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    if root.exists():
        shutil.rmtree(root)
    n_sites = max(1, -(-args.n // len(YEARS)))
    sites = [
        Site(
            f"site-{i:05d}",
            variant_agency(i),
            start_urls=[f"https://s{i}.gov.cn/nb/"],
            region=f"region-{i % 50}",
        )
        for i in range(n_sites)
    ]
    reports = SyntheticReports()
    reader = TimedReader()
    cpu_per_block: list[float] = []
    try:
        with Archive.open(root, durable=not args.no_fsync) as archive:
            save_sites(archive.db, sites, now=archive.now())
            total_wall = total_cpu = block_cpu = block_wall = 0.0
            body_bytes = 0
            print("  reports   ms/report (CPU)  ms/report (wall)  of the last 1,000", flush=True)
            for k in range(args.n):
                site, year = sites[k // len(YEARS)], YEARS[k % len(YEARS)]
                # The body is made outside the timing: the benchmark measures the intake and the archive.
                if args.seed_variants:
                    body = variant(f"00{k % 5}", site.agency, year)
                else:
                    body = reports.text(narrative(reports, k), site.agency, year, seed_prefix=f"00{k % 5}")
                body_bytes += len(body)
                wall, cpu = time.perf_counter(), time.process_time()
                ingest_bytes(
                    archive,
                    site.id,
                    body,
                    name=f"{site.id}-{year}.txt",
                    peer_limit=args.peer_limit,
                    reader=reader,
                )
                block_cpu += time.process_time() - cpu
                block_wall += time.perf_counter() - wall
                if (k + 1) % 1000 == 0 or k + 1 == args.n:
                    done = (k + 1) % 1000 or 1000
                    cpu_per_block.append(block_cpu / done * 1000)
                    print(
                        f"  {k + 1:>7}   {block_cpu / done * 1000:14.1f}  {block_wall / done * 1000:16.1f}",
                        flush=True,
                    )
                    total_cpu += block_cpu
                    total_wall += block_wall
                    block_cpu = block_wall = 0.0
            first = (
                variant("000", sites[0].agency, YEARS[0])
                if args.seed_variants
                else reports.text(narrative(reports, 0), sites[0].agency, YEARS[0], seed_prefix="000")
            )
            t = time.perf_counter()
            again = ingest_bytes(archive, sites[0].id, first, name="again.txt")
            reingest_ms = (time.perf_counter() - t) * 1000
            assert again.status == "unchanged"

            expected = {
                (sites[k // len(YEARS)].id, YEARS[k % len(YEARS)])
                for k in range(args.n)
                if planted(k) and not args.seed_variants
            }
            copies = archive.db.execute(
                "SELECT site_id, year, subject FROM findings WHERE code = 'XREF.COPIED'"
            ).fetchall()
            found = {(site_id, year) for site_id, year, _ in copies}
            t = time.perf_counter()
            tracemalloc.start()
            with open(os.devnull, "w", encoding="utf-8") as sink:
                streamed = 0
                for row in queries.iter_findings(archive.db, status="all"):
                    sink.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
                    streamed += 1
            _, stream_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            q_stream = time.perf_counter() - t
            t = time.perf_counter()
            first_page = [row for _, row in zip(range(100), queries.iter_findings(archive.db), strict=False)]
            q_page = time.perf_counter() - t
            t = time.perf_counter()
            open_history(archive.db, resolve_period(), weeks=12)
            q_history = time.perf_counter() - t
            t = time.perf_counter()
            current = queries.reports(archive.db)
            q_reports = time.perf_counter() - t
            t = time.perf_counter()
            queries.latest_runs(archive.db)
            q_runs = time.perf_counter() - t
            archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            t = time.perf_counter()
            report = check_archive(archive)
            q_check = time.perf_counter() - t
            assert report.ok, report
            tables = dict(
                archive.db.execute(
                    "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                ).fetchall()
            )
        db_size = size_of(root / "nianbao.db")
        blob_size = size_of(root / "blobs")
        ratio = cpu_per_block[-1] / cpu_per_block[0] if len(cpu_per_block) > 1 else 1.0
        print(
            f"reports ingested:   {args.n} ({n_sites} sites x {len(YEARS)} years), blobs fsynced: {not args.no_fsync}"
        )
        print(
            f"ingest:             {total_cpu / args.n * 1000:.1f} ms CPU, {total_wall / args.n * 1000:.1f} ms wall "
            f"per report (read + check + archive)"
        )
        print(
            f"growth:             last 1,000 {cpu_per_block[-1]:.1f} ms / first 1,000 {cpu_per_block[0]:.1f} ms"
            f" = {ratio:.2f} (target <= 1.3)"
        )
        read_ms = reader.cpu / args.n * 1000
        writer_ms = total_cpu / args.n * 1000 - read_ms
        print(
            f"of which:           reading {read_ms:.1f} ms (a queue's workers do it); check + archive "
            f"{writer_ms:.1f} ms = {1000 / writer_ms:.0f} reports/s for the one archive writer"
        )
        print(f"identical re-ingest: {reingest_ms:.1f} ms (no-op)")
        print(
            f"database size:      {mb(db_size)} = {db_size / args.n / 1024:.1f} KB per report "
            f"(before: {BEFORE_KB_PER_REPORT:.1f} KB; {db_size / args.n / 1024 / BEFORE_KB_PER_REPORT:.0%} of it)"
        )
        biggest = ", ".join(f"{name} {mb(size)}" for name, size in list(tables.items())[:8])
        print(f"  largest parts:    {biggest}")
        print(f"document store:     {mb(blob_size)} (bodies {mb(body_bytes)})")
        print(
            f"copies:             {len(expected)} planted, {len(expected & found)} found, "
            f"{len(found - expected)} other reports flagged ({len(copies)} findings)"
        )
        print(f"findings:           {streamed}; current reports: {len(current)}")
        print(
            f"queries:            every finding as JSON lines {q_stream * 1000:.0f} ms "
            f"(peak {stream_peak / 1024:.0f} KB of Python memory), first page of 100 {q_page * 1000:.1f} ms "
            f"({len(first_page)} rows), 12-week history {q_history * 1000:.0f} ms, reports {q_reports * 1000:.0f} ms, "
            f"latest runs {q_runs * 1000:.0f} ms, db check {q_check:.1f} s"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
