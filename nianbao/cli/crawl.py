"""Crawl commands: `crawl` (all enabled sites, or some) and `recheck` (one site, now).

Each crawl runs Scrapy in a child process (Twisted's reactor cannot be
restarted); the child draws one progress line on this terminal and writes
Scrapy's log to ``<data>/logs/`` (also here with ``--verbose``), the parent
prints the summary from what the pipeline recorded. A registered site whose
stored data is unusable is not crawled: its run is recorded as an error with
the reason, the others are crawled, and the exit status is 1.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from monitor.codes import SEVERITY_NAMES, RunStatus
from nianbao.cli.errors import Failure, Stopped, open_archive
from nianbao.cli.names import site_named
from nianbao.cli.options import data_option, today_option

F = Callable[..., Any]


def _status_name(status: str) -> str:
    return RunStatus(status).label


def _load_sites_file(path: str, data_dir: str, today: date | None, quiet: bool) -> bool:
    """Import the sites file first; False when some of its rows could not be imported."""
    from nianbao.cli.sites import import_file

    return bool(import_file(path, data_dir, quiet=quiet, today=today).ok)


@dataclass
class Plan:
    """What a crawl will cover: the site ids to pass to the child (None: every enabled site)."""

    site_ids: list[str] | None
    count: int
    unusable: list[dict[str, Any]]  # sites not crawled because their stored data is wrong (summary rows)


def _plan(data_dir: str, names: list[str], *, create: bool = True) -> Plan:
    """Resolve the named sites (or take every enabled one); record the unusable ones as error runs."""
    from nianbao.sitelist import record_unusable
    from storage.sites import list_sites

    with open_archive(data_dir, create=create) as archive:
        sites = (
            [site_named(archive, name) for name in names]
            if names
            else list_sites(archive.db, enabled_only=True)
        )
        unusable = [site for site in sites if site.problems]
        usable = [site.id for site in sites if not site.problems]
        if not sites:
            return Plan(None, 0, [])
        rows = record_unusable(archive, unusable) if unusable and usable else []
    if unusable and not usable:
        raise Failure(
            "要抓取的站点数据都有误，未抓取：\n"
            + "\n".join(f"  {site.agency}（{site.id}）：{'；'.join(site.problems)}" for site in unusable)
            + "\n请改正名单后用 nianbao sites import 重新导入"
        )
    # Named sites, or some left out: the child gets the ids; otherwise it takes every enabled site itself.
    return Plan(usable if names or unusable else None, len(usable), rows)


def log_file(data_dir: str) -> Path:
    """Where this crawl's log goes (the child keeps the folder from growing without end)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(data_dir).resolve() / "logs" / f"crawl-{stamp}.log"


def _crawl(
    data_dir: str,
    site_ids: list[str] | None,
    today: date | None,
    expected: int,
    output: Output,
    *,
    all_years: bool = False,
) -> Any:
    """Run the crawl child; fails when it crawled nothing of the ``expected`` sites."""
    from nianbao.crawling import run_crawl

    settings = {
        "LOG_FILE": str(output.log),
        "NIANBAO_VERBOSE": output.verbose,
        "NIANBAO_PROGRESS": not output.quiet,
    }
    result = run_crawl(data_dir, site_ids, today, settings=settings, all_years=all_years)
    if result.signal_received is not None and not result.sites:
        _stopped(result)
    if not result.ok and not result.sites:
        raise Failure(f"抓取进程异常退出（退出码 {result.returncode}），详情见日志 {output.log}")
    if expected and not result.sites:
        raise Failure(
            f"抓取没有完成任何站点（应抓取 {expected} 个，数据目录 {Path(data_dir).resolve()}），"
            f"详情见日志 {output.log}"
        )
    return result


def _stopped(result: Any) -> None:
    """The command was stopped by a signal (passed on to the crawl): say so, exit 128 + the signal."""
    name = signal.Signals(result.signal_received).name
    raise Stopped(f"抓取被中止（收到 {name}），未完成的站点已记为抓取出错", 128 + int(result.signal_received))


def _check_child(result: Any, output: Output, *, more_failed: bool = False) -> None:
    """After the summary: a crawl child that failed part-way, or a site that could not be crawled, fails."""
    if result.signal_received is not None:
        _stopped(result)
    if not result.ok:
        raise Failure(
            f"抓取进程异常退出（退出码 {result.returncode}），以上结果可能不完整，详情见日志 {output.log}"
        )
    errors = [site for site in result.sites if site["status"] == RunStatus.ERROR]
    if errors or more_failed:
        what = (
            f"{len(errors)} 个站点抓取出错（原因见上），其余站点已照常检查"
            if errors
            else "站点名单有未导入的行（见上）"
        )
        raise Failure(f"{what}；日志 {output.log}", exit_code=1)


@dataclass
class Output:
    """How much the command prints: --quiet only the result, --verbose Scrapy's log too."""

    quiet: bool
    verbose: bool
    log: Path

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)


def output_options(func: F) -> F:
    """-q/--quiet and -v/--verbose, for the commands that crawl."""
    func = click.option(
        "-v", "--verbose", is_flag=True, help="同时在终端显示抓取日志（Scrapy 的英文日志）。"
    )(func)
    return click.option("-q", "--quiet", is_flag=True, help="只输出结果，不显示进度。")(func)


