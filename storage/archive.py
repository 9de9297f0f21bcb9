"""The archive: the database and the document store of one data folder.

``Archive.open(data_dir)`` is the entry point every caller starts from (the
command line, the crawler's pipeline, the digest); it owns the connection,
the blob store and the clock every timestamp comes from.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import TracebackType

from sqlite_utils import Database

from storage.blobs import BlobStore
from storage.clock import Clock, iso, system_clock
from storage.db import connect, connect_memory
from storage.errors import ArchiveNotFound

DB_NAME = "nianbao.db"
BLOBS_DIR = "blobs"
OPEN_LOCK = "nianbao.db.open-lock"


@contextlib.contextmanager
def _opening(root: Path) -> Iterator[None]:
    """An exclusive lock on the data folder while a process creates, migrates and opens the database."""
    with open(root / OPEN_LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Archive:
    """One data folder: ``nianbao.db`` plus ``blobs/``."""

    def __init__(self, db: Database, blobs: BlobStore, clock: Clock = system_clock) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock

    @classmethod
    def open(
        cls, data_dir: str | Path, *, clock: Clock | None = None, durable: bool = True, create: bool = True
    ) -> Archive:
        """Open the archive in ``data_dir``, migrating it as needed.

        ``create=False`` (read-only and maintenance commands) raises
        ``ArchiveNotFound`` naming the missing ``nianbao.db`` instead of creating
        an empty archive, so a mistyped --data is an error, not "no findings".
        """
        root = Path(data_dir)
        if not create and not (root / DB_NAME).is_file():
            raise ArchiveNotFound(str(root / DB_NAME))
        root.mkdir(parents=True, exist_ok=True)
        # Creating or migrating is done by one process at a time; others starting at the same moment
        # wait here and then find the schema in place.
        with _opening(root):
            db = connect(root / DB_NAME)
        return cls(db, BlobStore(root / BLOBS_DIR, durable=durable), clock or system_clock)

    @classmethod
    def in_memory(cls, blobs_dir: str | Path, *, clock: Clock | None = None) -> Archive:
        """A throwaway archive (tests): database in memory, blobs in ``blobs_dir``."""
        return cls(connect_memory(), BlobStore(blobs_dir, durable=False), clock or system_clock)

    def now(self) -> str:
        """The current time as the ISO string every table stores."""
        return iso(self.clock())

    def today(self) -> date:
        return self.clock().date()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
