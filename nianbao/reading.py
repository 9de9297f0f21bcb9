"""Reading a report's bytes: in a worker process under limits, or in this process (tests).

Every document nianbao reads -- crawled, ingested, re-parsed or given to ``check`` -- is read by a
worker process of an ``IsolatedReader``, never by the process that asked:

- **wall time**: the worker stops a read after ``ReadLimits.seconds`` (an alarm in the worker), and
  the asking process kills a worker that has not answered ``grace`` seconds later (native code that
  never returns to Python);
- **memory**: the worker's address space is capped (``resource.setrlimit(RLIMIT_AS)``) at its size
  when it started plus ``ReadLimits.memory``; a read that needs more fails with OutOfMemory and the
  worker is replaced;
- the readers' own limits (pages, lines, cells, spans, decompressed size: ``monitor.readers.limits``)
  apply inside it.

A worker reads one document at a time and stays warm for the next. A file that kills the worker
(native PDF code can crash on a hostile file) is tried once more in a fresh worker, and a file that
crashes that one too raises ``ReaderCrashed`` (the intake records CRAWL.DOCUMENT_FAILED for it).

Workers start by ``spawn`` in the crawl (a process running a reactor and threads must not fork) and
by ``fork`` on the command line (``check``, ``ingest``, ``reparse``: one thread, and a forked worker
starts in ~10 ms where a spawned one needs ~0.6 s to import the readers).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import pickle
import queue
import resource
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, Protocol

from monitor.check import read_report
from monitor.errors import (
    DamagedDocument,
    NianbaoError,
    OutOfMemory,
    ReaderFailed,
    ReadTimedOut,
    UnreadableInput,
)
from monitor.model import CheckOptions, Report
from monitor.readers import read_bytes


@dataclass(frozen=True)
class Reading:
    """What reading one document gave: the report, or why there is none (``error`` says it as a class)."""

    report: Report | None
    problem: str | None = None
    error: UnreadableInput | None = None


class ReaderCrashed(NianbaoError):
    """Reading this document killed the worker process, twice."""

    def __init__(self, path: str) -> None:
        super().__init__(f"读取该文件时读取进程崩溃（{path}）")
        self.path = path


def refused(error: UnreadableInput) -> Reading:
    return Reading(None, error.problem, error)


def read_one(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    """The report in ``data``, or why it could not be read (never raises: it crosses processes)."""
    try:
        return Reading(read_report(data, path, options, content_type))
    except UnreadableInput as exc:
        return refused(exc)
    except MemoryError:
        return refused(OutOfMemory(path, "读取所需内存超过上限，未读取"))
    except RecursionError:
        return refused(DamagedDocument(path, "文件结构嵌套过深，无法解析"))
    except Exception as exc:  # a reader bug on one odd file must not stop the others
        return refused(ReaderFailed(path, f"读取时出错（{type(exc).__name__}: {exc}）"))


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
    """Reads in this process, on the caller's thread, without time or memory limits (tests)."""

    def __init__(self, read: ReadFn = read_one) -> None:
        self._read = read

    async def read(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        return self._read(data, path, options, content_type)

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        return self._read(data, path, options, content_type)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class ReadLimits:
    """Time and memory one document's reading may take (docs/reading.md, "Limits")."""

    seconds: float = 45.0  # wall time; then the read stops with ReadTimedOut
    memory: int = 1 << 30  # bytes a read may add to the worker's address space; past it OutOfMemory
    grace: float = 10.0  # seconds after ``seconds`` before a worker that has not stopped is killed

    def timed_out(self, path: str) -> ReadTimedOut:
        return ReadTimedOut(path, f"读取超时（超过 {self.seconds:g} 秒），未读取")


StartMethod = Literal["spawn", "fork", "forkserver"]


# ---------------------------------------------------------------- the worker process


class _TimeUp(BaseException):
    """Raised in the worker by its alarm: a BaseException, so no reader's ``except Exception`` takes it."""


_armed = False


def _alarm(signum: int, frame: Any) -> None:
    if _armed:
        raise _TimeUp


def _die_with_parent() -> None:
    """On Linux, the worker is killed when the process that started it dies (even by SIGKILL)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _reset_peak() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM, the peak resident size, so each read reports its own


def _status(field: str) -> int | None:
    """A size from /proc/self/status in bytes (VmHWM: peak resident; VmSize: address space), if known."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _peak_bytes() -> int:
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _trim() -> None:
    """Give the memory a large read left in the heap back to the system (glibc keeps it otherwise)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)


def _limit_memory(memory: int) -> None:
    """Cap the worker's address space at what it has now plus ``memory`` (set before each read): a
    forked worker starts with its parent's, and a read is charged only for what it adds."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = (_status("VmSize") or 0) + memory
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


# A worker that holds this much more memory than when it started, after a read and a trim, is
# replaced: what a hostile file left behind (fragments, caches) is not carried to the next one.
_RETIRE_GROWTH = 256 << 20


def _answer(read: ReadFn, request: tuple[Any, ...], limits: ReadLimits) -> Reading | Exception:
    """The reading, or the exception a read function raised (``read_one`` never does): it is raised
    again in the asking process, as an executor would, and the worker lives on."""
    global _armed
    try:
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, limits.seconds)
        try:
            return read(*request)
        finally:
            _armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp:
        return refused(limits.timed_out(request[1]))
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:
            return RuntimeError(f"{type(exc).__name__}: {exc}")
        return exc


