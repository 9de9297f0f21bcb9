"""Archive benchmark: ingest N reports (copies of the seeds, varied agencies and years).

Prints ingest throughput, the size of the database and of the document
store, and the time of the digest's main queries on the result.

    .venv/bin/python -m bench.storage_bench            # 10,000 reports
    .venv/bin/python -m bench.storage_bench -n 1000 --keep bench/out/archive
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from nianbao.context import PEER_LIMIT
from nianbao.ingest import ingest_bytes
from storage import queries
from storage.archive import Archive
from storage.integrity import check_archive
from storage.sites import Site, save_sites
from tests.support.batch import variant, variant_agency

YEARS = tuple(range(2016, 2026))


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="reports to ingest (default 10000)")
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument("--peer-limit", type=int, default=PEER_LIMIT, help="peers for XREF.COPIED")
    parser.add_argument("--no-fsync", action="store_true", help="do not fsync blobs (faster, less durable)")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    if root.exists():
        shutil.rmtree(root)
    n_sites = max(1, -(-args.n // len(YEARS)))
    sites = [
        Site(
            f"site-{i:04d}",
            variant_agency(i),
            start_urls=[f"https://s{i}.gov.cn/nb/"],
            region=f"region-{i % 50}",
        )
        for i in range(n_sites)
    ]
    # Prepare the bodies first: the benchmark measures the archive, not string replacement.
    bodies = []
    for k in range(args.n):
        site, year = sites[k // len(YEARS)], YEARS[k % len(YEARS)]
        bodies.append((site.id, f"{site.id}-{year}.txt", variant(f"00{k % 5}", site.agency, year)))
    try:
        with Archive.open(root, durable=not args.no_fsync) as archive:
            save_sites(archive.db, sites, now=archive.now())
            start = time.perf_counter()
            last = start
            for k, (site_id, name, body) in enumerate(bodies, start=1):
                ingest_bytes(archive, site_id, body, name=name, peer_limit=args.peer_limit)
                if k % 1000 == 0 or k == args.n:
                    now = time.perf_counter()
                    print(
                        f"  {k:>6} reports  {1000 / (now - last) if k % 1000 == 0 else 0:7.1f}/s (last 1000)",
                        flush=True,
                    )
                    last = now
            elapsed = time.perf_counter() - start
            t = time.perf_counter()
            again = ingest_bytes(archive, bodies[0][0], bodies[0][2], name=bodies[0][1])
            reingest_ms = (time.perf_counter() - t) * 1000
            assert again.status == "unchanged"

            t = time.perf_counter()
            all_findings = queries.findings(archive.db, status="all")
            q_findings = time.perf_counter() - t
            t = time.perf_counter()
            queries.open_history(archive.db, weeks=12)
            q_history = time.perf_counter() - t
            t = time.perf_counter()
            current = queries.reports(archive.db)
            q_reports = time.perf_counter() - t
            archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            t = time.perf_counter()
            report = check_archive(archive)
            q_check = time.perf_counter() - t
            assert report.ok, report
        db_size = size_of(root / "nianbao.db")
        blob_size = size_of(root / "blobs")
        body_bytes = sum(len(b) for _, _, b in bodies)
        print(
            f"reports ingested:   {args.n} ({n_sites} sites x {len(YEARS)} years), blobs fsynced: "
            f"{not args.no_fsync}"
        )
        print(
            f"ingest throughput:  {args.n / elapsed:.1f} reports/s ({elapsed:.1f} s, "
            f"{elapsed / args.n * 1000:.1f} ms each; read + check + archive)"
        )
        print(f"identical re-ingest: {reingest_ms:.1f} ms (no-op)")
        print(f"database size:      {mb(db_size)} ({db_size / args.n / 1024:.1f} KB per report)")
        print(f"document store:     {mb(blob_size)} (bodies {mb(body_bytes)})")
        print(f"findings:           {len(all_findings)}; current reports: {len(current)}")
        print(
            f"queries:            findings {q_findings * 1000:.0f} ms, 12-week history {q_history * 1000:.0f} ms, "
            f"reports {q_reports * 1000:.0f} ms, db check {q_check:.1f} s"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
