"""A crawl worker: an RQ worker on the crawl queue, with its scheduler (retries wait in it).

The intervals are short on purpose: a worker's heartbeat every few seconds,
maintenance (which finds the jobs of a dead worker and retries them) every ten
seconds when idle. RQ adds 60 s to every heartbeat's time-to-live, so a job whose
worker was killed is retried about 65–80 s later, by another worker.
"""

from __future__ import annotations

import os

from rq import Queue, Worker

from nianbao.queue.connection import QUEUE, connect
from nianbao.queue.jobs import NAME_ENV, URL_ENV, worker_name

WORKER_TTL_S = 30  # an idle worker waits this long (less 15 s) for a job, then does its maintenance
JOB_MONITORING_S = 5  # heartbeat of a busy worker
MAINTENANCE_S = 10


def run_worker(url: str, *, name: str | None = None, burst: bool = False) -> bool:
    """Take jobs from the queue at ``url`` until stopped (or, with ``burst``, until it is empty)."""
    connection = connect(url)
    os.environ[URL_ENV] = url  # the work horse hands results to the same server
    if name:
        os.environ[NAME_ENV] = name
    worker = Worker(
        [Queue(QUEUE, connection=connection)],
        connection=connection,
        name=name or worker_name(),
        worker_ttl=WORKER_TTL_S,
        job_monitoring_interval=JOB_MONITORING_S,
        maintenance_interval=MAINTENANCE_S,
    )
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
