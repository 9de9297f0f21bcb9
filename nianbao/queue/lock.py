"""A Redis lock that lapses when its holder dies: ``SET NX PX``, renewed by a thread, released by its token.

A crawl job holds ``lock:host:<group>`` for each host group it crawls (besides
RQ's one-job-at-a-time limit per pack), and the archive writer holds ``lock:writer``.
A holder killed outright stops renewing, and the lock is free again after its
time-to-live; a holder that finds it cannot renew (the server lost it, another
took it) is told through ``on_lost`` and must stop at once.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from types import TracebackType

import redis

from nianbao.queue.messages import PREFIX

_RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"""
_RELEASE = (
    """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"""
)


def host_lock_key(group: str) -> str:
    return f"{PREFIX}lock:host:{group}"


WRITER_LOCK = PREFIX + "lock:writer"


class LockTaken(Exception):
    """Someone else holds the lock."""


class RenewedLock:
    def __init__(
        self,
        connection: redis.Redis,
        key: str,
        *,
        ttl_ms: int = 30_000,
        holder: str = "",
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.connection = connection
        self.key = key
        self.ttl_ms = ttl_ms
        self.token = f"{holder}#{uuid.uuid4().hex}"
        self.on_lost = on_lost
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self.connection.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return False
        self._thread = threading.Thread(target=self._renew, name=f"renew {self.key}", daemon=True)
        self._thread.start()
        return True

    def _renew(self) -> None:
        renew = self.connection.register_script(_RENEW)
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                held = renew(keys=[self.key], args=[self.token, self.ttl_ms])
            except redis.RedisError:
                continue  # a blip: try again before the time-to-live runs out
            if not held:
                self.lost = True
                if self.on_lost is not None:
                    self.on_lost()
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with contextlib.suppress(redis.RedisError):  # else it lapses by itself
            self.connection.register_script(_RELEASE)(keys=[self.key], args=[self.token])

    def holder(self) -> str | None:
        value = self.connection.get(self.key)
        return value.decode().split("#")[0] if isinstance(value, bytes) else None

    def __enter__(self) -> RenewedLock:
        if not self.acquire():
            raise LockTaken(self.key)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
