"""A round of crawling through the queue: its host groups as RQ jobs, and its record in Redis.

``start_round`` runs on the archive's machine: it takes the sites from the
registry, groups them by host and packs whole groups into jobs of about
``JOB_SITES`` sites (one crawl process crawls that many sites at once, each
host politely; a process per site would spend more on starting than on
crawling). Each job is enqueued with ``RateLimit`` (never two jobs of one pack
at once, whatever round they belong to; the host locks the job takes cover
packs that differ) and ``Retry`` (a job whose worker died, or that failed,
runs again, after a pause). The round's record (``round:<id>``) says which
sites each job holds and which day the round is judged as of; the writer adds
each site's summary to ``round:<id>:written`` as it writes the site's run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis
from rq import Queue, Retry
from rq.rate_limit import RateLimit

from nianbao.queue.connection import QUEUE, QueueError
from nianbao.queue.groups import HostGroup, host_groups
from nianbao.queue.jobs import JobSpec
from nianbao.queue.messages import PREFIX
from storage.archive import Archive
from storage.documents import last_fetches
from storage.sites import Site

ROUNDS = PREFIX + "rounds"  # sorted set: open rounds by start time
RETRY_INTERVALS = (30, 120, 600)  # seconds before the 1st, 2nd, 3rd retry of a failed job
# Other pauses before the retries, as seconds separated by commas (tests shorten them): "5,5".
RETRY_ENV = "NIANBAO_QUEUE_RETRY"
JOB_SITES = 100  # sites per job: one crawl process keeps a core busy with ~100 polite hosts
JOB_SITES_ENV = "NIANBAO_QUEUE_JOB_SITES"
JOB_TIMEOUT_S = 6 * 3600  # the longest crawl of one host group
RESULT_TTL_S = 7 * 24 * 3600
FAILURE_TTL_S = 30 * 24 * 3600


def round_key(batch: str) -> str:
    return f"{PREFIX}round:{batch}"


def written_key(batch: str) -> str:
    return f"{PREFIX}round:{batch}:written"


@dataclass
class Round:
    """A round as recorded in Redis."""

    batch: str
    today: date
    archive: str
    started: str
    jobs: dict[str, list[str]]  # job id -> site ids
    groups: dict[str, list[str]]  # job id -> its host groups' keys

    @property
    def sites(self) -> list[str]:
        return [site for sites in self.jobs.values() for site in sites]

    def job_of(self, site_id: str) -> str | None:
        return next((job for job, sites in self.jobs.items() if site_id in sites), None)

    def to_json(self) -> str:
        data = dict(self.__dict__)
        data["today"] = self.today.isoformat()
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Round:
        data = json.loads(text)
        data["today"] = date.fromisoformat(data["today"])
        return cls(**data)


def load_round(connection: redis.Redis, batch: str) -> Round | None:
    text: Any = connection.get(round_key(batch))
    return Round.from_json(text) if text else None


def open_rounds(connection: redis.Redis) -> list[str]:
    return [b.decode() if isinstance(b, bytes) else str(b) for b in connection.zrange(ROUNDS, 0, -1)]


def written(connection: redis.Redis, batch: str) -> dict[str, dict[str, Any]]:
    """The summaries of the round's sites whose runs are written, by site id."""
    rows = connection.hgetall(written_key(batch))
    return {k.decode(): json.loads(v) for k, v in rows.items()}  # type: ignore[union-attr]


def retry_intervals() -> tuple[int, ...]:
    """The pauses before each retry of a failed job: ``NIANBAO_QUEUE_RETRY``, else ``RETRY_INTERVALS``."""
    raw = os.environ.get(RETRY_ENV, "").strip()
    if not raw:
        return RETRY_INTERVALS
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise QueueError(f"{RETRY_ENV} 应为以逗号分隔的秒数（如 30,120,600），而不是 {raw!r}") from exc
    if not values or min(values) < 0:
        raise QueueError(f"{RETRY_ENV} 应为以逗号分隔的秒数（如 30,120,600），而不是 {raw!r}")
    return values


def job_sites() -> int:
    """About how many sites one job crawls: ``NIANBAO_QUEUE_JOB_SITES``, else ``JOB_SITES``."""
    raw = os.environ.get(JOB_SITES_ENV, "").strip()
    if not raw:
        return JOB_SITES
    if not raw.isdigit() or int(raw) < 1:
        raise QueueError(f"{JOB_SITES_ENV} 应为正整数（每个抓取任务的站点数），而不是 {raw!r}")
    return int(raw)


def packs(groups: Sequence[HostGroup], size: int) -> list[list[HostGroup]]:
    """Whole groups, in order, into packs of about ``size`` sites (a larger group is a pack of its own)."""
    out: list[list[HostGroup]] = []
    count = 0
    for group in groups:
        if out and count + len(group.sites) <= size:
            out[-1].append(group)
            count += len(group.sites)
        else:
            out.append([group])
            count = len(group.sites)
    return out


def new_batch(archive: Archive) -> str:
    """A round's label (also the runs' ``batch``): when it started, and a few letters to tell two apart."""
    return re.sub(r"[^0-9T]", "", archive.now())[:15] + "-" + secrets.token_hex(3)


def start_round(
    archive: Archive,
    connection: redis.Redis,
    sites: Sequence[Site],
    *,
    today: date,
    archive_id: str,
    retries: Sequence[int] | None = None,
    sites_per_job: int | None = None,
    job_timeout: int = JOB_TIMEOUT_S,
    all_years: bool = False,
) -> Round:
    """Enqueue the host groups of ``sites`` as jobs; returns the round (already recorded in Redis)."""
    pauses = list(retries if retries is not None else retry_intervals())
    batch = new_batch(archive)
    by_id = {site.id: site for site in sites}
    record = Round(batch, today, archive_id, archive.now(), {}, {})
    specs = []
    for number, pack in enumerate(packs(host_groups(sites), sites_per_job or job_sites()), start=1):
        job_id = f"crawl-{batch}-{number:05d}"
        site_ids = [site_id for group in pack for site_id in group.sites]
        known = {
            site_id: [
                [f.url, f.sha256, f.etag, f.last_modified, f.content_type]
                for f in last_fetches(archive.db, site_id)
            ]
            for site_id in site_ids
        }
        keys = [group.key for group in pack]
        spec = JobSpec(
            batch, keys, today.isoformat(), [by_id[s].to_row() for s in site_ids], known, all_years=all_years
        )
        record.jobs[job_id] = site_ids
        record.groups[job_id] = keys
        specs.append((job_id, spec))
    # The record first: a writer that meets the round's results knows what to expect.
    connection.set(round_key(batch), record.to_json())
    connection.zadd(ROUNDS, {batch: 0})
    queue = Queue(QUEUE, connection=connection)
    for job_id, spec in specs:
        named = "、".join(spec.groups[:3]) + ("等" if len(spec.groups) > 3 else "")
        queue.enqueue(
            "nianbao.queue.jobs.crawl_groups",
            spec.to_json(),
            job_id=job_id,
            description=f"抓取 {len(spec.sites)} 个站点（{named}，批次 {batch}）",
            retry=Retry(max=len(pauses), interval=pauses),
            rate_limit=RateLimit(f"host:{spec.groups[0]}", 1),
            job_timeout=job_timeout,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            meta={"batch": batch, "groups": spec.groups, "sites": spec.site_ids},
        )
    return record


def close_round(connection: redis.Redis, batch: str) -> None:
    connection.zrem(ROUNDS, batch)
