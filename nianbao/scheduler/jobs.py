"""What the scheduler runs: the weekly crawl, the daily deadline-season crawl, the weekly digest.

Each job is a method of ``Jobs``; how a crawl or a digest is actually done is
injected (``crawl=``, ``digest=``), so tests drive the schedule with fakes.
By default a crawl is a child process (``python -m nianbao crawl``: Twisted's
reactor cannot restart in one process) and the digest runs in-process.

Every run ends in the journal (ok, failed, skipped, interrupted); an
exception is logged and recorded, never raised into the scheduler.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from nianbao.children import Child, tail
from nianbao.scheduler.config import ScheduleConfig
from nianbao.scheduler.journal import Journal, Outcome
from nianbao.scheduler.lock import LockBusy, crawl_lock
from storage.sites import Site

log = logging.getLogger("nianbao.schedule")

CrawlRunner = Callable[[list[str] | None], None]  # crawl these site ids (None: every site); raise on failure
# Write the digest of the ISO week containing this day, as of the end of the day; return the files.
# The scheduler passes the Sunday of the week that just ended (``last_complete_week``).
DigestRunner = Callable[[date], list[Path]]
Clock = Callable[[], datetime]

WEEKLY, DAILY, DIGEST = "weekly_crawl", "daily_crawl", "digest"


class JobFailed(Exception):
    """A job's work failed; the message says how, in Chinese."""


