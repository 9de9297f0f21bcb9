"""How commands fail: one Chinese line naming the file or site, exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.errors import NianbaoError

if TYPE_CHECKING:
    from storage.archive import Archive


class Failure(click.ClickException):
    """A one-line Chinese error naming the file or site; exit status 2 (as for an unreadable input)."""

    exit_code = 2


def open_archive(data_dir: str) -> Archive:
    """Open the archive in ``data_dir``, turning every way that fails into a Failure."""
    from storage.archive import Archive

    try:
        return Archive.open(data_dir)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    except Exception as exc:  # sqlite3 errors: not a database, locked, read-only
        raise Failure(f"{Path(data_dir) / 'nianbao.db'}: 无法打开数据库（{exc}）") from exc
