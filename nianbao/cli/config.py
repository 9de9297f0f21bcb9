"""`nianbao config check`: check the settings file and the sites list before anything runs."""

from __future__ import annotations

import sys

import click


@click.group()
def config() -> None:
    """配置文件：检查计划任务、邮件设置和网站清单。"""


@config.command("check")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    metavar="配置文件",
    help="TOML 配置文件（含 [schedule]、[mail]）；不给时只检查默认设置。",
)
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False),
    metavar="名单文件",
    help="要检查的网站清单（默认：配置文件中 [schedule] sites 指定的）。",
)
def config_check(config_file: str | None, sites_file: str | None) -> None:
    """检查配置文件和网站清单，一次列出全部问题；不做任何更改。

    \b
    检查：[schedule] 的每个键（拼错的键会提示“是否是”）、cron 表达式、时区、
    发布季；mail = true 时必须有 [mail]，[mail] 的每个键；
    网站清单的每一行（截止日期、类型、网址……）。
    全部正确时退出码为 0，否则为 1。

    \b
    示例：
      nianbao config check --config nianbao.toml
      nianbao config check --sites 监测名单.xlsx
    """
    from nianbao.config_check import check_settings

    result = check_settings(config_file, sites=sites_file)
    for line in result.checked:
        click.echo(f"✓ {line}")
    for problem in [*result.problems, *result.sites_problems]:
        click.echo(f"✗ {problem}")
    if not result.ok:
        click.echo("配置有误：请按上面的提示改正后再运行 nianbao config check")
        sys.exit(1)
    click.echo("配置正确")


def register(group: click.Group) -> None:
    group.add_command(config)
