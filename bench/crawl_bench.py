"""Crawl benchmark: many polite sites in parallel.

Generates a portal of N sites (default 200), each its own loopback host
(127.0.1.1, 127.0.1.2, …), serves them from one mock server process, and runs
a real ``nianbao crawl`` (child process, full pipeline into a throwaway
archive) with a per-site delay. Prints the wall time, pages per second, and the
ratio of wall time to the ideal: the largest site's pages × the delay, which is
what one polite site alone would need. Target: ratio ≤ 1.5.

    .venv/bin/python -m bench.crawl_bench                 # 200 sites, 1 s delay
    .venv/bin/python -m bench.crawl_bench --sites 400 --delay 0.5

"Pages" are every HTTP request a site answered (robots.txt, list pages,
report pages, attachments), counted by the mock server. The gaps between two
requests to one host are measured at the server, robots.txt to the first page
separately (the crawler counts the delay from each answer, so no gap should be
under the delay).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao.crawling import run_crawl
from storage.archive import Archive
from storage.sites import Site, save_sites
from tests.support.mockportal import MockPortal, loopback_binds
from tests.support.mockportal.build import _jiyue_list, _write, jiyue_detail, pdf_bytes, trs_detail
from tests.support.mockportal.content import NEWS_TITLES, national_metas, page
from tests.support.paths import ROOT

REGION = "青山"
DEPARTMENTS = [
    "教育局",
    "卫生健康委员会",
    "司法局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "信访局",
]
PDF = pdf_bytes("annual report attachment")


def ip_of(n: int) -> str:
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def site_size(n: int) -> int:
    """Reports on site n: most sites publish 3 (2021–2023), every seventh a second department's too."""
    return 6 if n % 7 == 0 else 3


def build_trs_site(root: Path, n: int) -> None:
    agencies = [f"{REGION}市{DEPARTMENTS[(n + k) % len(DEPARTMENTS)]}" for k in range(site_size(n) // 3)]
    items = []
    for k, agency in enumerate(agencies):
        for year in (2023, 2022, 2021):
            day = 10 + (n + k + year) % 18
            path = f"{year + 1}01/t{year + 1}01{day:02d}_{n:04d}{k}{year % 10}.shtml"
            title = f"{agency}{year}年政府信息公开工作年度报告"
            extra = ""
            if year == 2023:
                name = f"P0{year + 1}01{day:02d}{n:06d}{k}.pdf"
                _write(root, f"zfxxgk/zfxxgknb/{year + 1}01/{name}", PDF)
                extra = f'<p>附件：<a href="./{name}" appendix="true">{title}.pdf</a></p>'
            _write(
                root,
                f"zfxxgk/zfxxgknb/{path}",
                trs_detail(title, agency, year, f"{year + 1}-01-{day:02d} 09:30", extra),
            )
            items.append(
                f'<li><a href="./{path}" title="{title}">{title}</a><span>{year + 1}-01-{day:02d}</span></li>'
            )
    items.insert(
        1,
        f'<li><a href="./202402/t20240201_{n}.shtml">{agencies[0]}2023年政府信息公开工作年度报告解读</a>'
        "<span>2024-02-01</span></li>",
    )
    for i, title in enumerate(NEWS_TITLES[:2]):
        items.append(
            f'<li><a href="./202403/t2024030{i}_{n}.shtml">{title}</a><span>2024-03-0{i + 1}</span></li>'
        )
    per_page = 6
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)]
    for p, chunk in enumerate(pages):
        name = "index.shtml" if p == 0 else f"index_{p}.shtml"
        body = (
            f'<ul class="list">{"".join(chunk)}</ul>'
            f'<script>createPageHTML({len(pages)}, {p}, "index", "shtml");</script>'
        )
        _write(
            root,
            f"zfxxgk/zfxxgknb/{name}",
            page("政府信息公开年报", national_metas(f"{REGION}市", "政府信息公开年报"), body),
        )


def build_jiyue_site(root: Path, n: int) -> None:
    agency = f"{REGION}区{DEPARTMENTS[n % len(DEPARTMENTS)]}"
    col = "zfxxgk/zfxxgknb"
    links = "".join(f'<a href="{y}n/index.html">{y}年</a>' for y in (2023, 2022, 2021))
    _write(root, f"{col}/index.html", _jiyue_list("政府信息公开年报", "政府信息公开年报", links, []))
    for year in (2023, 2022, 2021):
        ident = f"17442773069535{n:05d}{year % 100}"
        generated = f"{year + 1}-01-{10 + n % 18:02d}"
        title = f"{agency}{year}年政府信息公开工作年度报告"
        _write(
            root,
            f"{col}/{year}n/{ident}.html",
            jiyue_detail(title, agency, year, f"bench-{n}/{year + 1}-00001", generated, generated),
        )
        _write(
            root,
            f"{col}/{year}n/index.html",
            _jiyue_list(
                f"{year}年",
                f"{year}年",
                "",
                [f'<li><a href="{ident}.html">{title}</a><span>{generated}</span></li>'],
            ),
        )


