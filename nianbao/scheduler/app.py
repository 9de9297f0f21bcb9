"""The scheduler: APScheduler 3 in the foreground, with the three jobs of ``Jobs``.

- every job coalesces: runs missed while the machine slept run once on wake;
- ``max_instances=1`` per job and the crawl lock across jobs: crawls never overlap;
- on start, a job whose last scheduled time passed while the scheduler was
  down (the journal shows no run since) runs once at once ("catch-up");
- Ctrl-C or SIGTERM stops the scheduler and any crawl child, and returns.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from nianbao.scheduler.jobs import DAILY, DIGEST, WEEKLY, Jobs
from nianbao.scheduler.journal import Outcome

log = logging.getLogger("nianbao.schedule")

JOB_NAMES = {WEEKLY: "每周抓取全部网站", DIGEST: "每周生成周报", DAILY: "发布季每日抓取未发布的网站"}
# A digest caught up at start-up waits this long, so that a crawl caught up with it takes the lock first.
DIGEST_CATCH_UP_DELAY = timedelta(minutes=1)


def build_scheduler(
    jobs: Jobs,
    *,
    scheduler_class: Callable[..., BaseScheduler] = BlockingScheduler,
    executor: BaseExecutor | None = None,
    now: datetime | None = None,
) -> BaseScheduler:
    """A scheduler holding the enabled jobs (not started)."""
    config = jobs.config
    scheduler = scheduler_class(
        timezone=config.zone,
        executors={"default": executor or ThreadPoolExecutor(max_workers=3)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.misfire_grace_seconds,
        },
    )
    functions = {WEEKLY: jobs.weekly_crawl, DIGEST: jobs.digest, DAILY: jobs.daily_crawl}
    due = catch_up(jobs, now or jobs.clock())
    for job_id, function in functions.items():
        if not getattr(config, job_id).enabled:
            continue
        options: dict[str, Any] = {}
        if job_id in due:
            options["next_run_time"] = due[job_id]
            log.info("%s: missed while the scheduler was down, runs at %s", job_id, due[job_id])
        scheduler.add_job(function, config.trigger(job_id), id=job_id, name=JOB_NAMES[job_id], **options)
    scheduler.add_listener(_listener(jobs), EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def catch_up(jobs: Jobs, now: datetime) -> dict[str, datetime]:
    """Jobs whose scheduled time passed since their last recorded run, with when to run them now.

    A job never run before is not caught up: a first start waits for the schedule.
    """
    due: dict[str, datetime] = {}
    for job_id in (WEEKLY, DAILY, DIGEST):
        if not getattr(jobs.config, job_id).enabled:
            continue
        last = jobs.journal.last_run(job_id)
        if last is None:
            continue
        since = datetime.fromisoformat(last.started).astimezone(jobs.config.zone) + timedelta(seconds=1)
        missed = jobs.config.trigger(job_id).get_next_fire_time(None, since)
        if missed is not None and missed <= now:
            due[job_id] = now + (DIGEST_CATCH_UP_DELAY if job_id == DIGEST else timedelta(0))
    return due


def _listener(jobs: Jobs) -> Callable[[Any], None]:
    def on_event(event: JobExecutionEvent | JobSubmissionEvent) -> None:
        stamp = jobs.clock().isoformat(timespec="seconds")
        if event.code == EVENT_JOB_MAX_INSTANCES:
            jobs.journal.record(
                Outcome(event.job_id, "skipped", stamp, stamp, "上一次运行尚未结束，本次不运行")
            )
        elif event.code == EVENT_JOB_MISSED:
            jobs.journal.record(
                Outcome(event.job_id, "skipped", stamp, stamp, "错过运行时间且超过允许的延迟")
            )
        elif event.code == EVENT_JOB_ERROR:  # Jobs catch their own errors; this is a bug's last net
            jobs.journal.record(Outcome(event.job_id, "failed", stamp, stamp, repr(event.exception)))
        log.warning("%s: event %s", event.job_id, event.code)

    return on_event


def run(jobs: Jobs, *, scheduler: BaseScheduler | None = None) -> None:
    """Run in the foreground until Ctrl-C or SIGTERM; then stop the jobs and return."""
    scheduler = scheduler or build_scheduler(jobs)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        for job in scheduler.get_jobs():
            log.info("scheduled %s (%s): next run %s", job.id, job.name, _next_run(scheduler, job.id))
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
        jobs.stop()
        if scheduler.state != STATE_STOPPED:
            scheduler.shutdown(wait=False)
        log.info("stopped")


def _next_run(scheduler: BaseScheduler, job_id: str) -> str:
    job = scheduler.get_job(job_id)
    run_time = getattr(job, "next_run_time", None) if job else None
    if run_time is None and job is not None:
        run_time = job.trigger.get_next_fire_time(None, datetime.now(scheduler.timezone))
    return run_time.isoformat(timespec="minutes") if run_time else "—"
