"""Reaching the Redis server of a queue: one database (the /DB of the URL) per archive."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis

from monitor.errors import NianbaoError
from nianbao.queue.messages import PREFIX

QUEUE = "nianbao-crawl"  # the RQ queue of crawl jobs
ARCHIVE_KEY = PREFIX + "archive"  # which archive this Redis database serves


class QueueError(NianbaoError):
    """The queue cannot be used: a bad URL, a server that does not answer, another archive's queue."""


def connect(url: str) -> redis.Redis:
    """A connection to the queue at ``url`` (redis://HOST:PORT/DB), checked with a PING."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise QueueError(f"队列地址应形如 redis://主机:端口/数据库编号，而不是 {url}")
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=10, health_check_interval=30)
        connection.ping()
    except ValueError as exc:
        raise QueueError(f"队列地址无法识别：{url}（{exc}）") from exc
    except redis.RedisError as exc:
        raise QueueError(f"无法连接队列 {url}：{exc}") from exc
    return connection


def claim_for_archive(connection: redis.Redis, archive_id: str, url: str) -> None:
    """Bind the queue's database to one archive; another archive's crawl is refused, never mixed in."""
    connection.set(ARCHIVE_KEY, archive_id, nx=True)
    held = connection.get(ARCHIVE_KEY)
    owner = held.decode() if isinstance(held, bytes) else str(held)
    if owner != archive_id:
        raise QueueError(f"队列 {url} 已用于另一个存档（{owner}）：请为每个存档使用单独的 Redis 数据库编号")
