"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def data_option(func: F) -> F:
    """--data DIR: the folder holding nianbao.db and the document store."""
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False),
        default="data",
        show_default=True,
        envvar="NIANBAO_DATA",
        metavar="目录",
        help="数据目录：存放 nianbao.db 和原文件。",
    )(func)


class DateParam(click.ParamType):  # type: ignore[type-arg]  # generic only in click 8.2+
    """A YYYY-MM-DD date."""

    name = "日期"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} 不是 年-月-日 形式的日期（如 2025-02-10）", param, ctx)


DATE = DateParam()


def today_option(func: F) -> F:
    """--today YYYY-MM-DD: the date deadlines are judged against (default: the real today)."""
    return click.option(
        "--today",
        type=DATE,
        default=None,
        metavar="日期",
        help="按这一天判断是否逾期（年-月-日，默认今天）。",
    )(func)
