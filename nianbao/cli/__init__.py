"""The `nianbao` command: a thin click group; each area registers its commands.

Command modules live beside this file and expose ``register(group)``; the
group imports the ones present, so each area (check, storage, crawl, digest)
owns its own file. Everything the command line prints is Chinese, click's own
words included (``nianbao.cli.chinese``); an unexpected error is one Chinese
line, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from nianbao import __version__
from nianbao.cli import chinese
from nianbao.cli.errors import InternalError

chinese.install()  # before the command modules build their parameters (click names types at creation)

COMMAND_MODULES = (
    "check",
    "store",
    "sites",
    "crawl",
    "digest",
    "schedule",
    "config",
    "review",
    "serve",
    "queue",
)
DEBUG_ENV = "NIANBAO_DEBUG"


class NianbaoGroup(click.Group):
    """The group: turns an unexpected exception into one Chinese line unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click reports these itself (a closed pipe, as from `| head`, quietly)
        except Exception as exc:
            if ctx.meta.get("nianbao.debug"):
                raise
            raise InternalError(exc) from exc


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta["nianbao.debug"] = bool(value)
    return value


@click.group(
    cls=NianbaoGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="nianbao")
@click.option(
    "--debug",
    is_flag=True,
    envvar=DEBUG_ENV,
    callback=_debug,
    expose_value=False,
    is_eager=True,
    help="出错时显示完整的 Python 错误信息（供维护人员排查；可写在任何位置）。",
)
def cli() -> None:
    """nianbao（年报）：抓取并检查政府信息公开工作年度报告。

    \b
    常用命令：
      nianbao sites import 监测名单.xlsx    导入或更新监测名单
      nianbao crawl                         抓取全部站点并检查年报
      nianbao recheck 郑县教育体育局         单位整改后重新抓取、检查
      nianbao findings --site 郑县教育体育局  查看问题
      nianbao digest                        生成本周周报
      nianbao config check --config nianbao.toml   检查配置文件

    \b
    示例：
      nianbao check report.pdf --published 2024-02-03
      nianbao crawl --sites sites.yaml
      nianbao digest --today 2025-02-10
    """


for _name in COMMAND_MODULES:
    _module = f"nianbao.cli.{_name}"
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module).register(cli)


chinese.localize(cli)


def main() -> None:
    # --debug may be written anywhere (after the subcommand too): it belongs to the group.
    args = sys.argv[1:]
    if "--debug" in args[: args.index("--") if "--" in args else len(args)]:
        args.remove("--debug")
        os.environ[DEBUG_ENV] = "1"
    cli.main(args=args, prog_name="nianbao")