def generate(root: Path, count: int) -> list[dict[str, Any]]:
    hosts = []
    for n in range(count):
        site_root = root / f"site{n:04d}"
        (build_jiyue_site if n % 3 == 2 else build_trs_site)(site_root, n)
        hosts.append({"name": f"site{n:04d}", "ip": ip_of(n), "root": str(site_root), "conditional": True})
    return hosts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--delay", type=float, default=1.0, help="per-site delay between requests (s)")
    parser.add_argument("--keep", action="store_true", help="keep the generated portal and archive")
    parser.add_argument("--log", help="write the mock server's request log (JSON) here")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also crawl through the queue (redis-server) with 1 and with N workers; print the speed-up",
    )
    args = parser.parse_args(argv)
    if not loopback_binds(ip_of(args.sites - 1)):
        print(f"cannot bind {ip_of(args.sites - 1)}: this benchmark needs 127.0.0.0/8 on loopback")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="nianbao-crawl-bench-"))
    try:
        started = time.monotonic()
        hosts = generate(tmp / "portal", args.sites)
        print(f"generated {args.sites} sites in {time.monotonic() - started:.1f} s")
        with MockPortal(hosts) as portal:
            data = tmp / "data"
            with Archive.open(data, durable=False) as archive:
                sites = [
                    Site(
                        id=h["name"],
                        agency=f"基准站点{h['name']}",
                        start_urls=[
                            f"{portal.urls[h['name']]}/zfxxgk/zfxxgknb/"
                            + ("index.html" if i % 3 == 2 else "index.shtml")
                        ],
                    )
                    for i, h in enumerate(hosts)
                ]
                save_sites(archive.db, sites, now=archive.now(), source="bench")
            portal.reset()
            settings = {
                "DOWNLOAD_DELAY": args.delay,
                "AUTOTHROTTLE_START_DELAY": args.delay,
                "LOG_LEVEL": "WARNING",
                "NIANBAO_PROGRESS_INTERVAL": 5.0,
            }
            began = time.monotonic()
            result = run_crawl(data, None, "2024-06-01", settings=settings)
            wall = time.monotonic() - began
            log = portal.log()
            through_queue = queue_runs(args, portal, sites, tmp, settings) if args.workers else []
        if args.log:
            Path(args.log).write_text(json.dumps(log, ensure_ascii=False), encoding="utf-8")
        report(args, result, log, wall)
        if through_queue:
            report_queue(args, through_queue, wall)
        return 0 if result.ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(args: argparse.Namespace, result: Any, log: list[dict[str, Any]], wall: float) -> None:
    per_host: dict[str, list[float]] = defaultdict(list)
    robots_first: list[float] = []  # robots.txt to the next request, per host (it alone opens the connection)
    seen: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for entry in log:
        per_host[entry["host"]].append(entry["t"])
        seen[entry["host"]].append((entry["t"], entry["path"]))
    for requests in seen.values():
        requests.sort()
        for (t, path), (t_next, _) in itertools.pairwise(requests):
            if path == "/robots.txt":
                robots_first.append(t_next - t)
    largest = max(len(times) for times in per_host.values())
    span = max(e["t"] for e in log) - min(e["t"] for e in log)
    ideal = largest * args.delay
    gaps = [
        b - a for times in per_host.values() for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    statuses: dict[str, int] = defaultdict(int)
    for site in result.sites:
        statuses[site["status"]] += 1
    reports = sum((s.get("counts") or {}).get("reports_found", 0) for s in result.sites)
    figures = {
        "sites": args.sites,
        "delay_s": args.delay,
        "pages": len(log),
        "reports": reports,
        "site_status": dict(statuses),
        "wall_time_s": round(wall, 2),
        "request_span_s": round(span, 2),
        "pages_per_s": round(len(log) / wall, 1),
        "largest_site_pages": largest,
        "ideal_s": round(ideal, 2),
        "ratio": round(wall / ideal, 3),
        "min_gap_same_host_s": round(min(gaps), 3) if gaps else None,
        "median_gap_same_host_s": round(statistics.median(gaps), 3) if gaps else None,
        "min_gap_robots_first_s": round(min(robots_first), 3) if robots_first else None,
    }
    print()
    print(f"sites            {args.sites} (each its own loopback host), delay {args.delay} s per site")
    print(f"pages            {len(log)} requests served, {reports} reports found, statuses {dict(statuses)}")
    print(f"wall time        {wall:.1f} s (the whole crawl process: start, crawl, storage, checks)")
    print(f"requests span    {span:.1f} s from the first request served to the last")
    print(f"pages/s          {len(log) / wall:.1f}")
    print(f"ideal            {largest} pages on the largest site x {args.delay} s = {ideal:.1f} s")
    print(f"ratio            {wall / ideal:.2f} (target <= 1.5)")
    if gaps:
        print(
            f"politeness       min gap between two requests to one host {min(gaps):.2f} s, "
            f"median {statistics.median(gaps):.2f} s (delay {args.delay} s)"
        )
    if robots_first:
        print(
            f"robots.txt       min gap to the next request on its host {min(robots_first):.2f} s, "
            f"{sum(g < args.delay * 0.95 for g in robots_first)} of {len(robots_first)} under 95% of the delay"
        )
    print(json.dumps(figures, ensure_ascii=False))


@dataclass
class QueueRun:
    workers: int
    round: str  # "first": a first crawl; "again": the unchanged portal crawled again
    wall: float
    pages: int
    statuses: dict[str, int]
    overlaps: int  # hosts that saw requests from two workers
    worker_cpu: float  # CPU seconds of the workers and their crawls (crawl + read)
    writer_cpu: float  # CPU seconds of this process writing the archive (check + write)


def queue_runs(
    args: argparse.Namespace, portal: Any, sites: list[Site], tmp: Path, settings: dict[str, Any]
) -> list[QueueRun]:
    """The same sites through the queue: `nianbao worker` processes crawl, this process writes the archive.

    With 1 worker, then with N; with N also a second round of the unchanged portal (the weekly case).
    """
    from tests.support.redisserver import RedisServer

    runs = []
    with RedisServer() as server:
        client = server.client()
        for count in sorted({1, args.workers}):
            client.flushdb()
            data = tmp / f"queue-{count}"
            with Archive.open(data, durable=False) as archive:
                save_sites(archive.db, sites, now=archive.now(), source="bench")
                runs.append(queue_round(server.url, client, archive, portal, sites, settings, count, "first"))
                if count == args.workers:
                    runs.append(
                        queue_round(server.url, client, archive, portal, sites, settings, count, "again")
                    )
        client.close()
    return runs


def queue_round(
    url: str,
    client: Any,
    archive: Archive,
    portal: Any,
    sites: list[Site],
    settings: dict[str, Any],
    count: int,
    label: str,
) -> QueueRun:
    import signal
    import subprocess
    from datetime import date

    from rq import Worker

    from nianbao.queue.rounds import open_rounds, start_round, written
    from nianbao.queue.writer import ArchiveWriter

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "nianbao", "worker", "--queue", url, "--name", f"bench-{k}"],
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "NIANBAO_CRAWL_SETTINGS": worker_settings(settings, k),
            },
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for k in range(count)
    ]
    try:
        while len(Worker.all(connection=client)) < count:
            time.sleep(0.2)
        portal.reset()
        began, own = time.monotonic(), time.process_time()
        round_ = start_round(
            archive, client, sites, today=date(2024, 6, 1), archive_id=str(archive.blobs.root)
        )
        ArchiveWriter(archive, client).run(lambda: round_.batch not in open_rounds(client))
        wall, writer_cpu = time.monotonic() - began, time.process_time() - own
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = portal.log()
    statuses: dict[str, int] = defaultdict(int)
    for summary in written(client, round_.batch).values():
        statuses[summary["status"]] += 1
    seen: dict[str, set[str]] = defaultdict(set)
    for entry in log:
        seen[entry["host"]].add(entry["user_agent"])
    return QueueRun(
        count,
        label,
        wall,
        len(log),
        dict(statuses),
        sum(1 for agents in seen.values() if len(agents) > 1),
        after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime,
        writer_cpu,
    )


