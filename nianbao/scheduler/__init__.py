"""Unattended operation: ``nianbao schedule`` runs the crawls and the digest on a timetable.

``config`` reads the TOML settings, ``jobs`` holds what runs (with injectable
crawl and digest functions), ``lock`` keeps two crawls apart, ``journal``
records every run, ``app`` builds and runs the APScheduler scheduler.
"""

from __future__ import annotations

from nianbao.scheduler.app import build_scheduler, catch_up, run
from nianbao.scheduler.config import ScheduleConfig, ScheduleConfigError, load_schedule_config
from nianbao.scheduler.jobs import Jobs
from nianbao.scheduler.journal import Journal, Outcome
from nianbao.scheduler.lock import LockBusy, crawl_lock

__all__ = [
    "Jobs",
    "Journal",
    "LockBusy",
    "Outcome",
    "ScheduleConfig",
    "ScheduleConfigError",
    "build_scheduler",
    "catch_up",
    "crawl_lock",
    "load_schedule_config",
    "run",
]
