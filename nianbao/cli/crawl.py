"""Crawl commands: `crawl` (all enabled sites, or some) and `recheck` (one site, now).

Each crawl runs Scrapy in a child process (Twisted's reactor cannot be
restarted); the child prints progress on this terminal, the parent prints the
summary from what the pipeline recorded.
"""

from __future__ import annotations

import signal
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.codes import SEVERITY_NAMES, RunStatus
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure, Stopped, open_archive
from nianbao.cli.options import data_option, today_option


def _status_name(status: str) -> str:
    return RunStatus(status).label


def _load_sites_file(path: str, data_dir: str) -> None:
    from storage.sitefiles import load_sites
    from storage.sites import save_sites

    try:
        loaded = load_sites(path)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    with open_archive(data_dir) as archive:
        result = save_sites(archive.db, loaded, now=archive.now(), source=path)
    click.echo(
        f"{path}：共 {len(loaded)} 个站点，新增 {len(result.added)}，更新 {len(result.updated)}，"
        f"未变化 {len(result.unchanged)}"
    )


def _check_sites(data_dir: str, site_ids: list[str], *, create: bool = True) -> int:
    """How many sites the crawl will cover; fails naming an unregistered site (or a missing archive)."""
    from storage.sites import get_site, list_sites

    with open_archive(data_dir, create=create) as archive:
        for site_id in site_ids:
            if get_site(archive.db, site_id) is None:
                raise Failure(f"站点 {site_id} 未登记：请先用 --sites 或 nianbao sites import 导入站点清单")
        return len(site_ids) if site_ids else len(list_sites(archive.db, enabled_only=True))


def _crawl(data_dir: str, site_ids: list[str], today: date | None, expected: int) -> Any:
    """Run the crawl child; fails when it crawled nothing of the ``expected`` sites."""
    from nianbao.crawling import run_crawl

    result = run_crawl(data_dir, site_ids, today)
    if result.signal_received is not None and not result.sites:
        _stopped(result)
    if not result.ok and not result.sites:
        raise Failure(f"抓取进程异常退出（退出码 {result.returncode}），请查看上方日志")
    if expected and not result.sites:
        raise Failure(
            f"抓取没有完成任何站点（应抓取 {expected} 个，数据目录 {Path(data_dir).resolve()}），请查看上方日志"
        )
    return result


def _stopped(result: Any) -> None:
    """The command was stopped by a signal (passed on to the crawl): say so, exit 128 + the signal."""
    name = signal.Signals(result.signal_received).name
    raise Stopped(f"抓取被中止（收到 {name}），未完成的站点已记为抓取出错", 128 + int(result.signal_received))


def _check_child(result: Any) -> None:
    """After the summary: a crawl child that failed part-way makes the command fail too."""
    if result.signal_received is not None:
        _stopped(result)
    if not result.ok:
        raise Failure(f"抓取进程异常退出（退出码 {result.returncode}），以上结果可能不完整，请查看上方日志")


def _site_line(site: dict[str, Any]) -> str:
    counts = site.get("counts") or {}
    status = _status_name(site["status"])
    mark = "✓" if site["status"] == "ok" else "✗"
    parts = [f"{mark} {site.get('agency', '')}（{site['site_id']}） {status}"]
    if site["status"] == "ok" or counts.get("reports_found"):
        parts.append(
            f"年报 {counts.get('reports_found', 0)} 份（检查 {counts.get('checked', 0)}，"
            f"未变化 {counts.get('unchanged', 0)}）"
        )
        parts.append(f"文件下载 {counts.get('downloaded', 0)}，未修改 {counts.get('not_modified', 0)}")
    if site.get("missing"):
        parts.append("缺少 " + "、".join(f"{y}年度" for y in site["missing"]))
    parts.append(
        f"新问题 {site.get('opened', 0) + site.get('reopened', 0)}，已解决 {site.get('resolved', 0)}"
    )
    return " · ".join(parts)


def print_summary(result: Any) -> None:
    sites = sorted(result.sites, key=lambda s: (s["status"] == "ok", s["site_id"]))
    click.echo("")
    for site in sites:
        click.echo(_site_line(site))
        for problem in site.get("problems") or []:
            click.echo(f"    {problem['code']} {problem['message']}")
            click.echo(f"    {problem['url']}")
    totals: dict[str, int] = {}
    for site in sites:
        totals[site["status"]] = totals.get(site["status"], 0) + 1
    by_status = "，".join(
        f"{_status_name(k)} {v}" for k, v in sorted(totals.items(), key=lambda kv: kv[0] != "ok")
    )
    opened = sum(s.get("opened", 0) + s.get("reopened", 0) for s in sites)
    resolved = sum(s.get("resolved", 0) for s in sites)
    reports = sum((s.get("counts") or {}).get("reports_found", 0) for s in sites)
    click.echo(
        f"共 {len(sites)} 个站点（{by_status}）；找到年报 {reports} 份；新发现问题 {opened} 项，已解决 {resolved} 项"
    )
    if any(s["status"] != "ok" for s in sites):
        click.echo("未能完整抓取的站点不会被视为合规，其问题见上。")