def _reasons(data_dir: str, result: Any) -> None:
    """Add the recorded reason to each site whose run ended in error (the child's summary has none)."""
    failed = {
        site["run_id"]: site
        for site in result.sites
        if site["status"] == RunStatus.ERROR and site.get("run_id")
    }
    if not failed:
        return
    import json

    with open_archive(data_dir, create=False) as archive:
        marks = ", ".join("?" * len(failed))
        for run_id, errors in archive.db.execute(
            f"SELECT id, errors FROM runs WHERE id IN ({marks})", list(failed)
        ):
            failed[run_id].setdefault("reasons", json.loads(errors or "[]"))


def _site_line(site: dict[str, Any]) -> str:
    counts = site.get("counts") or {}
    status = _status_name(site["status"])
    mark = "✓" if site["status"] == "ok" else "✗"
    parts = [f"{mark} {site.get('agency', '')}（{site['site_id']}） {status}"]
    if site.get("reasons"):
        parts.append("原因：" + "；".join(site["reasons"][-2:]))
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


def print_summary(result: Any, quiet: bool = False) -> None:
    sites = sorted(result.sites, key=lambda s: (s["status"] == "ok", s["site_id"]))
    if not quiet:
        click.echo("")
    for site in sites:
        if quiet and site["status"] == "ok":
            continue
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
    metavar="名单文件",
    help="先导入这份名单（Excel、CSV 或 YAML），再抓取。",
)
@click.option(
    "--site",
    "site_ids",
    multiple=True,
    metavar="站点",
    help="只抓取这个站点：编号或单位名称（可重复）。",
)
@click.option(
    "--all-years",
    is_flag=True,
    help="抓取栏目中列出的所有年份的年报（用于一次性补建历史存档）；默认只抓取站点起始年份（first_year）及以后的年报。",
)
@click.option(
    "--queue",
    "queue_url",
    metavar="URL",
    help="通过 Redis 队列由多台抓取节点抓取（redis://主机:端口/数据库编号；节点运行 nianbao worker），本机写入存档。",
)
@today_option
@output_options
@data_option
def crawl(
    sites_file: str | None,
    site_ids: tuple[str, ...],
    queue_url: str | None,
    all_years: bool,
    today: date | None,
    quiet: bool,
    verbose: bool,
    data_dir: str,
) -> None:
    """抓取全部启用的站点（或指定的站点）：查找、确定日期并下载每份年报。

    报告入库并检查；抓取中的问题（无法访问、被拦截、找不到年报栏目）
    记为问题；按 --today 判断是否缺少年报（PUB.MISSING）。
    未变化的文件不会重复下载。终端上只显示一行进度和结果，
    抓取日志写入 <数据目录>/logs/（加 --verbose 同时显示）。
    有站点抓取出错时退出码为 1，其余站点照常抓取。

    \b
    示例：
      nianbao crawl --sites 监测名单.xlsx
      nianbao crawl --site 郑县教育体育局 --site 郑县人民政府 --today 2025-02-10
      nianbao crawl --quiet
      nianbao crawl --queue redis://10.0.0.5:6379/0
    """
    output = Output(quiet, verbose, log_file(data_dir))
    list_ok = _load_sites_file(sites_file, data_dir, today, quiet) if sites_file else True
    plan = _plan(data_dir, list(site_ids))
    if plan.count == 0:
        raise Failure("没有可抓取的站点：请先用 --sites 导入站点清单，或检查站点是否已停用")
    if queue_url:  # many machines crawl (nianbao worker), this one writes the archive
        from nianbao.cli.queue import crawl_through_queue

        result = crawl_through_queue(queue_url, data_dir, plan.site_ids or [], today, all_years=all_years)
    else:
        output.say(f"开始抓取 {plan.count} 个站点……")
        result = _crawl(data_dir, plan.site_ids, today, plan.count, output, all_years=all_years)
    result.sites += plan.unusable
    _reasons(data_dir, result)
    print_summary(result, quiet)
    _check_child(result, output, more_failed=not list_ok)


def _finding_line(row: Any) -> str:
    year = f"{row.year}年度 " if row.year else ""
    return f"  [{SEVERITY_NAMES.get(row.severity, row.severity)}] {row.code} {year}{row.message}"


@click.command()
@click.argument("site_name", metavar="站点")
@today_option
@output_options
@data_option
def recheck(site_name: str, today: date | None, quiet: bool, verbose: bool, data_dir: str) -> None:
    """立即重新抓取一个站点、重新检查，并列出它的问题：新发现、仍未解决、本次已解决。

    单位说已改正年报后，用它来核实。站点可写编号或单位名称（或名称中唯一的一部分）。

    \b
    示例：
      nianbao recheck 郑县教育体育局
      nianbao recheck gzjkq-jtfw --today 2025-02-10
    """
    from storage.queries import findings

    output = Output(quiet, verbose, log_file(data_dir))
    plan = _plan(data_dir, [site_name], create=False)
    assert plan.site_ids
    site_id = plan.site_ids[0]
    with open_archive(data_dir, create=False) as archive:
        agency = site_named(archive, site_id).agency
    output.say(f"重新抓取并检查 {agency}（{site_id}）……")
    result = _crawl(data_dir, [site_id], today, 1, output)
    site = next((s for s in result.sites if s["site_id"] == site_id), None)
    if site is None:
        raise Failure(f"站点 {site_id} 的抓取没有完成，详情见日志 {output.log}")
    _reasons(data_dir, result)
    output.say("")
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
    _check_child(result, output)


def register(group: click.Group) -> None:
    group.add_command(crawl)
    group.add_command(recheck)
