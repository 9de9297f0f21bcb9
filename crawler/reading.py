"""Reading reports off the crawl's event loop: a worker process (or one thread) runs the monitor's readers.

Reading a report (PDF text, DOCX, HTML tables) is CPU work of a few to a few
hundred milliseconds; done on the reactor thread it would stall every other
site's requests. A separate process uses another core; a single worker keeps
the PDF library (pypdfium2, not thread-safe) to one reader at a time. With
``workers=0`` reports are read in one background thread of this process.

A file that kills the worker (native PDF code can crash on a hostile file) is
never read again in this process: the worker is restarted, every read the
crash interrupted is tried once more on its own in a fresh single-use worker,
and a file that crashes that one too raises ``ReaderCrashed`` (the pipeline
records CRAWL.DOCUMENT_FAILED for it).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.check import CheckOptions
    from monitor.model import Report


def read_one(
    data: bytes, path: str, options: CheckOptions, content_type: str | None
) -> tuple[Report | None, str | None]:
    """The report in ``data``, or None and why it could not be read (never raises: it crosses processes)."""
    from monitor.check import read_report
    from monitor.errors import UnreadableInput

    try:
        return read_report(data, path, options, content_type), None
    except UnreadableInput as exc:
        return None, exc.problem
    except Exception as exc:  # a reader bug on one odd file must not stop the crawl
        return None, f"读取时出错（{type(exc).__name__}: {exc}）"


class ReaderCrashed(Exception):
    """Reading this document killed the worker process, twice."""


Reader = Callable[..., "tuple[Report | None, str | None]"]


class ReportReader:
    def __init__(self, workers: int = 1, reader: Reader = read_one) -> None:
        self.workers = workers
        self.reader: Any = (
            reader  # a module-level function (it is pickled to the worker); tests pass a crashing one
        )
        self.pool: Executor = self._pool()
        self._isolated = asyncio.Lock() if workers > 0 else None

    def _pool(self) -> Executor:
        if self.workers > 0:
            # spawn: forking a process that runs a reactor and threads is not safe.
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(1, thread_name_prefix="nianbao-read")

    async def read(
        self, data: bytes, path: str, options: CheckOptions, content_type: str | None
    ) -> tuple[Report | None, str | None]:
        """The report in ``data`` (or None and why not); raises ``ReaderCrashed`` when the file kills the worker."""
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            return await loop.run_in_executor(pool, self.reader, data, path, options, content_type)
        except BrokenProcessPool:
            # The worker died: this file or another one queued with it crashed the reader. Never read in this
            # process (the crash would take the whole crawl down): restart the worker, and try this file once
            # more alone in a fresh single-use process, so only the file that crashes it again is given up.
            if self.pool is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._pool()
        assert self._isolated is not None
        async with self._isolated:
            single = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            try:
                return await loop.run_in_executor(single, self.reader, data, path, options, content_type)
            except BrokenProcessPool as exc:
                raise ReaderCrashed(f"读取该文件时读取进程崩溃（{path}）") from exc
            finally:
                single.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
