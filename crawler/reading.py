"""Reading reports off the crawl's event loop: a worker process (or one thread) runs the monitor's readers.

Reading a report (PDF text, DOCX, HTML tables) is CPU work of a few to a few
hundred milliseconds; done on the reactor thread it would stall every other
site's requests. A separate process uses another core; a single worker keeps
the PDF library (pypdfium2, not thread-safe) to one reader at a time. With
``workers=0`` reports are read in one background thread of this process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

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


class ReportReader:
    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.pool: Executor = self._pool()

    def _pool(self) -> Executor:
        if self.workers > 0:
            # spawn: forking a process that runs a reactor and threads is not safe.
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(1, thread_name_prefix="nianbao-read")

    async def read(
        self, data: bytes, path: str, options: CheckOptions, content_type: str | None
    ) -> tuple[Report | None, str | None]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.pool, read_one, data, path, options, content_type)
        except BrokenProcessPool:
            # The worker died (a reader crashed on some file): carry on in a thread.
            self.workers = 0
            self.pool = self._pool()
            return await loop.run_in_executor(self.pool, read_one, data, path, options, content_type)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
