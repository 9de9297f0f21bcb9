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
@click.option("--week", metavar="年-W周", help="报告哪一周（ISO 周，如 2025-W07；默认：--today 所在的周）。")
@today_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="reports_out",
    show_default=True,
    metavar="目录",
    help="周报、机关页和存档副本的输出目录。",
)
@click.option(
    "--xlsx",
    is_flag=True,
    help="同时输出 Excel 表格 digest-YYYY-Www.xlsx（机关、问题清单、临近截止三张表）。",
)
@click.option("--csv", "as_csv", is_flag=True, help="同时以 CSV（UTF-8）输出问题清单 digest-YYYY-Www.csv。")
@click.option("--no-pages", is_flag=True, help="不生成各机关的机关页（只写周报本身和它引用的存档副本）。")
@click.option("--mail", is_flag=True, help="按 --config 中的 [mail] 设置用电子邮件发送周报。")
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
    no_pages: bool,
    mail: bool,
    config_file: str | None,
) -> None:
    """生成每周监测周报并输出其路径。

    周报是一个独立的中文网页。首屏为“需要联系的机关”：未发布、逾期、未能检查、有错误、有警告，按轻重排列。

    其后是按地区和层级的汇总（按时发布率排名、较上周变化）、各机关可展开的问题明细、本周已整改、临近截止、问题分类和趋势图。

    输出目录中同时写入每个机关的机关页（agencies/）和周报引用的每份文件的存档副本（docs/）。

    某个机关的数据有误时，只有该机关的部分不能生成，并在周报末尾和标准错误中列出，其余内容照常写出。

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
        files = write_digest(
            data_dir, out_dir, period, xlsx=xlsx, csv=as_csv, mail=settings, pages=not no_pages
        )
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    for line in files.problems:
        click.echo(f"nianbao: 警告：{line}", err=True)
    click.echo(str(files.html))
    for path in files.exports:
        click.echo(str(path))
    if files.mailed_to:
        click.echo(f"已发送至 {'、'.join(files.mailed_to)}", err=True)


def register(group: click.Group) -> None:
    group.add_command(digest)
