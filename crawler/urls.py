"""URL helpers: the site's allowed domains, canonical report keys, detail vs column links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DETAIL_PATTERNS = [
    re.compile(p)
    for p in (
        r"/t\d{8}_\d+(_wap)?\.s?html?$",  # TRS
        r"/art/\d{4}/",  # Hanweb
        r"/art_\d+_\d+\.html$",
        r"/art_[0-9a-f]{32}\.html$",  # JPaaS
        r"/m?post_\d+\.html$",  # gkmlpt / NFCMS
        r"/\d{19}\.html$",  # Shaanxi snowflake
        r"/[0-9a-f]{24}\.s?html?$",
        r"/[0-9a-f]{32}\.s?html?$",
        r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.s?html?$",  # Hebei uuid
        r"/c0\d_\d+\.shtml$",  # Heilongjiang
        r"/info/\d+/\d+\.htm$",  # 博达
        r"/content\.s?html$",
        r"/detail/",
        r"/i\d+\.html?$",
        r"/\d{5,}\.s?html?$",
    )
]
_COLUMN_LAST = re.compile(r"^(index|list|default|column-index)([_-]\d+)?\.(s?html?|jsp|aspx?|php)$", re.I)
_COL = re.compile(r"/col/col\d+/?")


# Zhejiang JPaaS download gateway: the link carries an encrypted, expiring fileUrl (portals.md §1B).
_GATEWAY = re.compile(r"/api-gateway/jpaas-web-server/front/document/(file-)?download", re.I)


def is_gateway(url: str) -> bool:
    """A link through a download gateway whose tokens expire (fetched again from a fresh page when stale)."""
    return bool(_GATEWAY.search(urlsplit(url).path))


def domain_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """``host`` is one of ``allowed`` or a subdomain of one (Scrapy's offsite rule)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    for domain in allowed:
        d = domain.lower().strip().rstrip(".")
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def canonical(url: str) -> str:
    """The key two copies of one report share.

    Drops the fragment and the scheme (portals serve both http and https),
    removes Chongqing's mobile ``_wap`` suffix and gkmlpt's ``mpost_`` prefix,
    and sorts the query.
    """
    parts = urlsplit(url)
    path = re.sub(r"_wap(\.s?html?)$", r"\1", parts.path)
    path = re.sub(r"/mpost_(\d+\.html)$", r"/post_\1", path)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit(("", parts.netloc.lower(), path, query, ""))


def is_wap_copy(url: str) -> bool:
    return bool(re.search(r"_wap\.s?html?$", urlsplit(url).path)) or "/mpost_" in urlsplit(url).path


def looks_like_detail(url: str) -> bool:
    path = urlsplit(url).path
    return any(p.search(path) for p in _DETAIL_PATTERNS)


def looks_like_column(url: str) -> bool:
    """A list page: a directory, index/list pages, Hanweb /col/colN/."""
    path = urlsplit(url).path
    if path.endswith("/") or _COL.search(path):
        return True
    last = path.rsplit("/", 1)[-1]
    return bool(_COLUMN_LAST.match(last))


def column_dir(url: str) -> str:
    """The directory of a list page: what its sub-columns sit under."""
    path = urlsplit(url).path
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
