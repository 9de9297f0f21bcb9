"""Benchmark: read + check throughput and peak memory per input format.

Reads many copies of the five seed reports (text, HTML, DOCX, PDF renderings)
on one core and prints reports/s (pages/s for PDF) and the peak resident
memory of the process that did it. Each format runs in its own child
process so its peak memory is its own.

    .venv/bin/python -m bench.check_bench            # default: 500 copies per format (PDF: 50)
    .venv/bin/python -m bench.check_bench --copies 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from tests.support.paths import FIXTURES, ROOT
from tests.support.renderers import SEEDS, render

FORMATS = ("text", "html", "docx", "pdf")


def inputs(fmt: str) -> list[tuple[bytes, str]]:
    out = []
    for stem in SEEDS.values():
        if fmt == "pdf":
            path = FIXTURES / "renderings" / f"{stem}.pdf"
            out.append((path.read_bytes(), path.name))
        else:
            text = (FIXTURES / "seeds" / f"{stem}.txt").read_text(encoding="utf-8")
            data, suffix = render(text, fmt)
            out.append((data, stem + suffix))
    return out


def run_one(fmt: str, copies: int) -> dict[str, float | str]:
    from monitor.check import check_reports, read_report

    docs = inputs(fmt)
    pages = 0
    start = time.perf_counter()
    n = 0
    for i in range(copies):
        data, name = docs[i % len(docs)]
        report = read_report(data, f"{i}-{name}")
        check_reports([report])
        pages += int(report.meta.get("pages", 1) or 1)
        n += 1
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "format": fmt,
        "reports": n,
        "seconds": elapsed,
        "reports_per_s": n / elapsed,
        "pages": pages,
        "pages_per_s": pages / elapsed,
        "peak_mb": peak_kb / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=500)
    parser.add_argument("--pdf-copies", type=int, default=50)
    parser.add_argument("--format", choices=FORMATS, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.format:
        copies = args.pdf_copies if args.format == "pdf" else args.copies
        print(json.dumps(run_one(args.format, copies)))
        return
    print(f"nianbao check benchmark — one core, {args.copies} reports per format ({args.pdf_copies} for PDF)")
    print(f"{'format':<8}{'reports':>9}{'seconds':>10}{'reports/s':>12}{'pages/s':>10}{'peak MB':>10}")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for fmt in FORMATS:
        cmd = [
            sys.executable,
            "-m",
            "bench.check_bench",
            "--format",
            fmt,
            "--copies",
            str(args.copies),
            "--pdf-copies",
            str(args.pdf_copies),
        ]
        # taskset pins the child to one core where available, so the figure is per core.
        if Path("/usr/bin/taskset").exists():
            cmd = ["taskset", "-c", "0", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        if proc.returncode != 0:
            print(
                f"{fmt:<8} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
            )
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{fmt:<8}{r['reports']:>9}{r['seconds']:>10.2f}{r['reports_per_s']:>12.1f}"
            f"{r['pages_per_s']:>10.1f}{r['peak_mb']:>10.1f}"
        )


if __name__ == "__main__":
    main()
