"""Downloader middlewares: per-site offsite filtering, address resolution, https→http fallback, retries.

``SiteOffsiteMiddleware`` replaces Scrapy's OffsiteMiddleware: one crawl covers
many sites, and a request may only go to the allowed domains of the site it
belongs to (``request.meta["site_id"]``), so a mirror copying a government
page (portals.md §3) or a link to another monitored site is never followed
under the wrong site. Redirects are checked too: a report page that moves to
another domain is refused (``OffsiteRefused``) and reported as that report's
failure, not followed.

``ResolveFirstMiddleware`` resolves a request's host before the downloader
picks its slot, so the slot is keyed by the server's address from the first
request on (``crawler.downloader``).

``HttpsFallbackMiddleware`` retries over http a request whose https handshake
failed (some district sites speak only http, or TLS the local OpenSSL refuses);
the host is then asked over http for the rest of the crawl, robots.txt
included. A bad certificate is not a failure (certificates are not verified:
portals.md §3), and neither is a timeout (it would double the wait).

``BackoffRetryMiddleware`` is Scrapy's RetryMiddleware that waits before each
retry – ``RETRY_BACKOFF_BASE`` seconds, doubled each time, capped at
``RETRY_BACKOFF_MAX`` – so a struggling server is given time instead of the
next request at once. A stopping crawl does not wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, cast

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError, IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import dnscache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from crawler.resolver import is_address
from crawler.signals import crawl_stopping
from crawler.urls import domain_allowed, host_of, is_gateway

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class OffsiteRefused(IgnoreRequest):
    """A request (often a redirect) to a host outside the site's allowed domains."""

    def __init__(self, host: str) -> None:
        super().__init__(f"offsite: {host} is not an allowed domain of this site")
        self.host = host


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
            or _gateway_to_storage(request)
        ):
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("offsite/filtered")
        raise OffsiteRefused(host_of(request.url))


def _gateway_to_storage(request: Request) -> bool:
    """A download gateway's redirect to the province's file storage (JPaaS → *.cloud.zj.gov.cn): followed."""
    redirects = request.meta.get("redirect_urls") or []
    return bool(redirects) and is_gateway(redirects[0]) and domain_allowed(host_of(request.url), ["gov.cn"])


class ResolveFirstMiddleware:
    """Resolve the host (through the reactor's resolver, which fills Scrapy's DNS cache) before its slot is chosen."""

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname
        if not host or is_address(host) or host in dnscache:
            return
        from twisted.internet import reactor

        with contextlib.suppress(Exception):  # a failure is the download's to report
            await maybe_deferred_to_future(cast(Any, reactor).resolve(host))


def tls_failure(exc: BaseException) -> str:
    """The OpenSSL reason when ``exc`` is a failed TLS handshake (no byte of an answer), else ''."""
    if not isinstance(exc, DownloadFailedError):
        return ""
    cause = exc.__cause__
    if type(cause).__name__ != "ResponseNeverReceived":
        return ""
    for reason in getattr(cause, "reasons", []):
        value = getattr(reason, "value", reason)
        if type(value).__module__.startswith("OpenSSL"):
            return str(value) or type(value).__name__
    return ""


class HttpsFallbackMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.http_only: dict[str, str] = {}  # host:port whose https failed -> why

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HttpsFallbackMiddleware:
        return cls(crawler)

    def _http(self, request: Request, why: str) -> Request:
        meta = {**request.meta, "https_fallback": {"from": request.url, "reason": why}}
        meta.pop("download_slot", None)
        return request.replace(url="http" + request.url[len("https") :], meta=meta, dont_filter=True)

    def process_request(self, request: Request) -> Request | None:
        parts = urlparse_cached(request)
        if parts.scheme == "https" and parts.netloc in self.http_only:
            return self._http(request, self.http_only[parts.netloc])
        return None

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        parts = urlparse_cached(request)
        if parts.scheme != "https" or request.meta.get("https_fallback"):
            return None
        why = tls_failure(exception)
        if why:
            why = f"https 握手失败（{why}），改用 http"
        elif isinstance(exception, DownloadConnectionRefusedError):
            why = "https 端口拒绝连接，改用 http"
        else:
            return None
        self.http_only[parts.netloc] = why
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("https_fallback/count")
        return self._http(request, why)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.stopping = False
        self._stopped: asyncio.Event | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        crawler.signals.connect(middleware._stop, signal=crawl_stopping)
        return middleware

    def _stop(self) -> None:
        self.stopping = True
        if self._stopped is not None:
            self._stopped.set()

    def backoff(self, retry_times: int) -> float:
        """Seconds to wait before retry number ``retry_times`` (1, 2, …)."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, retry_times - 1)))

    async def _wait(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request) and self.backoff_base > 0 and not self.stopping:
            if self._stopped is None:
                self._stopped = asyncio.Event()
            with contextlib.suppress(TimeoutError):  # the back-off passed (a stop ends it early)
                await asyncio.wait_for(
                    self._stopped.wait(), self.backoff(int(result.meta.get("retry_times", 1)))
                )
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