def worker_settings(settings: dict[str, Any], k: int) -> str:
    """Each worker's requests say its name, so the portal's log tells which worker asked which host."""
    return json.dumps({**settings, "NIANBAO_PROGRESS": False, "USER_AGENT": f"nianbao-bench bench-{k}"})


def report_queue(args: argparse.Namespace, runs: list[QueueRun], local_wall: float) -> None:
    from nianbao.queue.rounds import job_sites

    print()
    print(
        f"through the queue (redis-server on loopback; jobs of up to {job_sites()} sites; {os.cpu_count()} cores here)"
    )
    for run in runs:
        what = "first crawl" if run.round == "first" else "again, unchanged"
        print(
            f"  {run.workers} worker(s), {what}: {run.wall:6.1f} s  {run.pages / run.wall:6.1f} pages/s  "
            f"statuses {run.statuses}  hosts seen by two workers: {run.overlaps}"
        )
        print(
            f"      CPU: workers {run.worker_cpu:.1f} s (crawl + read: {run.pages / run.worker_cpu:.0f} pages per "
            f"CPU-second), archive writer {run.writer_cpu:.1f} s (check + write: "
            f"{run.writer_cpu / max(1, sum(run.statuses.values())) * 1000:.1f} ms per site)"
        )
    one = next(r for r in runs if r.workers == 1 and r.round == "first")
    many = next(r for r in runs if r.workers == args.workers and r.round == "first")
    print(f"speed-up, {args.workers} workers over 1: {one.wall / many.wall:.2f}x")
    print(f"one machine without the queue: {local_wall:.1f} s")
    print(json.dumps({"queue": [r.__dict__ for r in runs], "speedup": round(one.wall / many.wall, 3)}))


if __name__ == "__main__":
    sys.exit(main())
