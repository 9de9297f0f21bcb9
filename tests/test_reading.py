"""The reading worker's limits: wall time (the worker's alarm, then a kill), memory, crashes.

Every read here runs in a real worker process; the functions it runs are module-level so a
spawned worker can import them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest

import nianbao.reading as reading
from monitor.errors import OutOfMemory, ReadTimedOut
from monitor.model import CheckOptions
from nianbao.reading import IsolatedReader, ReaderCrashed, Reading, ReadLimits

OPTIONS = CheckOptions()
SEED = (Path(__file__).parent / "fixtures" / "seeds" / "001_898f82200a7ede38.txt").read_bytes()


def slow_python(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    """Python that never ends (a runaway reader loop): the worker's alarm stops it."""
    if data == b"slow":
        while True:
            time.sleep(0.01)
    return Reading(None, f"read {data.decode()}")


def stuck_native(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    """A read that no signal handler can stop (as native code that never returns): only a kill does."""
    if data == b"stuck":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return Reading(None, f"read {data.decode()} in {os.getpid()}")


def crash(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    if data == b"crash":
        os._exit(70)
    return Reading(None, f"read {data.decode()}")


@pytest.mark.slow
def test_a_runaway_read_stops_at_the_wall_time_limit() -> None:
    with IsolatedReader(read=slow_python, limits=ReadLimits(seconds=1, grace=20), start="fork") as reader:
        start = time.monotonic()
        result = reader.read_now(b"slow", "slow.pdf", OPTIONS, None)
        took = time.monotonic() - start
        assert isinstance(result.error, ReadTimedOut) and result.report is None
        assert result.problem == "读取超时（超过 1 秒），未读取"
        assert took < 10  # the alarm, not the kill 20 s later
        # The same warm worker reads the next file.
        assert reader.read_now(b"next", "next.txt", OPTIONS, None) == Reading(None, "read next")


@pytest.mark.slow
def test_a_read_stuck_in_native_code_is_killed_and_the_worker_replaced() -> None:
    with IsolatedReader(read=stuck_native, limits=ReadLimits(seconds=1, grace=1), start="fork") as reader:
        first = reader.read_now(b"before", "a.txt", OPTIONS, None).problem
        result = reader.read_now(b"stuck", "stuck.pdf", OPTIONS, None)
        assert isinstance(result.error, ReadTimedOut)
        after = reader.read_now(b"after", "b.txt", OPTIONS, None).problem
        assert first and after and first.split(" in ")[1] != after.split(" in ")[1]  # a new worker


def _hog(data: bytes, path: str, options: CheckOptions | None = None, content_type: str | None = None):
    return bytearray(data.count(b"x") << 30)  # gigabytes for a few bytes, as a decompression bomb


def test_a_read_past_the_memory_limit_is_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # A forked worker runs read_one around this module's read_report, which asks for 2 GB.
    monkeypatch.setattr(reading, "read_report", _hog)
    with IsolatedReader(limits=ReadLimits(memory=256 << 20), start="fork") as reader:
        result = reader.read_now(b"xx", "bomb.docx", OPTIONS, None)
        assert isinstance(result.error, OutOfMemory)
        assert result.problem == "读取所需内存超过上限，未读取"
        assert reader.last_growth < 512 << 20
        # a fresh worker reads on
        assert reader.read_now(b"", "small.txt", OPTIONS, None).error is None


def test_a_spawned_worker_reads_a_report_and_reports_its_peak_memory() -> None:
    with IsolatedReader() as reader:  # spawn, as in a crawl
        result = reader.read_now(SEED, "001.txt", OPTIONS, None)
        assert result.report is not None and result.report.year == 2023
        assert 10 << 20 < reader.last_peak < 400 << 20


def test_a_crash_is_retried_once_then_given_up() -> None:
    async def scenario() -> tuple[object, ...]:
        with IsolatedReader(read=crash, start="fork") as reader:
            results = await asyncio.gather(
                reader.read(b"crash", "bad.pdf", OPTIONS, None),
                reader.read(b"fine", "good.pdf", OPTIONS, None),
                return_exceptions=True,
            )
            return (*results, await reader.read(b"after", "later.pdf", OPTIONS, None))

    crashed, fine, after = asyncio.run(scenario())
    assert isinstance(crashed, ReaderCrashed)
    assert fine == Reading(None, "read fine") and after == Reading(None, "read after")


def test_reading_errors_cross_the_process_boundary_as_their_class() -> None:
    with IsolatedReader(start="fork") as reader:
        result = reader.read_now(b"%PDF-1.7\n" + b"x" * 100, "cut.pdf", OPTIONS, None)
    assert type(result.error).__name__ == "DamagedDocument"
    assert (
        result.error is not None
        and result.error.path == "cut.pdf"
        and str(result.error).startswith("cut.pdf: ")
    )


@pytest.mark.slow
def test_close_without_waiting_kills_a_running_read() -> None:
    """A crawl told to stop does not wait for a read still running (up to the wall-time limit)."""

    async def scenario() -> tuple[tuple[object, object], float]:
        reader = IsolatedReader(read=slow_python, limits=ReadLimits(seconds=30), start="fork")
        running = asyncio.ensure_future(reader.read(b"slow", "slow.pdf", OPTIONS, None))
        queued = asyncio.ensure_future(reader.read(b"next", "next.pdf", OPTIONS, None))
        await asyncio.sleep(1)
        start = time.monotonic()
        reader.close(wait=False)
        results = await asyncio.gather(running, queued, return_exceptions=True)
        return results, time.monotonic() - start

    (running, queued), took = asyncio.run(scenario())
    assert took < 5
    cancelled = (CancelledError, asyncio.CancelledError)
    assert isinstance(running, cancelled) and isinstance(queued, cancelled)


def raising(data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
    if data == b"raise":
        raise OverflowError("cannot convert float infinity to integer")
    return Reading(None, f"read {data.decode()} in {os.getpid()}")


def test_an_exception_of_the_read_function_reaches_the_caller_and_the_worker_lives_on() -> None:
    with IsolatedReader(read=raising, start="fork") as reader:
        before = reader.read_now(b"a", "a.txt", OPTIONS, None).problem
        with pytest.raises(OverflowError, match="float infinity"):
            reader.read_now(b"raise", "b.txt", OPTIONS, None)
        after = reader.read_now(b"c", "c.txt", OPTIONS, None).problem
    assert before and after and before.split(" in ")[1] == after.split(" in ")[1]
