"""What the queue is doing: jobs by state, workers, failures, rounds and what waits to be written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from nianbao.queue.connection import QUEUE
from nianbao.queue.messages import STREAM, WRITERS
from nianbao.queue.rounds import ROUNDS, load_round, written
from nianbao.queue.sender import progress_key


@dataclass
class RunningJob:
    job_id: str
    groups: str
    worker: str
    sites_done: int
    sites: int


@dataclass
class FailedJob:
    job_id: str
    groups: str
    reason: str


@dataclass
class RoundStatus:
    batch: str
    today: str
    sites: int
    written: int
    errors: int
    open: bool


@dataclass
class WorkerStatus:
    name: str
    hostname: str
    state: str
    job_id: str | None


@dataclass
class QueueStatus:
    queued: int = 0
    running: list[RunningJob] = field(default_factory=list)
    scheduled: int = 0  # waiting for a retry
    failed: list[FailedJob] = field(default_factory=list)
    finished: int = 0
    workers: list[WorkerStatus] = field(default_factory=list)
    stream_entries: int = 0  # results not yet written (held or unread)
    rounds: list[RoundStatus] = field(default_factory=list)


def queue_status(connection: redis.Redis, *, rounds: int = 5) -> QueueStatus:
    queue = Queue(QUEUE, connection=connection)
    out = QueueStatus(
        queued=queue.count,
        scheduled=ScheduledJobRegistry(queue=queue).count,  # type: ignore[no-untyped-call]
        finished=FinishedJobRegistry(queue=queue).count,
    )
    for job_id in StartedJobRegistry(queue=queue).get_job_ids():
        job = Job.fetch(job_id, connection=connection) if connection.exists(f"rq:job:{job_id}") else None
        progress = {k.decode(): v.decode() for k, v in connection.hgetall(progress_key(job_id)).items()}  # type: ignore[union-attr]
        meta: dict[str, Any] = job.meta if job is not None else {}
        out.running.append(
            RunningJob(
                job_id,
                "、".join(meta.get("groups", [])),
                progress.get("worker", ""),
                int(progress.get("done", 0)),
                int(progress.get("total", len(meta.get("sites", [])))),
            )
        )
    failed = FailedJobRegistry(queue=queue)
    for job in Job.fetch_many(failed.get_job_ids(), connection=connection):
        if job is None:
            continue
        result = job.latest_result()
        text = (result.exc_string or "") if result is not None else ""
        reason = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
        out.failed.append(FailedJob(job.id, "、".join(job.meta.get("groups", [])), reason))
    for worker in Worker.all(connection=connection):
        out.workers.append(
            WorkerStatus(worker.name, worker.hostname or "", worker.get_state(), worker.get_current_job_id())
        )
    out.stream_entries = int(connection.xlen(STREAM)) if connection.exists(STREAM) else 0
    batches = [b.decode() for b in connection.zrange(ROUNDS, 0, -1)]  # type: ignore[union-attr]
    seen = set(batches)
    for key in connection.scan_iter(match="nianbao:round:*:written", count=500):
        batch = key.decode().removeprefix("nianbao:round:").removesuffix(":written")
        if batch not in seen:
            batches.append(batch)
            seen.add(batch)
    for batch in sorted(batches, reverse=True)[:rounds]:
        record = load_round(connection, batch)
        if record is None:
            continue
        done = written(connection, batch)
        out.rounds.append(
            RoundStatus(
                batch,
                record.today.isoformat(),
                len(record.sites),
                len(done),
                sum(1 for s in done.values() if s.get("status") != "ok"),
                connection.zscore(ROUNDS, batch) is not None,
            )
        )
    return out


def pending_for_writer(connection: redis.Redis) -> int:
    """Entries delivered to the writer and not yet acknowledged."""
    try:
        info = connection.xpending(STREAM, WRITERS)
    except redis.ResponseError:
        return 0
    return int(info["pending"]) if isinstance(info, dict) else 0


def as_json(status: QueueStatus) -> str:
    from dataclasses import asdict

    return json.dumps(asdict(status), ensure_ascii=False)
