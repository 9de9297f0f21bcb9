"""The crawl lock: two crawls of one archive never run at once.

An exclusive ``flock`` on ``<data>/.crawl.lock``. Each acquisition opens the
file anew, so the lock excludes other threads of this process as well as
other processes (a second ``nianbao schedule``, a script), and the kernel
releases it if the holder dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockBusy(Exception):
    """The lock is held by another crawl."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path}: 另一个抓取正在进行（{holder or '未知进程'}）")
        self.path = path
        self.holder = holder


@contextmanager
def crawl_lock(path: str | Path, *, wait: float = 0.0, poll: float = 1.0, holder: str = "") -> Iterator[None]:
    """Hold the lock for the ``with`` block; wait up to ``wait`` seconds for it, else raise LockBusy."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(target, _read(fd)) from None
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.01)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} pid={os.getpid()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode(errors="replace").strip()
    except OSError:
        return ""
