"""How commands fail: one Chinese line naming the file or site, exit status 2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from monitor.errors import NianbaoError

if TYPE_CHECKING:
    from storage.archive import Archive


# What would break a one-line message: line breaks (also those str.splitlines() knows) and control characters.
_BREAKING = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def printable(path: str) -> str:
    """A file name as text: bytes that are not UTF-8 (held as surrogates since the command line) as \\xNN."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte stands for
        return path.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def one_line(path: str) -> str:
    """A file name as it appears in a one-line message: printable, and a newline in it written \\n."""
    return _BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), printable(path))


class Failure(click.ClickException):
    """A one-line Chinese error naming the file or site; exit status 2 (as for an unreadable input)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"nianbao: 错误：{self.format_message()}", err=True, file=file)


class InternalError(Failure):
    """An exception nianbao did not expect: one Chinese line; ``--debug`` shows the traceback instead."""

    exit_code = 1

    def __init__(self, exc: BaseException) -> None:
        super().__init__(
            f"内部错误（{type(exc).__name__}: {exc}）。这是 nianbao 的问题，不是输入有误；"
            "加 --debug 重新运行可看到详细信息，请将其提供给维护人员"
        )


class Stopped(Failure):
    """The command was stopped by a signal: exit status 128 + the signal's number, as shells report it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message, exit_code)


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
