"""Benchmark: ten thousand generated hostile files through `check`'s own path; tracebacks, hangs, memory.

Each file (tests/support/hostile.py: bit flips, truncations, absurd XML numbers, huge spans, numbers
too large for a count, decompression bombs, thousands of pages, millions of lines; text, HTML, DOCX
and PDF in turn) is written to disk and checked exactly as `nianbao check` does it: read in the
limited worker process (``IsolatedReader(start="fork").read_file``), checked by the rules in this
process, and turned into the command's JSON and evidence text. Per call it measures the wall time
and the worker's peak resident memory during that read (VmHWM, reset before each read).

Printed: how the calls ended (report, or which error class), tracebacks (any exception other than
UnreadableInput, with its traceback), hangs (calls over 60 s), reader errors caught in the worker
(ReaderFailed: a crash or an unexpected exception), the time and peak-memory distribution, and the
slowest and largest calls. Targets: 0 tracebacks, 0 calls over 60 s, peak memory under 1 GB per call.

    .venv/bin/python -m bench.fuzz                  # 10,000 files, seed 1
    .venv/bin/python -m bench.fuzz --count 500 --seed 7 --start spawn
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from monitor.check import check_paths
from monitor.errors import ReaderFailed
from monitor.evidence import evidence_text
from monitor.model import CheckOptions
from nianbao.cli.check import report_json
from nianbao.reading import IsolatedReader
from tests.support.hostile import mutants

HANG_SECONDS = 60
MEMORY_TARGET = 1 << 30


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--progress", type=int, default=500, help="print a line every N files (0: never)")
    parser.add_argument(
        "--start",
        choices=("fork", "spawn"),
        default="fork",
        help="how workers start: fork as `check` does (a worker's resident size then includes this "
        "process's pages), or spawn as a crawl does (only its own)",
    )
    args = parser.parse_args()

    outcomes: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    times: list[float] = []
    peaks: list[int] = []
    growths: list[int] = []
    slowest: list[tuple[float, str, str]] = []
    largest: list[tuple[int, str, str]] = []
    tracebacks: list[tuple[str, str]] = []
    reader_errors: list[tuple[str, str]] = []
    hangs: list[tuple[str, float]] = []
    options = CheckOptions()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="nianbao-fuzz-") as tmp,
        IsolatedReader(start=args.start) as reader,
    ):
        for n, (name, data) in enumerate(mutants(args.seed, args.count), 1):
            path = Path(tmp) / name
            path.write_bytes(data)
            reader.last_peak = reader.last_growth = 0
            start = time.perf_counter()
            try:
                (result,) = check_paths([str(path)], options, read=reader.read_file)
                if result.report is not None:
                    json.dumps(report_json(result), ensure_ascii=False)
                    for f in result.findings:
                        evidence_text(f.evidence, links=True)
                    outcome = "report"
                else:
                    outcome = type(result.failure).__name__
            except Exception:
                outcome = "TRACEBACK"
                tracebacks.append((name, traceback.format_exc()))
            took = time.perf_counter() - start
            path.unlink()
            kind = name.split("-", 1)[1]
            outcomes[outcome] += 1
            by_kind[f"{kind} {outcome}"] += 1
            times.append(took)
            peaks.append(reader.last_peak)
            growths.append(reader.last_growth)
            if isinstance(result.failure, ReaderFailed):
                reader_errors.append((name, result.problem or ""))
            if took > HANG_SECONDS:
                hangs.append((name, took))
            slowest = sorted([*slowest, (took, name, outcome)], reverse=True)[:5]
            largest = sorted([*largest, (reader.last_peak, name, outcome)], reverse=True)[:5]
            if args.progress and n % args.progress == 0:
                print(
                    f"  {n:6d} files  {time.perf_counter() - started:7.0f} s  tracebacks {len(tracebacks)}  "
                    f"over {HANG_SECONDS} s {len(hangs)}  peak {max(peaks) / 1048576:.0f} MB",
                    flush=True,
                )
    elapsed = time.perf_counter() - started

    print(
        f"\n{len(times)} hostile files (seed {args.seed}, workers by {args.start}) through check in {elapsed:.0f} s"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print("by mutation:")
    for key, value in sorted(by_kind.items()):
        print(f"  {key:40s} {value}")
    print(
        f"time per call: median {_percentile(times, 0.5) * 1000:.0f} ms, p99 {_percentile(times, 0.99):.2f} s, "
        f"max {max(times):.2f} s"
    )
    print(
        f"worker peak resident memory per call: median {_percentile([float(p) for p in peaks], 0.5) / 1048576:.0f} MB, "
        f"max {max(peaks) / 1048576:.0f} MB (of which the read's own growth: median "
        f"{_percentile([float(g) for g in growths], 0.5) / 1048576:.0f} MB, max {max(growths) / 1048576:.0f} MB); "
        f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print("slowest: " + "; ".join(f"{n} {t:.1f} s ({o})" for t, n, o in slowest))
    print("largest: " + "; ".join(f"{n} {p / 1048576:.0f} MB ({o})" for p, n, o in largest))
    for name, text in tracebacks[:20]:
        print(f"\nTRACEBACK {name}\n{text}")
    for name, problem in reader_errors[:20]:
        print(f"reader error {name}: {problem}")
    over = sum(1 for p in peaks if p >= MEMORY_TARGET)
    print(
        f"\ntracebacks: {len(tracebacks)}   calls over {HANG_SECONDS} s: {len(hangs)}   "
        f"reader errors: {len(reader_errors)}   calls at or over 1 GB: {over}"
    )
    return 1 if tracebacks or hangs or over else 0


if __name__ == "__main__":
    sys.exit(main())
