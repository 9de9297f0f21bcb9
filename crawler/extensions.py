"""Progress on the terminal for long crawls, and a one-line summary at the end.

Counts come from the items the spider yields: a ``SiteDoneItem`` per site
finished, documents in each ``ReportItem``, a ``ProblemItem`` per crawl problem.
Lines go to stderr (the child process's stderr is the user's terminal), every
``NIANBAO_PROGRESS_INTERVAL`` seconds, e.g.::

    [抓取] 站点 12/200 完成 · 请求 431 · 年报 57 · 文档 88（未变化 20）· 问题 3 · 用时 0:00:15
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.items import ProblemItem, ReportItem, SiteDoneItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def _elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class CrawlProgress:
    def __init__(self, crawler: Crawler, interval: float, stream: IO[str] | None = None) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = 0.0
        self.sites_done = 0
        self.reports = 0
        self.documents = 0
        self.unchanged = 0
        self.problems = 0
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        if not crawler.settings.getbool("NIANBAO_PROGRESS", True):
            raise NotConfigured
        ext = cls(crawler, crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 5.0))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any = None) -> None:
        # Also while no item arrives (a slow site backing off), the terminal hears from the crawl.
        self.timer = task.LoopingCall(self.tick)
        self.timer.start(self.interval, now=False)

    def tick(self) -> None:
        if time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            print(self.line(), file=self.stream, flush=True)

    @property
    def total_sites(self) -> int:
        return len(getattr(self.crawler.spider, "sites", {}) or {})

    def line(self) -> str:
        stats = self.crawler.stats
        requests = stats.get_value("downloader/request_count", 0) if stats else 0
        return (
            f"[抓取] 站点 {self.sites_done}/{self.total_sites} 完成 · 请求 {requests} · 年报 {self.reports} · "
            f"文档 {self.documents}（未变化 {self.unchanged}）· 问题 {self.problems} · "
            f"用时 {_elapsed(time.monotonic() - self.started)}"
        )

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
        print(self.line().replace("[抓取]", "[抓取结束]"), file=self.stream, flush=True)
