"""How commands fail: one Chinese line naming the file or site, exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from monitor.errors import NianbaoError

if TYPE_CHECKING:
    from storage.archive import Archive


class Failure(click.ClickException):
    """A one-line Chinese error naming the file or site; exit status 2 (as for an unreadable input)."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"nianbao: 错误：{self.format_message()}", err=True, file=file)


class Stopped(Failure):
    """The command was stopped by a signal: exit status 128 + the signal's number, as shells report it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


def open_archive(data_dir: str, *, create: bool = True) -> Archive:
    """Open the archive in ``data_dir``, turning every way that fails into a Failure.

    ``create=False``: a folder without ``nianbao.db`` is an error (read-only commands).
    """
    from storage.archive import Archive

    try:
        return Archive.open(data_dir, create=create)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    except Exception as exc:  # sqlite3 errors: not a database, locked, read-only
        raise Failure(f"{Path(data_dir) / 'nianbao.db'}: 无法打开数据库（{exc}）") from exc