def _serve(conn: Connection, read: ReadFn, limits: ReadLimits) -> None:
    """The worker's loop: read each document sent; answer (reading, peak resident bytes, how much of
    that the read added, whether this worker now retires)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the asking process's to handle
    signal.signal(signal.SIGALRM, _alarm)
    # The PDF libraries warn about every malformed object they skip: the reading says what could not
    # be read, and a warning on the terminal would break `check`'s one line per file.
    warnings.simplefilter("ignore")
    born = _status("VmRSS") or 0
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, MemoryError):  # MemoryError: the document does not fit (asker retries)
            return
        if request is None:  # asked to stop
            return
        _limit_memory(limits.memory)
        _reset_peak()
        start = _status("VmRSS") or 0
        reading = _answer(read, request, limits)
        del request
        peak = _peak_bytes()
        _trim()
        out_of_memory = isinstance(reading, Reading) and isinstance(reading.error, OutOfMemory)
        retire = out_of_memory or (_status("VmRSS") or 0) - born > _RETIRE_GROWTH
        conn.send((reading, peak, peak - start, retire))
        if retire:
            return  # a fresh worker reads the next document


class _Died(Exception):
    pass


class _Worker:
    def __init__(self, context: Any, read: ReadFn, limits: ReadLimits) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, read, limits), name="nianbao-read", daemon=True
        )
        self.process.start()
        child.close()

    def ask(self, request: tuple[Any, ...], wait: float) -> tuple[Reading | Exception, int, int, bool] | None:
        """The worker's answer; None when it gave none within ``wait`` seconds; _Died when it died."""
        try:
            self.conn.send(request)
            if not self.conn.poll(wait):
                return None
            answer: tuple[Reading | Exception, int, int, bool] = self.conn.recv()
            return answer
        except (EOFError, OSError) as exc:  # BrokenPipeError, ConnectionResetError included
            raise _Died from exc

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            # Asked, not left to see the end of its input: a forked worker's siblings hold its pipe too.
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.conn.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class IsolatedReader:
    """Reads in ``workers`` worker processes under ``limits`` (0: one background thread of this
    process, without time or memory limits: for tests that need no process)."""

    def __init__(
        self,
        workers: int = 1,
        read: ReadFn = read_one,
        *,
        limits: ReadLimits | None = None,
        start: StartMethod = "spawn",
    ) -> None:
        self.workers = workers
        self.limits = limits or ReadLimits()
        self._read = read  # with spawn, a module-level function (pickled to the worker)
        self._context = multiprocessing.get_context(start)
        # Idle workers; None stands for one not started yet (started on first use).
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(max(workers, 1)):
            self._idle.put(None)
        self._started: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        # The threads that wait for the workers: as many as workers, so other reads queue here
        # rather than in (and starving) the event loop's default executor.
        self._threads = ThreadPoolExecutor(max(workers, 1), thread_name_prefix="nianbao-read")
        # Resident bytes of the last read's worker: its peak during that read, and how far that is above
        # what it held when the read began (a forked worker starts with its parent's pages).
        self.last_peak = 0
        self.last_growth = 0
        self.peak = 0  # the largest last_peak so far

    async def read(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        """The report in ``data`` (or why not); raises ``ReaderCrashed`` when the file kills the worker twice."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self.read_now, data, path, options, content_type)

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        """``read`` from synchronous code: waits for a worker, then for its answer."""
        if self.workers <= 0:
            return self._read(data, path, options, content_type)
        request = (data, path, options, content_type)
        worker = self._idle.get()
        try:
            for attempt in (1, 2):
                if self._closed:
                    raise CancelledError(f"reader closed while {path} waited to be read")
                if worker is None:
                    worker = self._start()
                try:
                    answer = worker.ask(request, self.limits.seconds + self.limits.grace)
                except _Died:
                    if self._closed:  # killed by close(wait=False), not by the document
                        raise CancelledError(f"reader closed while {path} was read") from None
                    # The worker died on this document: once more in a fresh one, then give up on it.
                    self._stop(worker, kill=True)
                    worker = None
                    if attempt == 2:
                        raise ReaderCrashed(path) from None
                    continue
                if answer is None:  # stuck in native code past the limit: killed
                    self._stop(worker, kill=True)
                    worker = None
                    return refused(self.limits.timed_out(path))
                reading, self.last_peak, self.last_growth, retired = answer
                self.peak = max(self.peak, self.last_peak)
                if retired:  # it exits by itself after an OutOfMemory, or holding too much
                    self._stop(worker)
                    worker = None
                if isinstance(reading, Exception):
                    raise reading
                return reading
            raise AssertionError("unreachable")
        finally:
            self._idle.put(worker)

    def start(self) -> IsolatedReader:
        """Start the workers now rather than on first use (before the caller opens files or databases
        that a forked worker would otherwise inherit)."""
        if self.workers > 0:
            idle = [self._idle.get() for _ in range(max(self.workers, 1))]
            for worker in idle:
                self._idle.put(worker or self._start())
        return self

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._read, self.limits)
        with self._lock:
            self._started.add(worker)
        return worker

    def _stop(self, worker: _Worker, kill: bool = False) -> None:
        with self._lock:
            self._started.discard(worker)
        worker.stop(kill=kill)

    def close(self, wait: bool = True) -> None:
        """Stop the workers. ``wait=False`` (a crawl told to stop): reads still running are not waited
        for, their workers are killed, and they and the reads still queued end with CancelledError."""
        self._closed = not wait or self._closed
        if not wait:
            self._threads.shutdown(wait=False, cancel_futures=True)
            with self._lock:
                busy = list(self._started)
            for worker in busy:
                worker.process.kill()
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._closed = True
        with self._lock:
            workers = list(self._started)
            self._started.clear()
        for worker in workers:
            worker.stop()

    def read_file(self, path: str, options: CheckOptions) -> Report:
        """The report in the file at ``path`` (``check``): raises UnreadableInput naming it when there is none."""
        data = read_bytes(path)  # a regular file of at most MAX_INPUT_BYTES, opened here
        try:
            reading = self.read_now(data, path, options, None)
        except ReaderCrashed:
            raise ReaderFailed(
                path, "读取该文件时读取进程崩溃（文件可能已损坏或被恶意构造），未读取"
            ) from None
        if reading.report is not None:
            return reading.report
        raise reading.error or UnreadableInput(path, reading.problem or "无法读取")

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
