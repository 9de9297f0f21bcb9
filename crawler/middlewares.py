"""Downloader middlewares: per-site offsite filtering and retries with backoff.

``SiteOffsiteMiddleware`` replaces Scrapy's OffsiteMiddleware: one crawl covers
many sites, and a request may only go to the allowed domains of the site it
belongs to (``request.meta["site_id"]``), so a mirror copying a government
page (portals.md §3) or a link to another monitored site is never followed
under the wrong site. Redirects are checked too: a moved column that lands on
another domain is reported, not followed.

``BackoffRetryMiddleware`` is Scrapy's RetryMiddleware that waits before each
retry – ``RETRY_BACKOFF_BASE`` seconds, doubled each time, capped at
``RETRY_BACKOFF_MAX`` – so a struggling server is given time instead of the
next request at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from crawler.urls import domain_allowed, host_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class SiteOffsiteMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteOffsiteMiddleware:
        # Checked in process_request only, never on request_scheduled: a request refused there is
        # dropped without its errback, and the spider would wait for it forever.
        return cls(crawler)

    def _allowed_domains(self, request: Request) -> list[str] | None:
        site_id = request.meta.get("site_id")
        spider = self.crawler.spider
        states = getattr(spider, "states", {})
        if site_id is None or site_id not in states:
            return None  # not a site's request (robots.txt): nothing to check
        return list(states[site_id].allowed)

    def process_request(self, request: Request) -> None:
        allowed = self._allowed_domains(request)
        if (
            allowed is None
            or request.url.startswith("data:")
            or domain_allowed(host_of(request.url), allowed)
        ):
            return
        self.crawler.stats.inc_value("offsite/filtered")
        raise IgnoreRequest(f"offsite: {host_of(request.url)} is not an allowed domain of this site")


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    def backoff(self, retry_times: int) -> float:
        """Seconds to wait before retry number ``retry_times`` (1, 2, …)."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, retry_times - 1)))

    async def _wait(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request) and self.backoff_base > 0:
            await sleep(self.backoff(int(result.meta.get("retry_times", 1))))
        return result

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        waited = await self._wait(result)
        assert waited is not None
        return waited

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        return await self._wait(super().process_exception(request, exception))
