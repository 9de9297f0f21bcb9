"""`nianbao schedule`: run the weekly crawl, the digest and the deadline-season daily crawl unattended."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure

JOBS = ("weekly_crawl", "daily_crawl", "digest")


@click.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    help="TOML file with a [schedule] table (default: every default, see docs/schedule.md).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="NIANBAO_DATA",
    help="Folder holding nianbao.db and the document store (overrides [schedule] data; default: the config's).",
)
@click.option("--list", "list_only", is_flag=True, help="Print the jobs and their next run times, then exit.")
@click.option("--run", "run_job", type=click.Choice(JOBS), help="Run one job now and exit (for cron).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages too.")
def schedule(
    config_file: str | None, data_dir: str | None, list_only: bool, run_job: str | None, verbose: bool
) -> None:
    """Run the schedule in the foreground (Ctrl-C stops it).

    \b
    Default timetable (Asia/Shanghai):
      weekly_crawl  every Monday 02:00, every enabled site (after loading the sites file)
      digest        every Monday 08:00, the week that just ended, after the crawl has finished
      daily_crawl   every day 12:00 from 01-20 to 04-10, sites still missing last year's report
    Missed runs run once on wake; two crawls never overlap; a failing job is
    logged and recorded in <data>/schedule-log.jsonl and the schedule goes on.

    \b
    Examples:
      nianbao schedule --config nianbao.toml
      nianbao schedule --config nianbao.toml --list
      nianbao schedule --config nianbao.toml --data /srv/nianbao/data
      nianbao schedule --config nianbao.toml --run weekly_crawl
    """
    from nianbao.scheduler import Jobs, build_scheduler, load_schedule_config, run

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        config = load_schedule_config(config_file)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
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
