"""The downloader, polite per server: one slot per IP address, its delay counted from the answer.

Scrapy keys a download slot (one request at a time, ``DOWNLOAD_DELAY`` apart) by
host name, so the subdomains of one 集约化 platform – dozens of agencies on one
server – would be crawled in parallel. Here the key is the address the host
resolves to (``crawler.middlewares.ResolveFirstMiddleware`` resolves it before
the slot is chosen; a name not resolved yet keeps its own name). The key comes
from the request's own URL, never from ``meta["download_slot"]``, so
robots.txt, redirects and retries wait in the same queue as the pages.

Scrapy measures the delay from when a request was handed to the network, so
the server may see two requests closer than the delay (connection set-up
varies; robots.txt alone pays for the connection). Here the slot's clock is
reset when the answer arrives: the next request leaves a full delay after the
server answered the last one.

On a stop request the requests still waiting for their slot are dropped at
once (their errbacks see ``CrawlStopped``) instead of being sent a delay apart.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import dnscache
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from crawler.signals import crawl_stopping

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class CrawlStopped(IgnoreRequest):
    """The crawl was asked to stop before this request was sent."""


def address_of(host: str) -> str | None:
    """The address Scrapy's DNS cache holds for ``host`` (the first, when it holds several)."""
    cached = dnscache.get(host)
    if isinstance(cached, str):
        return cached
    if isinstance(cached, list) and cached:
        return getattr(cached[0], "host", None)
    return None


class PoliteDownloader(Downloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        crawler.signals.connect(self._answered, signal=signals.headers_received)
        crawler.signals.connect(self._answered, signal=signals.response_downloaded)
        crawler.signals.connect(self.drop_waiting, signal=crawl_stopping)

    def get_slot_key(self, request: Request) -> str:
        host = urlparse_cached(request).hostname or ""
        return address_of(host) or host

    def _answered(self, request: Request, **_: Any) -> None:
        slot = self.slots.get(request.meta.get(self.DOWNLOAD_SLOT, ""))
        if slot is not None:
            slot.lastseen = monotonic()

    def drop_waiting(self) -> None:
        """Fail every request still queued for its slot (a stop): none of them is sent."""
        for slot in self.slots.values():
            if slot.latercall is not None:
                slot.latercall.cancel()
                slot.latercall = None
            while slot.queue:
                request, deferred = slot.queue.popleft()
                stopped = CrawlStopped(f"crawl stopped before {request.url} was sent")
                deferred.errback(Failure(stopped))  # type: ignore[no-untyped-call]
