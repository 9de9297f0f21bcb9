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
        help="Folder holding nianbao.db and the document store.",
    )(func)


class DateParam(click.ParamType):  # type: ignore[type-arg]  # generic only in click 8.2+
    """A YYYY-MM-DD date."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


DATE = DateParam()


def today_option(func: F) -> F:
    """--today YYYY-MM-DD: the date deadlines are judged against (default: the real today)."""
    return click.option(
        "--today", type=DATE, default=None, help="Judge deadlines as of this date (default: today)."
    )(func)
