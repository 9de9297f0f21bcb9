"""The crawl job a worker runs for some host groups (in RQ's work horse, a process forked per job).

It holds the host lock of each of its groups, runs the ordinary crawl child on
their sites (without an archive: their registry rows and the archive's last
fetches come with the job) and lets it hand everything to the results stream.
One crawl process handles many sites at once (each host politely), so a job
carries several groups rather than starting a process per site. The job
succeeds only when every site reached the stream; otherwise it raises, and RQ
retries it (the retry crawls the sites again; the writer keeps the first
complete crawl of each site).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import NianbaoError
from nianbao.crawling import run_crawl
from nianbao.queue.lock import RenewedLock, host_lock_key
from nianbao.queue.messages import STREAM, Entry
from nianbao.queue.sender import progress_key

URL_ENV = "NIANBAO_QUEUE_URL"  # set by ``nianbao worker``: how this machine reaches the queue
NAME_ENV = "NIANBAO_WORKER_NAME"
HOST_LOCK_TTL_MS = (
    30_000  # shorter than RQ's detection of a dead worker (60 s and more): a retry finds it free
)


class HostBusy(NianbaoError):
    """Another worker holds one of the job's host locks: the job waits for a retry."""


class CrawlIncomplete(NianbaoError):
    """The crawl ended before every site of the job reached the archive's writer."""


@dataclass(frozen=True)
class JobSpec:
    """What a crawl job carries: its round, its host groups, the sites and what the archive knows of them."""

    batch: str
    groups: list[str]
    today: str  # YYYY-MM-DD the round is judged as of
    sites: list[dict[str, Any]]  # registry rows (storage.sites.Site.to_row())
    known: dict[str, list[list[Any]]]  # site id -> [url, sha256, etag, last_modified, content_type]
    all_years: bool = (
        False  # every listed year, not only from the site's first year (nianbao crawl --all-years)
    )

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        return cls(**json.loads(text))

    @property
    def site_ids(self) -> list[str]:
        return [row["id"] for row in self.sites]


def die_with_parent() -> None:
    """The work horse must not outlive its worker: a worker killed outright takes its crawl with it."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)


def worker_name() -> str:
    return os.environ.get(NAME_ENV) or f"{socket.gethostname()}-{os.getpid()}"


def crawl_groups(spec_json: str) -> dict[str, Any]:
    """RQ job: crawl some host groups and hand their results to the stream (raises when a site is missing)."""
    from rq import get_current_job

    die_with_parent()
    spec = JobSpec.from_json(spec_json)
    job = get_current_job()
    if job is None:
        raise RuntimeError("crawl_groups runs as an RQ job")
    connection = job.connection
    url = os.environ.get(URL_ENV)
    if not url:
        raise RuntimeError(f"{URL_ENV} is not set: start workers with `nianbao worker --queue URL`")
    attempt = uuid.uuid4().hex[:12]
    locks = _host_locks(connection, spec.groups)
    try:
        connection.hset(
            progress_key(job.id),
            mapping={"attempt": attempt, "done": 0, "total": len(spec.sites), "worker": worker_name()},
        )
        with tempfile.TemporaryDirectory(prefix="nianbao-job-") as tmp:
            sites_file, known_file = Path(tmp) / "sites.json", Path(tmp) / "known.json"
            sites_file.write_text(json.dumps(spec.sites, ensure_ascii=False), encoding="utf-8")
            known_file.write_text(json.dumps(spec.known, ensure_ascii=False), encoding="utf-8")
            result = run_crawl(
                None,
                None,
                spec.today,
                sites_file=sites_file,
                all_years=spec.all_years,
                settings={
                    "NIANBAO_RESULTS": url,
                    "NIANBAO_BATCH": spec.batch,
                    "NIANBAO_JOB": job.id,
                    "NIANBAO_ATTEMPT": attempt,
                    "NIANBAO_KNOWN_JSON": str(known_file),
                },
            )
    finally:
        for lock in locks:
            lock.release()
    done = {site["site_id"] for site in result.sites}
    missing = [site_id for site_id in spec.site_ids if site_id not in done]
    lost = [lock.key for lock in locks if lock.lost]
    if lost:
        raise CrawlIncomplete(f"抓取锁已失效（{'、'.join(lost)}），抓取已中止")
    if missing:
        raise CrawlIncomplete(
            f"有 {len(missing)} 个站点未抓取完成（{'、'.join(missing[:5])}），抓取进程退出码 {result.returncode}"
        )
    entry = Entry(
        "job_done", spec.batch, job.id, attempt, "", {"groups": spec.groups, "sites": spec.site_ids}
    )
    connection.xadd(STREAM, entry.fields())  # type: ignore[arg-type]
    return {"groups": spec.groups, "sites": len(done), "attempt": attempt, "worker": worker_name()}


def _host_locks(connection: Any, groups: list[str]) -> list[RenewedLock]:
    """Every group's host lock, or none: a group another worker crawls makes the job wait for a retry.

    A lost lock stops the crawl: SIGTERM to this process is passed on to the crawl child.
    """
    held: list[RenewedLock] = []
    for group in sorted(groups):
        lock = RenewedLock(
            connection,
            host_lock_key(group),
            ttl_ms=HOST_LOCK_TTL_MS,
            holder=worker_name(),
            on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM),
        )
        if not lock.acquire():
            for taken in held:
                taken.release()
            raise HostBusy(f"站点组 {group} 正由另一个抓取节点（{lock.holder()}）抓取，稍后重试")
        held.append(lock)
    return held
