"""Progress of a crawl: one line on the terminal, or a line in the log now and then.

Counts come from the items the spider yields: a ``SiteDoneItem`` per site
finished, documents in each ``ReportItem``, a ``ProblemItem`` per crawl
problem; the current site is the one whose answer arrived last.

On a terminal (the child's stderr is the user's) it is one line redrawn in
place with rich: sites done and total, time spent and left, the current
site. rich rather than tqdm: it is already installed with the project's
tools, measures Chinese characters as two columns (agency names stay on one
line) and refreshes from its own thread, so the line moves while a slow site
backs off. Elsewhere (a scheduler, a pipe) the same figures go to the crawl
log every ``NIANBAO_PROGRESS_INTERVAL`` seconds, e.g.::

    [抓取] 站点 12/200 完成 · 当前 郑县教育体育局 · 请求 431 · 年报 57 · 文档 88（未变化 20）· 问题 3 · 用时 0:00:15
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.items import ProblemItem, ReportItem, SiteDoneItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class CrawlProgress:
    def __init__(
        self, crawler: Crawler, interval: float, stream: IO[str] | None = None, live: bool | None = None
    ) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.started = time.monotonic()
        self.last = 0.0
        self.sites_done = 0
        self.reports = 0
        self.documents = 0
        self.unchanged = 0
        self.problems = 0
        self.current = ""
        self.timer: task.LoopingCall | None = None
        self.bar: Any = None  # rich.progress.Progress while the line is drawn
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        settings = crawler.settings
        if not settings.getbool("NIANBAO_PROGRESS", True):
            raise NotConfigured
        # With --verbose the log scrolls on the terminal: a redrawn line would be torn by it.
        live = False if settings.getbool("NIANBAO_VERBOSE", False) else None
        ext = cls(crawler, settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 5.0), live=live)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any = None) -> None:
        if self.live:
            self._draw()
        # Also while no item arrives (a slow site backing off), the figures move.
        self.timer = task.LoopingCall(self.tick)
        self.timer.start(min(self.interval, 1.0) if self.live else self.interval, now=False)

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("抓取"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("站点 · 用时"),
            TimeElapsedColumn(),
            TextColumn("· 预计剩余"),
            TimeRemainingColumn(),
            TextColumn("· {task.fields[current]}", markup=False),
            console=Console(file=self.stream, highlight=False),
            transient=False,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task = self.bar.add_task("crawl", total=self.total_sites or None, current="")
        self.bar.start()

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update(
                self.task, completed=self.sites_done, total=self.total_sites or None, current=self.current
            )
        elif time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            logger.info("%s", self.line())

    @property
    def total_sites(self) -> int:
        return len(getattr(self.crawler.spider, "sites", {}) or {})

    def line(self) -> str:
        stats = self.crawler.stats
        requests = stats.get_value("downloader/request_count", 0) if stats else 0
        current = f" · 当前 {self.current}" if self.current else ""
        return (
            f"[抓取] 站点 {self.sites_done}/{self.total_sites} 完成{current} · 请求 {requests} · "
            f"年报 {self.reports} · 文档 {self.documents}（未变化 {self.unchanged}）· 问题 {self.problems} · "
            f"用时 {_elapsed(time.monotonic() - self.started)}"
        )

    def _agency(self, site_id: str | None) -> str:
        sites = getattr(self.crawler.spider, "sites", {}) or {}
        site = sites.get(site_id) if site_id else None
        return str(getattr(site, "agency", "") or site_id or "")

    def response_received(self, response: Any = None, request: Any = None, spider: Any = None) -> None:
        meta = getattr(request, "meta", None) or {}
        if meta.get("site_id"):
            self.current = self._agency(meta["site_id"])

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, ReportItem):
            self.reports += 1
            self.documents += len(item.documents)
            self.unchanged += sum(1 for d in item.documents if d.not_modified)
        elif isinstance(item, ProblemItem):
            self.problems += 1
        elif isinstance(item, SiteDoneItem):
            self.sites_done += 1
        self.tick()

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.bar is not None:
            self.current = "完成"
            self.tick()
            self.bar.stop()
            self.bar = None
        logger.info("%s", self.line().replace("[抓取]", "[抓取结束]"))
