"""`nianbao schedule`: run the weekly crawl, the digest and the deadline-season daily crawl unattended."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from pathlib import Path

import click

from nianbao.cli.errors import Failure

JOBS = ("weekly_crawl", "daily_crawl", "digest")


@click.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    metavar="配置文件",
    help="含 [schedule] 的 TOML 配置文件（不给时全部用默认值，见 docs/schedule.md）。",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="NIANBAO_DATA",
    metavar="目录",
    help="数据目录（优先于 [schedule] data；默认用配置文件中的）。",
)
@click.option("--list", "list_only", is_flag=True, help="检查配置，列出各任务及接下来的运行时间，然后退出。")
@click.option("--run", "run_job", type=click.Choice(JOBS), help="立即运行一个任务后退出（供 cron 调用）。")
@click.option("-v", "--verbose", is_flag=True, help="日志中也记录调试信息。")
def schedule(
    config_file: str | None, data_dir: str | None, list_only: bool, run_job: str | None, verbose: bool
) -> None:
    """在前台按计划运行抓取和周报（Ctrl-C 停止）。

    \b
    默认时间表（北京时间）：
      weekly_crawl  每周一 02:00，导入网站清单后抓取全部启用的站点
      digest        每周一 08:00，上一周的周报，等抓取结束后生成
      daily_crawl   01-20 至 04-10 每天 12:00，抓取仍缺上一年度年报的站点
    错过的运行在开机后补一次；两次抓取不会重叠；任务失败会记入日志和
    <数据目录>/schedule-log.jsonl，计划照常继续。
    启动前（以及 --list 时）先检查配置文件和网站清单，有误则列出全部问题。

    \b
    示例：
      nianbao schedule --config nianbao.toml
      nianbao schedule --config nianbao.toml --list
      nianbao schedule --config nianbao.toml --data /srv/nianbao/data
      nianbao schedule --config nianbao.toml --run weekly_crawl
    """
    from nianbao.scheduler import Jobs, build_scheduler, run

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)
    from nianbao.config_check import check_settings

    checked = check_settings(config_file)
    if checked.problems or (list_only and checked.sites_problems):
        raise Failure("配置有误：\n" + "\n".join([*checked.problems, *checked.sites_problems]))
    for problem in checked.sites_problems:  # rows the weekly crawl will leave out: said, not fatal
        logging.getLogger("nianbao.schedule").warning("%s", problem)
    assert checked.config is not None
    config = checked.config
    if data_dir:
        config = dataclasses.replace(config, data=Path(data_dir).expanduser().resolve())
    jobs = Jobs(config)
    if list_only:
        now = datetime.now(config.zone)
        click.echo(
            f"时区 {config.timezone}；数据 {config.data}；网站清单 {config.sites}；周报输出 {config.out}"
        )
        click.echo(f"发布季 {config.season[0]} 至 {config.season[1]}；运行记录 {config.journal}")
        for job in JOBS:
            settings = getattr(config, job)
            if not settings.enabled:
                click.echo(f"{job:13} 已停用")
                continue
            trigger, moment = config.trigger(job), now
            times: list[str] = []
            while len(times) < 3 and moment is not None and moment < now + timedelta(days=800):
                moment = trigger.get_next_fire_time(None, moment)
                if moment is None:
                    break
                if job != "daily_crawl" or config.in_season(moment.date()):
                    times.append(moment.strftime("%Y-%m-%d %H:%M %a"))
                moment += timedelta(seconds=1)
            click.echo(f"{job:13} {settings.cron:16} 下次：{'；'.join(times)}")
        return
    if run_job:
        outcome = getattr(jobs, run_job)()
        if outcome is None:
            click.echo(f"{run_job}: 不在发布季（{config.season[0]} 至 {config.season[1]}），未运行")
            return
        click.echo(f"{run_job}: {outcome.status} {outcome.detail}")
        if outcome.status == "failed":
            raise SystemExit(1)
        return
    run(jobs, scheduler=build_scheduler(jobs))


def register(group: click.Group) -> None:
    group.add_command(schedule)
