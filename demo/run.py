"""`make demo`: the whole product on a fresh machine, offline.

Builds the sample portal (demo/portal.py) from the seed reports, serves it on
loopback (the tests' mock portal server, tests/support/mockportal), crawls it
twice a week apart into a fresh data folder (2024-02-26 and 2024-03-04, with
the portal changing in between), writes the digest for week 2024-W10 into
reports_out/ and prints its path::

    .venv/bin/python -m demo.run [--data data/demo] [--out reports_out] [--screenshot docs/img/digest.png]

It then checks that the digest shows every planted problem, and exits 1 if
one is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from demo.portal import SITES, build, hosts
from tests.support.mockportal import MockPortal, closed_port, loopback_binds
from tests.support.paths import ROOT

CRAWL_DAYS = (date(2024, 2, 26), date(2024, 3, 4))
MARKER = ".nianbao-demo"
# What the digest of 2024-W10 must show: (site, code, status) per planted problem.
PLANTED = [
    ("jgsw", "DATE.SIGNATURE_YEAR", "open"),  # signed 2023-01-29: last year's template
    ("scjg", "PUB.MISSING", "open"),  # no 2023 report at all
    ("zxjt", "PUB.LATE", "new"),  # published 2024-02-27, deadline 01-31
    ("zxjt", "STRUCT.AGENCY_MISSING", "new"),
    ("wjw", "CRAWL.BLOCKED", "open"),
    ("jtj", "CRAWL.UNREACHABLE", "open"),
]
RESOLVED = [("wbjy", "DATE.SIGNATURE_MISSING"), ("zxjt", "PUB.MISSING")]
CLEAN = ["jtfw"]
UPCOMING = ["wbqzf"]
UNCHECKED = ["wjw", "jtj"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT / "data" / "demo", help="fresh data folder (replaced)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports_out", help="where the digest goes")
    parser.add_argument(
        "--screenshot", type=Path, help="also save a screenshot of the digest (needs chromium)"
    )
    args = parser.parse_args(argv)

    data = fresh(args.data)
    archive = data / "archive"
    weeks = [data / "portal" / f"week{week + 1}" for week in range(len(CRAWL_DAYS))]
    for week, root in enumerate(weeks):
        build(root, week)
    ip = {site.id: loopback(index) for index, site in enumerate(SITES, start=2)}
    portal = MockPortal(hosts(weeks[0], ip))
    urls = portal.start()
    try:
        # Nothing listens at the unreachable site's address: connections are refused.
        urls.update({s.id: f"http://{ip[s.id]}:{closed_port(ip[s.id])}" for s in SITES if s.id not in urls})
        sites_file = write_sites(data / "sites.yaml", urls)
        say(f"示例门户已在本机启动：{len(urls)} 个网站")
        for site in SITES:
            say(f"  {site.agency.ljust(13, chr(0x3000))}{urls[site.id]}{site.start_path}")
        for week, day in enumerate(CRAWL_DAYS):
            for host in portal.hosts:
                if host.get("root"):
                    portal.serve(host["name"], weeks[week] / host["name"])
            say(f"第 {week + 1} 次抓取（按 {day} 判断期限）……")
            started = time.monotonic()
            crawl(archive, sites_file, day, data / f"crawl-{day}.log")
            say(f"  完成，用时 {time.monotonic() - started:.0f} 秒（日志：{data / f'crawl-{day}.log'}）")
            report_runs(archive)
    finally:
        portal.stop()

    from nianbao.digest import resolve_period, write_digest

    files = write_digest(archive, args.out, resolve_period(None, CRAWL_DAYS[-1]), xlsx=True)
    problems = verify(archive, resolve_period(None, CRAWL_DAYS[-1]))
    if args.screenshot:
        from demo.screenshot import screenshot

        screenshot(files.html, args.screenshot)
        say(f"截图：{args.screenshot}")
    say(f"周报（Excel 版：{files.exports[0]}）：")
    print(files.html)
    if problems:
        say("周报缺少预置的问题：\n  " + "\n  ".join(problems))
        return 1
    return 0


def fresh(path: Path) -> Path:
    """An empty data folder; an old demo folder is replaced, anything else is refused."""
    if path.exists():
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} 已存在且不是演示数据目录，请用 --data 指定其他目录")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("created by demo/run.py; replaced on every run\n", encoding="utf-8")
    return path


def loopback(index: int) -> str:
    """127.0.0.N when the system routes it (Linux does), else 127.0.0.1 (then sites share one address)."""
    host = f"127.0.0.{index}"
    return host if loopback_binds(host) else "127.0.0.1"


def write_sites(path: Path, urls: dict[str, str]) -> Path:
    import yaml

    entries = [
        {
            "id": s.id,
            "agency": s.agency,
            "level": s.level,
            "start_urls": [urls[s.id] + s.start_path],
            "first_year": 2023,
        }
        for s in SITES
    ]
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def crawl(archive: Path, sites_file: Path, day: date, log: Path) -> None:
    """``nianbao crawl`` in a child process, exactly as an operator runs it (output kept in ``log``)."""
    command = [
        sys.executable,
        "-m",
        "nianbao",
        "crawl",
        "--data",
        str(archive),
        "--sites",
        str(sites_file),
        "--today",
        day.isoformat(),
    ]
    with log.open("wb") as output:
        done = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise SystemExit(f"抓取失败（退出码 {done.returncode}），日志 {log} 的最后几行：\n" + "\n".join(tail))


def report_runs(archive: Path) -> None:
    """One line per site: how its latest crawl went (read back from the archive)."""
    from storage import queries
    from storage.archive import Archive

    names = {
        "ok": "正常",
        "unreachable": "无法访问",
        "blocked": "被拦截",
        "no_report_column": "无年报栏目",
        "error": "出错",
    }
    with Archive.open(archive) as store:
        runs = queries.latest_runs(store.db)
    for site in SITES:
        run = runs.get(site.id)
        status = names.get(run.status, run.status) if run else "未抓取"
        found = run.counts.get("reports_found", run.counts.get("reports", 0)) if run else 0
        say(
            f"    {site.agency.ljust(13, chr(0x3000))}{status}  年报 {found} 份  新问题 {run.findings_opened if run else 0}"
            f"  已解决 {run.findings_resolved if run else 0}"
        )


def verify(archive: Path, period: object) -> list[str]:
    """Every planted problem in its section; returns what is missing."""
    from nianbao.digest import build_digest
    from nianbao.digest.weeks import Period
    from storage.archive import Archive

    assert isinstance(period, Period)
    with Archive.open(archive) as store:
        digest = build_digest(store.db, period)
        shown = {(f.site_id, f.code): f.status for f in digest.open_findings}
        resolved = {(f.site_id, f.code) for f in digest.resolved()}
        digest.close()
    missing = [
        f"需要处理：{site} {code}（{status}）"
        for site, code, status in PLANTED
        if shown.get((site, code)) != status
    ]
    missing += [f"本周已整改：{site} {code}" for site, code in RESOLVED if (site, code) not in resolved]
    missing += [f"无问题：{site}" for site in CLEAN if any(s == site for s, _ in shown)]
    missing += [f"临近截止：{site}" for site in UPCOMING if site not in {u.site_id for u in digest.upcoming}]
    missing += [
        f"未能检查：{site}" for site in UNCHECKED if site not in {u.site_id for u in digest.unchecked}
    ]
    return missing


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
