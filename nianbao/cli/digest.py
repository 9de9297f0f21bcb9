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
@click.option("--week", metavar="年-W周", help="要统计的 ISO 周，如 2025-W07（默认 --today 所在的周）。")
@today_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="reports_out",
    show_default=True,
    metavar="目录",
    help="周报写入的目录。",
)
@click.option("--xlsx", is_flag=True, help="同时把问题写成 Excel 表格 digest-年-W周.xlsx。")
@click.option("--csv", "as_csv", is_flag=True, help="同时把问题写成 digest-年-W周.csv（UTF-8）。")
@click.option("--mail", is_flag=True, help="按 --config 的 [mail] 设置用电子邮件发送周报。")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    metavar="配置文件",
    help="含 [mail] 设置的 TOML 配置文件（见 docs/digest.md）。",
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
    """生成每周周报并输出其路径。

    周报是一个独立的 HTML 文件，按单位列出需要处理的问题、本周已改正的问题、
    未能检查的站点、尚未发布年报的单位及距截止日期的天数、各规则的问题数，
    以及每周未解决错误数的走势图。

    \b
    示例：
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
