"""Supervising a child process and everything it starts: the one way nianbao runs a crawl beside itself.

A crawl runs in a child process (Twisted's reactor cannot be restarted) that
starts processes of its own (the report readers). The child gets a session of
its own, so a signal to its process group reaches the whole crawl; descendants
that moved to another group are found through /proc. Stopping is SIGTERM to
the whole tree (Scrapy shuts down gracefully and records unfinished sites as
errors), then SIGKILL to whatever is left after a grace period.

Used by ``nianbao crawl``/``recheck`` (``nianbao.crawling``, which also passes
on the signals the command receives) and by the scheduler (timeouts, stop).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


class Child:
    """A started child process in a session of its own."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
    ) -> None:
        self.process = subprocess.Popen(
            list(command),
            env=env,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, signum: int) -> None:
        """Signal the child's process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def communicate(self, timeout: float | None = None) -> bytes | None:
        """Wait for the child (reading its piped output); on ``TimeoutExpired`` it is stopped first."""
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(grace=0)
            raise
        return output

    def wait(self, timeout: float | None = None, *, grace: float = 30.0) -> int:
        """The exit status; on ``TimeoutExpired`` the whole tree is stopped (``grace`` s for SIGTERM) first."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(grace)
            raise

    def stop(self, grace: float = 30.0, deadline: float | None = None) -> None:
        """SIGTERM the group and every descendant, SIGKILL what is left after ``grace`` s, reap the child."""
        tree = _descendants(self.process.pid)  # before any of them dies: orphans cannot be traced back
        _signal_all(self.process.pid, tree, signal.SIGTERM)
        _wait_gone(self.process.pid, tree, grace if deadline is None else deadline - time.monotonic())
        _signal_all(self.process.pid, tree, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def wait_gone(self, seconds: float) -> None:
        """Wait until nothing of the child's group is left running (or ``seconds`` pass)."""
        _wait_gone(self.process.pid, {}, seconds)

    def kill_group(self) -> None:
        """Whatever is left in the child's group must not go on (e.g. writing without the crawl lock)."""
        self.signal(signal.SIGKILL)


def tail(file: IO[bytes], size: int = 16384) -> bytes:
    """The last ``size`` bytes of a file the child wrote to."""
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - size))
    return file.read()


def _signal_all(pgid: int, tree: dict[int, bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
    for pid, started in tree.items():
        if _stat(pid)[3:4] == [started]:  # still the same process, not a reused pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)


def _stat(pid: int | str) -> list[bytes]:
    """/proc/PID/stat after "(comm)": state, ppid, pgrp, … with the start time moved to index 3 (empty: gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []
    return [*fields[:3], fields[19]] if len(fields) > 19 else []


def _processes() -> dict[int, list[bytes]]:
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    return {int(e): fields for e in entries if e.isdigit() and (fields := _stat(e))}


def _descendants(pid: int) -> dict[int, bytes]:
    """Every descendant of ``pid`` (pid: start time), wherever its process group."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for child, fields in processes.items():
        children.setdefault(int(fields[1]), []).append(child)
    found: dict[int, bytes] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if child not in found:
            found[child] = processes[child][3]
            todo += children.get(child, [])
    return found


def _alive(pgid: int, tree: dict[int, bytes]) -> bool:
    """Is anything of the tree still running (zombies, which init may never reap here, do not count)?"""
    processes = _processes()
    if not processes:  # no /proc: ask the kernel about the group only
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for pid, fields in processes.items():
        if fields[0] in (b"Z", b"X"):
            continue
        if int(fields[2]) == pgid or tree.get(pid) == fields[3]:
            return True
    return False


def _wait_gone(pgid: int, tree: dict[int, bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _alive(pgid, tree) and time.monotonic() < deadline:
        time.sleep(0.1)
