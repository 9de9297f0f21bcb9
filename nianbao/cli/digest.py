"""`nianbao digest`: write the weekly digest page (and Excel/CSV exports), optionally e-mail it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure
from nianbao.cli.options import data_option, today_option


@click.command()
@data_option
@click.option("--week", metavar="YYYY-Www", help="The ISO week to report on (default: the week of --today).")
@today_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="reports_out",
    show_default=True,
    help="Folder the digest is written to.",
)
@click.option("--xlsx", is_flag=True, help="Also write the findings as digest-YYYY-Www.xlsx.")
@click.option("--csv", "as_csv", is_flag=True, help="Also write the findings as digest-YYYY-Www.csv (UTF-8).")
@click.option("--mail", is_flag=True, help="E-mail the digest with the [mail] settings of --config.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    help="TOML file with a [mail] table (see docs/digest.md).",
)
def digest(
    data_dir: str,
    week: str | None,
    today: date | None,
    out_dir: str,
    xlsx: bool,
    as_csv: bool,
    mail: bool,
    config_file: str | None,
) -> None:
    """Write the weekly digest for supervisors and print its path.

    The digest (in Chinese, one self-contained HTML file) lists per agency the
    open findings to act on, what was fixed this week, the sites that could
    not be checked, agencies whose report is not out yet with days left to
    the deadline, counts per rule and a chart of open errors per week.

    \b
    Examples:
      nianbao digest
      nianbao digest --today 2025-02-10 --xlsx
      nianbao digest --week 2025-W07 --data /srv/nianbao --out /srv/www/digest
      nianbao digest --mail --config nianbao.toml
    """
    from nianbao.digest import resolve_period, write_digest
    from nianbao.digest.mail import load_mail_settings

    if week and today:
        raise click.UsageError("--week 与 --today 只能指定一个")
    try:
        period = resolve_period(week, today)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from exc
    database = Path(data_dir) / "nianbao.db"
    if not database.exists():
        raise Failure(f"{database}: 数据库不存在，请先运行 nianbao crawl 或 nianbao ingest")
    settings = None
    try:
        if mail:
            if not config_file:
                raise Failure("--mail 需要 --config 指定含 [mail] 设置的配置文件")
            settings = load_mail_settings(config_file)
            if settings is None:
                raise Failure(f"{config_file}: 没有 [mail] 设置")
        files = write_digest(data_dir, out_dir, period, xlsx=xlsx, csv=as_csv, mail=settings)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    click.echo(str(files.html))
    for path in files.exports:
        click.echo(str(path))
    if files.mailed_to:
        click.echo(f"已发送至 {'、'.join(files.mailed_to)}", err=True)


def register(group: click.Group) -> None:
    group.add_command(digest)
