"""Reading a report's bytes for the intake: in this process, or in a worker process that a crash cannot take down.

Reading a report (PDF text, DOCX, HTML tables) is CPU work of a few to a few
hundred milliseconds; a crawl does it off its event loop, in a worker
process, so it uses another core and never stalls other sites' requests. A
single worker keeps the PDF library (pypdfium2, not thread-safe) to one
reader at a time.

A file that kills the worker (native PDF code can crash on a hostile file) is
never read again in the crawl's own process: the worker is restarted, every
read the crash interrupted is tried once more on its own in a fresh
single-use worker, and a file that crashes that one too raises
``ReaderCrashed`` (the intake records CRAWL.DOCUMENT_FAILED for it).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol

from monitor.check import read_report
from monitor.errors import NianbaoError, UnreadableInput
from monitor.model import CheckOptions, Report


@dataclass(frozen=True)
class Reading:
    """What reading one document gave: the report, or why there is none."""

    report: Report | None
    problem: str | None = None


class ReaderCrashed(NianbaoError):
    """Reading this document killed the worker process, twice."""

    def __init__(self, path: str) -> None:
        super().__init__(f"读取该文件时读取进程崩溃（{path}）")
        self.path = path


def read_one(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    """The report in ``data``, or why it could not be read (never raises: it crosses processes)."""
    try:
        return Reading(read_report(data, path, options, content_type))
    except UnreadableInput as exc:
        return Reading(None, exc.problem)
    except Exception as exc:  # a reader bug on one odd file must not stop the others
        return Reading(None, f"读取时出错（{type(exc).__name__}: {exc}）")


ReadFn = Callable[[bytes, str, CheckOptions, "str | None"], Reading]


class Reader(Protocol):
    """How the intake reads a document: ``await reader.read(...)`` on an event loop, ``read_now`` off one."""

    async def read(
        self, data: bytes, path: str, options: CheckOptions, content_type: str | None
    ) -> Reading: ...

    def read_now(
        self, data: bytes, path: str, options: CheckOptions, content_type: str | None
    ) -> Reading: ...

    def close(self) -> None: ...


class InlineReader:
    """Reads in this process, on the caller's thread (one file at a time: ``ingest``, ``reparse``, tests)."""

    def __init__(self, read: ReadFn = read_one) -> None:
        self._read = read

    async def read(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        return self._read(data, path, options, content_type)

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        return self._read(data, path, options, content_type)

    def close(self) -> None:
        pass


class IsolatedReader:
    """Reads in ``workers`` worker processes (0: one background thread of this process)."""

    def __init__(self, workers: int = 1, read: ReadFn = read_one) -> None:
        self.workers = workers
        self._read = read  # a module-level function (it is pickled to the worker); tests pass a crashing one
        self.pool: Executor = self._pool()
        self._isolated = asyncio.Lock() if workers > 0 else None

    def _pool(self) -> Executor:
        if self.workers > 0:
            # spawn: forking a process that runs a reactor and threads is not safe.
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(1, thread_name_prefix="nianbao-read")

    async def read(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        """The report in ``data`` (or why not); raises ``ReaderCrashed`` when the file kills the worker."""
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            return await loop.run_in_executor(pool, self._read, data, path, options, content_type)
        except BrokenProcessPool:
            # The worker died: this file or another one queued with it crashed the reader. Restart the
            # worker, and try this file once more alone in a fresh single-use process, so only the
            # file that crashes it again is given up.
            if self.pool is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._pool()
        assert self._isolated is not None
        async with self._isolated:
            single = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            try:
                return await loop.run_in_executor(single, self._read, data, path, options, content_type)
            except BrokenProcessPool as exc:
                raise ReaderCrashed(path) from exc
            finally:
                single.shutdown(wait=False, cancel_futures=True)

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        """``read`` from synchronous code: waits for the worker."""
        try:
            return self.pool.submit(self._read, data, path, options, content_type).result()
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool()
        single = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        try:
            return single.submit(self._read, data, path, options, content_type).result()
        except BrokenProcessPool as exc:
            raise ReaderCrashed(path) from exc
        finally:
            single.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
