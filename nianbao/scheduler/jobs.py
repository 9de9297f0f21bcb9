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
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from nianbao.scheduler.config import ScheduleConfig
from nianbao.scheduler.journal import Journal, Outcome
from nianbao.scheduler.lock import LockBusy, crawl_lock
from storage.sites import Site

log = logging.getLogger("nianbao.schedule")

CrawlRunner = Callable[[list[str] | None], None]  # crawl these site ids (None: every site); raise on failure
DigestRunner = Callable[[date], list[Path]]  # write the digest as of this day; return the files
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
        """Crawl every site of the sites file."""
        return self._run(WEEKLY, lambda: self._crawl(None, "全部网站"))

    def daily_crawl(self) -> Outcome | None:
        """In deadline season, crawl the sites whose report for last year has not been found yet."""
        today = self.clock().date()
        if not self.config.in_season(today):
            log.debug("daily crawl: %s is outside the deadline season %s", today, self.config.season)
            return None

        def work() -> str:
            year = today.year - 1
            missing = sites_missing_report(self.config, year)
            if not missing:
                raise _Skip(f"所有网站的 {year} 年度报告均已找到")
            return self._crawl([s.id for s in missing], f"{len(missing)} 个尚未发布 {year} 年度报告的网站")

        return self._run(DAILY, work)

    def digest(self) -> Outcome:
        """Write (and mail) the digest, after any crawl still running has finished."""

        def work() -> str:
            note = ""
            try:
                with crawl_lock(self.config.lock_file, wait=self.config.digest_wait_seconds, holder=DIGEST):
                    pass
            except LockBusy:
                note = "（抓取仍在进行，周报基于已有数据）"
            files = self.digest_runner(self.clock().date())
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

    def _write_digest(self, today: date) -> list[Path]:
        from monitor.digest import resolve_period, write_digest
        from monitor.digest.mail import load_mail_settings

        mail = load_mail_settings(self.config.source) if self.config.mail and self.config.source else None
        if self.config.mail and mail is None:
            raise JobFailed("[schedule.digest] mail = true，但配置文件中没有 [mail] 设置")
        files = write_digest(
            self.config.data, self.config.out, resolve_period(None, today),
            xlsx=self.config.xlsx, csv=self.config.csv, mail=mail,
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
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def command(self, site_ids: list[str] | None = None) -> list[str]:
        command = [sys.executable, "-m", "nianbao", "crawl", "--data", str(self.config.data),
                   "--sites", str(self.config.sites)]
        for site_id in site_ids or []:
            command += ["--site", site_id]
        return command

    def __call__(self, site_ids: list[str] | None) -> None:
        process = subprocess.Popen(self.command(site_ids), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with self._lock:
            self._running.add(process)
        try:
            _, stderr = process.communicate(timeout=self.config.crawl_timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise JobFailed(f"抓取超过 {self.config.crawl_timeout_seconds // 3600} 小时未结束，已终止") from None
        finally:
            with self._lock:
                self._running.discard(process)
        if process.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise JobFailed(f"nianbao crawl 退出码 {process.returncode}：{' / '.join(tail)}")

    def terminate(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def sites_missing_report(config: ScheduleConfig, year: int) -> list[Site]:
    """The enabled sites of the sites file with no report for ``year`` in the archive."""
    from storage import queries
    from storage.archive import Archive
    from storage.sitefiles import load_sites

    sites = [s for s in load_sites(config.sites) if s.enabled]
    with Archive.open(config.data) as archive:
        found = {r.site_id for r in queries.reports(archive.db, year=year)}
    return [s for s in sites if s.id not in found]