@click.command()
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Load this sites file (YAML, CSV or XLSX) into the registry first.",
)
@click.option("--site", "site_ids", multiple=True, metavar="ID", help="Crawl only this site (repeatable).")
@click.option(
    "--queue",
    "queue_url",
    metavar="URL",
    help="通过 Redis 队列由多台抓取节点抓取（redis://主机:端口/数据库编号；节点运行 nianbao worker），本机写入存档。",
)
@today_option
@data_option
def crawl(
    sites_file: str | None,
    site_ids: tuple[str, ...],
    queue_url: str | None,
    today: date | None,
    data_dir: str,
) -> None:
    """Crawl every enabled site (or the named ones): find, date and fetch each annual report.

    Reports are stored and checked, crawl problems (unreachable, blocked,
    no report column) recorded as findings, and PUB.MISSING judged as of
    --today. Unchanged documents are not downloaded again.

    \b
    Examples:
      nianbao crawl --sites sites.yaml
      nianbao crawl --site gzjkq-jtfw --site gzjkq-jgsw --today 2025-02-10
    """
    if sites_file:
        _load_sites_file(sites_file, data_dir)
    count = _check_sites(data_dir, list(site_ids))
    if count == 0:
        raise Failure("没有可抓取的站点：请先用 --sites 导入站点清单，或检查站点是否已停用")
    if queue_url:
        from nianbao.cli.queue import crawl_through_queue

        result = crawl_through_queue(queue_url, data_dir, list(site_ids), today)
    else:
        click.echo(f"开始抓取 {count} 个站点……")
        result = _crawl(data_dir, list(site_ids), today, count)
    print_summary(result)
    _check_child(result)


def _finding_line(row: Any) -> str:
    year = f"{row.year}年度 " if row.year else ""
    return f"  [{SEVERITY_NAMES.get(row.severity, row.severity)}] {row.code} {year}{row.message}"


@click.command()
@click.argument("site_id")
@today_option
@data_option
def recheck(site_id: str, today: date | None, data_dir: str) -> None:
    """Crawl one site now, re-run every check, and show its findings: new, still open, resolved.

    What an officer runs after an agency says it has fixed its report.

    \b
    Example:
      nianbao recheck gzjkq-jtfw --today 2025-02-10
    """
    from storage.queries import findings

    _check_sites(data_dir, [site_id], create=False)
    click.echo(f"重新抓取并检查站点 {site_id}……")
    result = _crawl(data_dir, [site_id], today, 1)
    site = next((s for s in result.sites if s["site_id"] == site_id), None)
    if site is None:
        raise Failure(f"站点 {site_id} 的抓取没有完成，请查看上方日志")
    click.echo("")
    click.echo(_site_line(site))
    with open_archive(data_dir) as archive:
        events = archive.db.execute(
            "SELECT finding_id, event FROM finding_events WHERE run_id = ?", [site["run_id"]]
        ).fetchall()
        rows = findings(archive.db, site_id=site_id, status="all")
    new_ids = {fid for fid, event in events if event in ("opened", "reopened")}
    resolved_ids = {fid for fid, event in events if event == "resolved"}
    new = [r for r in rows if r.id in new_ids and r.status == "open"]
    still_open = [r for r in rows if r.status == "open" and r.id not in new_ids]
    resolved = [r for r in rows if r.id in resolved_ids]
    for title, group in (("新发现", new), ("仍未解决", still_open), ("本次已解决", resolved)):
        click.echo(f"{title}（{len(group)}）：")
        for row in group:
            click.echo(_finding_line(row))
            if row.url:
                click.echo(f"      {row.url}")
    if site["status"] != "ok":
        click.echo(f"本次抓取{_status_name(site['status'])}，不能据此认定该站点没有问题。")
    elif not new and not still_open:
        click.echo("该站点当前没有未解决的问题。")
    _check_child(result)


def register(group: click.Group) -> None:
    group.add_command(crawl)
    group.add_command(recheck)
