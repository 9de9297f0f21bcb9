"""Opening the database: pragmas, migrations, and the write transaction.

WAL lets the digest and ``nianbao findings`` read while a crawl writes;
``synchronous=NORMAL`` in WAL mode loses nothing when a process is killed
(only on power loss, and then only the last transactions, never consistency).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 30_000


def connect(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (and create or migrate) the archive database at ``path``."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if migrate:
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        from storage.migrations import migrate as apply_migrations

        apply_migrations(db)
    return db


def connect_memory() -> Database:
    """An in-memory archive database (tests)."""
    from storage.migrations import migrate as apply_migrations

    db = Database(memory=True)
    db.execute("PRAGMA foreign_keys = ON")
    apply_migrations(db)
    return db


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """``db.atomic()``, but taking the write lock up front (BEGIN IMMEDIATE).

    With a deferred BEGIN, two processes that both read before writing (every
    reconciliation does) can deadlock into SQLITE_BUSY that no timeout cures;
    IMMEDIATE makes the second writer wait its turn instead. Nested calls
    become savepoints, exactly as in ``db.atomic()``.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