class Jobs:
    def __init__(
        self,
        config: ScheduleConfig,
        *,
        crawl: CrawlRunner | None = None,
        digest: DigestRunner | None = None,
        clock: Clock | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.config = config
        self.children = ChildCrawl(config)
        self.crawl_runner = crawl or self.children
        self.digest_runner = digest or self._write_digest
        self.clock = clock or (lambda: datetime.now(config.zone))
        self.journal = journal or Journal(config.journal)
        self.stopping = threading.Event()

    # -- the jobs ------------------------------------------------------------------------------

    def weekly_crawl(self) -> Outcome:
        """Crawl every enabled site of the registry, after loading the sites file into it."""
        return self._run(WEEKLY, lambda: self._crawl(None, "全部网站"))

    def daily_crawl(self) -> Outcome | None:
        """In deadline season, crawl the sites whose report for last year has not been found yet."""
        today = self.clock().date()
        if not self.config.in_season(today):
            log.debug("daily crawl: %s is outside the deadline season %s", today, self.config.season)
            return None

        def work() -> str:
            year = today.year - 1
            # Under the crawl lock: the sites file is loaded into the registry here as the crawl does.
            with crawl_lock(self.config.lock_file, holder="daily crawl"):
                missing = sites_missing_report(self.config, year)
                if not missing:
                    raise _Skip(f"所有网站的 {year} 年度报告均已找到")
                what = f"{len(missing)} 个尚未发布 {year} 年度报告的网站"
                self.crawl_runner([s.id for s in missing])
            return f"已抓取{what}"

        return self._run(DAILY, work)

    def digest(self) -> Outcome:
        """Write (and mail) the digest of the week that just ended, after any crawl still running has finished.

        Run on Monday, it covers the previous ISO week, Monday to Sunday, as of
        the end of that Sunday: everything fixed or found on any of its days.
        """
        from nianbao.digest.weeks import last_complete_week

        def work() -> str:
            note = ""
            try:
                with crawl_lock(self.config.lock_file, wait=self.config.digest_wait_seconds, holder=DIGEST):
                    pass
            except LockBusy:
                note = "（抓取仍在进行，周报基于已有数据）"
            files = self.digest_runner(last_complete_week(self.clock().date()).sunday)
            return "、".join(str(f) for f in files) + note

        return self._run(DIGEST, work)

    def stop(self) -> None:
        """Ctrl-C / SIGTERM: stop running children; their jobs are recorded as interrupted."""
        self.stopping.set()
        self.children.terminate()

    # -- plumbing ------------------------------------------------------------------------------

    def _crawl(self, site_ids: list[str] | None, what: str) -> str:
        with crawl_lock(self.config.lock_file, holder=f"crawl {what}"):
            self.crawl_runner(site_ids)
        return f"已抓取{what}"

    def _run(self, job: str, work: Callable[[], str]) -> Outcome:
        started = self.clock().isoformat(timespec="seconds")
        log.info("%s: started", job)
        try:
            status, detail = "ok", work()
        except _Skip as exc:
            status, detail = "skipped", str(exc)
        except LockBusy as exc:
            status, detail = "skipped", f"与正在进行的抓取重叠，本次不运行：{exc}"
        except Exception as exc:  # a failing job must never stop the scheduler
            status = "interrupted" if self.stopping.is_set() else "failed"
            detail = f"{type(exc).__name__}: {exc}"
            log.exception("%s: %s", job, status)
        outcome = Outcome(job, status, started, self.clock().isoformat(timespec="seconds"), detail)
        (log.warning if status in ("failed", "skipped") else log.info)("%s: %s %s", job, status, detail)
        return self.journal.record(outcome)

    def _write_digest(self, day: date) -> list[Path]:
        from nianbao.digest import resolve_period, write_digest
        from nianbao.digest.mail import load_mail_settings

        mail = load_mail_settings(self.config.source) if self.config.mail and self.config.source else None
        if self.config.mail and mail is None:
            raise JobFailed("[schedule.digest] mail = true，但配置文件中没有 [mail] 设置")
        files = write_digest(
            self.config.data,
            self.config.out,
            resolve_period(None, day),
            xlsx=self.config.xlsx,
            csv=self.config.csv,
            mail=mail,
        )
        return [files.html, *files.exports]


class _Skip(Exception):
    """Nothing to do this time (recorded as skipped)."""


class ChildCrawl:
    """Runs ``python -m nianbao crawl --data DIR --sites FILE [--site ID …]`` in a child process.

    The sites file is loaded every time, so edits to it reach the registry
    before the crawl; ``--site`` narrows the crawl (the daily one).
    """

    def __init__(self, config: ScheduleConfig) -> None:
        self.config = config
        self._running: set[Child] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._grace = 30.0
        # After a timeout: how long the crawl has to stop on SIGTERM before SIGKILL.
        self.kill_grace = 30.0

    def command(self, site_ids: list[str] | None = None) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "nianbao",
            "crawl",
            "--data",
            str(self.config.data),
            "--sites",
            str(self.config.sites),
        ]
        for site_id in site_ids or []:
            command += ["--site", site_id]
        return command

    def __call__(self, site_ids: list[str] | None) -> None:
        # ``nianbao crawl`` and the Scrapy process it starts share the child's session, so a timeout or a
        # stop reaches the whole crawl (``nianbao.children``). Its stderr goes to a file, not a pipe:
        # nothing here can block on a pipe a leftover process holds.
        with tempfile.TemporaryFile() as stderr:
            child = Child(
                self.command(site_ids), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
            )
            with self._lock:
                self._running.add(child)
            try:
                try:
                    returncode = child.wait(self.config.crawl_timeout_seconds, grace=self.kill_grace)
                except subprocess.TimeoutExpired:
                    hours = self.config.crawl_timeout_seconds / 3600
                    raise JobFailed(f"抓取超过 {hours:g} 小时未结束，已终止") from None
                finally:
                    # Whatever the crawl left in its group must not go on writing once the crawl lock
                    # is released; on a stop, terminate() gives it its grace first.
                    if self._stopping.is_set():
                        child.wait_gone(self._grace)
                    child.kill_group()
            finally:
                with self._lock:
                    self._running.discard(child)
            if returncode != 0:
                lines = tail(stderr).decode("utf-8", "replace").strip().splitlines()[-5:]
                raise JobFailed(f"nianbao crawl 退出码 {returncode}：{' / '.join(lines)}")

    def terminate(self, grace: float = 30) -> None:
        """SIGTERM to every running crawl (its group and descendants); SIGKILL to what is left after ``grace`` s."""
        self._grace = grace
        self._stopping.set()
        with self._lock:
            running = list(self._running)
        deadline = time.monotonic() + grace
        threads = [threading.Thread(target=child.stop, args=(grace, deadline)) for child in running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def registered_sites(config: ScheduleConfig) -> list[Site]:
    """The sites every scheduled crawl covers: the registry's enabled sites after importing the sites file.

    The import (``nianbao.sitelist``) adds and updates, disables the sites the
    file brought in and no longer lists, and leaves out rows with problems
    (logged). This is the same set ``nianbao crawl --sites FILE`` crawls.
    """
    from nianbao.sitelist import import_list
    from storage import queries
    from storage.archive import Archive

    with Archive.open(config.data) as archive:
        result = import_list(archive, config.sites)
        if result.file.problems:
            log.warning("%s", result.file.report())
        return queries.sites(archive.db, enabled_only=True)


def sites_missing_report(config: ScheduleConfig, year: int) -> list[Site]:
    """The sites of ``registered_sites`` with no report for ``year`` in the archive."""
    from storage import queries
    from storage.archive import Archive

    sites = registered_sites(config)
    with Archive.open(config.data) as archive:
        found = {r.site_id for r in queries.reports(archive.db, year=year)}
    return [s for s in sites if s.id not in found]
