"""Host names the registry pins to an address, resolved without DNS (``NIANBAO_HOSTS``).

A site whose public DNS is broken but whose address is known, or a crawl that
must never leave a set of addresses (the tests: ``NIANBAO_HOSTS_ONLY`` makes
every other name fail as a DNS error would, so no request can leave loopback).
Everything else resolves as Scrapy's default resolver does, and every answer
lands in Scrapy's DNS cache, which keys the downloader's per-address slots.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostsResolver(CachingThreadedResolver):
    def __init__(
        self,
        reactor: ReactorBase,
        cache_size: int,
        timeout: float,
        hosts: dict[str, str] | None = None,
        only: bool = False,
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.hosts = {name.lower().rstrip("."): str(address) for name, address in (hosts or {}).items()}
        self.only = only

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> HostsResolver:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor,
            cache_size,
            settings.getfloat("DNS_TIMEOUT"),
            hosts=settings.getdict("NIANBAO_HOSTS"),
            only=settings.getbool("NIANBAO_HOSTS_ONLY"),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[Any]:
        address = self.hosts.get(name.lower().rstrip("."))
        if address is not None:
            dnscache[name] = address
            return defer.succeed(address)
        if self.only and not is_address(name):
            return defer.fail(DNSLookupError(f"{name} is not in NIANBAO_HOSTS"))
        return super().getHostByName(name, timeout)
