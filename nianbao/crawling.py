"""Start a crawl in a child process and wait for it (the parent side of ``crawler.run``).

The child inherits the terminal, so its progress lines reach the user as they
are printed; the parent reads back the summary the pipeline writes.

Every crawl gets a temporary folder under the data folder (``tmp/crawl-*``),
which is also the child's TMPDIR, so whatever the crawl and its readers write
there (converter scratch folders) goes with it. Parent and child share a lock
on it; the folder is removed when the crawl ends, and a folder whose lock
nobody holds any more (its crawl was killed) is removed when the next crawl
starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from nianbao.children import Child

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Extra Scrapy settings for every crawl, as a JSON object (tests and benchmarks shrink delays with it):
#   NIANBAO_CRAWL_SETTINGS='{"DOWNLOAD_DELAY": 0.2}' nianbao crawl
SETTINGS_ENV = "NIANBAO_CRAWL_SETTINGS"
# The parent's pid, so the child can stop when the parent dies without a chance to forward a signal.
PARENT_ENV = "NIANBAO_CRAWL_PARENT"
# The lock file of the crawl's temporary folder, shared with the child (``crawler.run``).
TMP_LOCK_ENV = "NIANBAO_CRAWL_TMP_LOCK"
TMP_FOLDER = "tmp"  # under the data folder
TMP_MIN_AGE = 5.0  # seconds: a folder younger than this may be a crawl still taking its lock
# Signals a crawl's parent passes on to the child's process group.
FORWARDED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


def env_settings() -> dict[str, Any]:
    raw = os.environ.get(SETTINGS_ENV, "").strip()
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{SETTINGS_ENV} must be a JSON object, got {raw!r}")
    return value


@dataclass
class CrawlResult:
    returncode: int
    batch: str | None = None
    sites: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""  # the child's output, when captured
    signal_received: int | None = None  # a signal the parent received (and forwarded) while the child ran

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def crawl_command(
    data_dir: str | Path | None,
    site_ids: list[str] | None = None,
    today: date | str | None = None,
    *,
    summary: str | Path | None = None,
    items: str | Path | None = None,
    settings: dict[str, Any] | None = None,
    all_years: bool = False,
    sites_file: str | Path | None = None,
) -> list[str]:
    # Absolute paths: the child runs with its working directory at the project root, not the caller's.
    cmd = [sys.executable, "-m", "crawler.run"]
    if data_dir is not None:
        cmd += ["--data", str(Path(data_dir).resolve())]
    if sites_file is not None:  # a crawl without the archive (a queue's worker): the sites come with the job
        cmd += ["--sites-json", str(Path(sites_file).resolve())]
    for site_id in site_ids or []:
        cmd += ["--site", site_id]
    if today:
        cmd += ["--today", today.isoformat() if isinstance(today, date) else str(today)]
    if all_years:
        cmd += ["--all-years"]
    if summary:
        cmd += ["--summary", str(Path(summary).resolve())]
    if items:
        cmd += ["--items", str(Path(items).resolve())]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return cmd


def run_crawl(
    data_dir: str | Path | None,
    site_ids: list[str] | None = None,
    today: date | str | None = None,
    *,
    settings: dict[str, Any] | None = None,
    items: str | Path | None = None,
    capture: bool = False,
    timeout: float | None = None,
    all_years: bool = False,
    sites_file: str | Path | None = None,
) -> CrawlResult:
    """Crawl in a fresh process; returns its exit status and the per-site summary.

    Without ``data_dir`` the child reads its sites from ``sites_file`` and hands its results on
    as its settings say (a queue's worker: ``nianbao.queue.jobs``).
    """
    settings = {**env_settings(), **(settings or {})}
    # A queue's worker has no data folder: its crawls' temporary folders go to the system's.
    with crawl_tmp(
        data_dir if data_dir is not None else Path(tempfile.gettempdir()) / "nianbao-worker"
    ) as tmp:
        summary_path = tmp / "summary.json"
        cmd = crawl_command(
            data_dir,
            site_ids,
            today,
            summary=summary_path,
            items=items,
            settings=settings,
            all_years=all_years,
            sites_file=sites_file,
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        env[PARENT_ENV] = str(os.getpid())
        env[TMP_LOCK_ENV] = str(tmp / ".lock")
        env["TMPDIR"] = str(tmp)
        returncode, output, received = _run_child(cmd, env, capture=capture, timeout=timeout)
        result = CrawlResult(returncode, signal_received=received)
        if summary_path.exists():
            data = json.loads(summary_path.read_text(encoding="utf-8"))
            result.batch = data.get("batch")
            result.sites = data.get("sites", [])
        if capture:
            result.output = (output or b"").decode("utf-8", "replace")
        return result


@contextlib.contextmanager
def crawl_tmp(data_dir: str | Path) -> Iterator[Path]:
    """A temporary folder for one crawl under ``data_dir/tmp``, locked while the crawl runs, removed after.

    Folders of crawls that were killed (their lock is free) are removed first.
    """
    import fcntl

    root = Path(data_dir).resolve() / TMP_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    sweep_tmp(root)
    folder = Path(tempfile.mkdtemp(prefix="crawl-", dir=root))
    lock = (folder / ".lock").open("a")
    fcntl.flock(lock, fcntl.LOCK_SH)
    try:
        yield folder
    finally:
        lock.close()
        shutil.rmtree(folder, ignore_errors=True)


def sweep_tmp(root: Path, min_age: float = TMP_MIN_AGE) -> list[Path]:
    """Remove the crawl folders under ``root`` that no process holds any more; returns those removed."""
    import fcntl

    removed = []
    for folder in sorted(root.glob("crawl-*")):
        lock_path = folder / ".lock"
        try:
            # The lock file is made at the crawl's start and never written: its age is the crawl's.
            made = (lock_path if lock_path.exists() else folder).stat().st_mtime
            if time.time() - made < min_age:
                continue  # just made: its crawl may not hold its lock yet
            with lock_path.open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody holds it: its crawl is gone
                shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except BlockingIOError:
            continue  # a crawl still running
        except OSError:
            continue
    return removed


def _run_child(
    cmd: list[str], env: dict[str, str], *, capture: bool, timeout: float | None
) -> tuple[int, bytes | None, int | None]:
    """Run the crawl child; SIGTERM/SIGINT/SIGHUP sent to this process reach its whole tree.

    A scheduler (or Ctrl-C) that stops ``nianbao crawl`` thereby stops the crawl too: Scrapy shuts down
    gracefully on the first signal (sites not finished are recorded as errors) and at once on a second.
    Returns the exit status, the captured output and the signal received, if any.
    """
    started: list[Child] = []
    received: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        if started:
            started[0].signal(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # signal handlers live in the main thread only
        for sig in FORWARDED:
            previous[sig] = signal.signal(sig, forward)
    try:
        child = Child(
            cmd,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )
        started.append(child)
        for signum in received:  # arrived while the child was being started
            child.signal(signum)
        try:
            output = child.communicate(timeout=timeout)
        except BaseException:
            if child.process.poll() is None:
                child.stop(grace=0)
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return child.process.returncode, output, (received[0] if received else None)
