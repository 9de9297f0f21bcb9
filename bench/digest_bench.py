"""Digest benchmark: build time and peak memory of `nianbao digest` on generated archives.

Archives (tests/support/digest_generated.py, built through storage's API, three weekly crawls):
500 agencies x 3 report years, 5,000 agencies x 3 years, and a 10,000-report archive (1,000
agencies x 10 years). Each digest runs as `nianbao digest --xlsx` in its own process, so its
peak memory (max RSS) is its own; the time includes the agency pages, the stored copies and the
workbook.

    .venv/bin/python -m bench.digest_bench                 # all three
    .venv/bin/python -m bench.digest_bench --only 500 --keep bench/out/digest
    .venv/bin/python -m bench.digest_bench --archive DATA  # an existing archive (e.g. storage_bench --keep)
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.digest_generated import WEEK, build_archive
from tests.support.paths import ROOT

CASES = {"500": (500, 3), "5000": (5000, 3), "10000-reports": (1000, 10)}
TARGETS = {"500": (30.0, 500), "5000": (30.0, 500), "10000-reports": (10.0, 400)}


def digest(data: Path, out: Path, week: str = WEEK) -> tuple[float, float, int]:
    """Wall seconds, peak MB and HTML bytes of one `nianbao digest` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nianbao",
            "digest",
            "--data",
            str(data),
            "--week",
            week,
            "--out",
            str(out),
            "--xlsx",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"digest failed ({done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    html = Path(done.stdout.split()[0])
    # ru_maxrss of children is the largest child so far: run the cases from small to large.
    return elapsed, max(peak, before) / 1024, html.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=list(CASES), action="append", help="run only these cases")
    parser.add_argument("--keep", type=Path, help="build the archives here and keep them")
    parser.add_argument("--archive", type=Path, help="time the digest of this existing archive instead")
    parser.add_argument("--week", default=WEEK, help=f"the week of --archive's digest (default {WEEK})")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-digest-bench-"))
    try:
        if args.archive:
            seconds, peak, size = digest(args.archive, root / "out", args.week)
            print(f"{args.archive}: digest {seconds:.1f} s, peak {peak:.0f} MB, page {size / 1e6:.1f} MB")
            return
        print(
            f"{'case':<15}{'agencies':>9}{'reports':>9}{'build':>9}{'digest':>9}{'peak':>9}{'page':>9}  target"
        )
        for name in args.only or list(CASES):
            agencies, years = CASES[name]
            data = root / name / "data"
            if data.exists():
                shutil.rmtree(data)
            started = time.perf_counter()
            build_archive(data, agencies, years=years).close()
            built = time.perf_counter() - started
            (reports,) = (
                __import__("sqlite3")
                .connect(data / "nianbao.db")
                .execute("SELECT count(*) FROM reports")
                .fetchone()
            )
            seconds, peak, size = digest(data, root / name / "out")
            limit_s, limit_mb = TARGETS[name]
            verdict = "met" if seconds < limit_s and peak < limit_mb else "MISSED"
            print(
                f"{name:<15}{agencies:>9}{reports:>9}{built:>8.0f}s{seconds:>8.1f}s{peak:>7.0f}MB{size / 1e6:>7.1f}MB"
                f"  < {limit_s:.0f} s, < {limit_mb} MB: {verdict}",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
