"""Which sites must be crawled by one worker at a time: groups of sites that share a host.

Many agencies publish on one platform (集约化: the departments of a city on
``*.xinxiang.gov.cn``, attachments on its file server). Sites are grouped by
the registrable domain of every host they may fetch from (their start URLs
and allowed domains; an IP address stands for itself), and groups that share
any of them are merged. One job per group, and one job per group at a time,
so no host ever sees two workers at once; inside the job the crawler keeps
its usual politeness (one request at a time per host, with its delay).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from storage.sites import Site


@dataclass(frozen=True)
class HostGroup:
    """Sites crawled together by one job; ``key`` (the smallest of their domains) names it."""

    key: str
    sites: tuple[str, ...]


@lru_cache(maxsize=1)
def _extract() -> tldextract.TLDExtract:
    # The bundled public-suffix list: nianbao never downloads it (as the crawler does).
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_domain(host: str) -> str | None:
    """The registrable domain of a host (``xinxiang.gov.cn`` for ``wbq.xinxiang.gov.cn``), or the IP itself."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return None
    found = _extract()(host)
    if found.ipv4 or found.ipv6:
        return found.ipv4 or found.ipv6
    domain = found.top_domain_under_public_suffix
    if domain:
        return domain
    return (
        host if found.suffix == "" else None
    )  # a bare name (localhost) stands for itself; gov.cn for nothing


def site_domains(site: Site) -> set[str]:
    hosts = [urlsplit(url).hostname or "" for url in site.start_urls]
    hosts += [d.split(":")[0] for d in site.allowed_domains]
    return {d for d in map(host_domain, hosts) if d}


def host_groups(sites: Iterable[Site]) -> list[HostGroup]:
    """The sites split into groups that share no domain, in a stable order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[str, list[str]] = {}
    for site in sites:
        domains = sorted(site_domains(site)) or [f"site:{site.id}"]  # no host at all: a group of its own
        for domain in domains[1:]:
            a, b = find(domains[0]), find(domain)
            if a != b:
                parent[max(a, b)] = min(a, b)
        members.setdefault(domains[0], []).append(site.id)
    groups: dict[str, list[str]] = {}
    for first, site_ids in members.items():
        groups.setdefault(find(first), []).extend(site_ids)
    return sorted((HostGroup(key, tuple(sorted(ids))) for key, ids in groups.items()), key=lambda g: g.key)
