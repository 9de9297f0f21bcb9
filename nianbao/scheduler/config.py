"""The schedule's settings: a TOML file (``nianbao schedule --config nianbao.toml``).

    [schedule]
    timezone = "Asia/Shanghai"
    data = "data"                   # the archive
    sites = "sites.yaml"            # the sites file every crawl uses
    out = "reports_out"             # where digests are written

    [schedule.weekly_crawl]         # every site, once a week
    cron = "0 2 * * mon"

    [schedule.digest]               # after the weekly crawl (it waits for a crawl still running)
    cron = "0 8 * * mon"
    xlsx = true
    mail = false                    # true: send with the [mail] table of the same file

    [schedule.daily_crawl]          # deadline season: sites still missing this year's report
    cron = "0 12 * * *"
    season = ["01-20", "04-10"]

Every key is checked (pydantic, strict: ``xlsx = "yes"`` is refused, a typo
like ``timezon`` is named with its likely meaning) and every problem reported
at once; ``nianbao config check`` runs the same checks with the mail settings
and the sites file. Cron fields are minute, hour, day of month, month, day of week, with the
day of week written as a name (mon…sun): APScheduler 3 numbers weekdays from
Monday, unlike crontab, so numbers are refused rather than misread.
Relative paths are relative to the config file's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import NianbaoError
from nianbao.tomlconfig import joined, model_problems, read_toml, table_typos

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_CRONS = {"weekly_crawl": "0 2 * * mon", "digest": "0 8 * * mon", "daily_crawl": "0 12 * * *"}
DEFAULT_SEASON = ("01-20", "04-10")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


class ScheduleConfigError(NianbaoError):
    """The schedule settings are wrong; the message names the file and the key."""


@dataclass
class JobConfig:
    cron: str
    enabled: bool = True


@dataclass
class ScheduleConfig:
    timezone: str = DEFAULT_TIMEZONE
    data: Path = Path("data")
    sites: Path = Path("sites.yaml")
    out: Path = Path("reports_out")
    weekly_crawl: JobConfig = field(default_factory=lambda: JobConfig(DEFAULT_CRONS["weekly_crawl"]))
    digest: JobConfig = field(default_factory=lambda: JobConfig(DEFAULT_CRONS["digest"]))
    daily_crawl: JobConfig = field(default_factory=lambda: JobConfig(DEFAULT_CRONS["daily_crawl"]))
    season: tuple[str, str] = DEFAULT_SEASON
    xlsx: bool = True
    csv: bool = False
    mail: bool = False
    # None: a job missed while the machine slept runs (once) however late it wakes.
    misfire_grace_seconds: int | None = None
    crawl_timeout_seconds: int = 6 * 3600
    # How long the digest waits for a crawl still running before it reports what there is.
    digest_wait_seconds: int = 4 * 3600
    source: Path | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def trigger(self, job: str) -> CronTrigger:
        return cron_trigger(getattr(self, job).cron, self.zone)

    @property
    def journal(self) -> Path:
        return self.data / "schedule-log.jsonl"

    @property
    def lock_file(self) -> Path:
        return self.data / ".crawl.lock"

    def in_season(self, day: date) -> bool:
        """Is ``day`` within the deadline season (inclusive; a season may run over New Year)?"""
        start, end = (_month_day(v) for v in self.season)
        today = (day.month, day.day)
        return start <= today <= end if start <= end else today >= start or today <= end


def cron_trigger(expression: str, zone: ZoneInfo) -> CronTrigger:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} 应有 5 个字段（分 时 日 月 星期）")
    if re.search(r"\d", fields[4]):
        raise ValueError(
            f"{expression!r}：星期请写作 mon、tue … sun（APScheduler 的星期数字与 crontab 不同）"
        )
    try:
        return CronTrigger.from_crontab(expression, timezone=zone)
    except ValueError:  # APScheduler's own message is English
        raise ValueError(
            f"{expression!r} 无效：分 0-59、时 0-23、日 1-31、月 1-12、星期 mon-sun，可用 * , - /"
        ) from None


class _Job(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    cron: str | None = None
    enabled: bool = True


class _Digest(_Job):
    xlsx: bool = True
    csv: bool = False
    mail: bool = False
    wait_hours: float = 4


class _Daily(_Job):
    season: list[str] = Field(default=list(DEFAULT_SEASON), min_length=2, max_length=2)


class _Schedule(BaseModel):
    """The [schedule] table as written: unknown keys and wrongly typed values are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)
    timezone: str = DEFAULT_TIMEZONE
    data: str = "data"
    sites: str = "sites.yaml"
    out: str = "reports_out"
    misfire_grace_hours: float | None = None
    crawl_timeout_hours: float = 6
    weekly_crawl: _Job = _Job()
    digest: _Digest = _Digest()
    daily_crawl: _Daily = _Daily()


def load_schedule_config(path: str | Path | None) -> ScheduleConfig:
    """Read the [schedule] table of ``path`` (None: every default); every problem at once."""
    if path is None:
        return _validated(ScheduleConfig(), "默认设置")
    source = Path(path)
    data = read_toml(source, ScheduleConfigError)
    problems = table_typos(data)
    raw = data.get("schedule", {})
    if not isinstance(raw, dict):
        raise ScheduleConfigError(f"{source}：schedule 应为表（[schedule]）")
    try:
        table = _Schedule.model_validate(raw)
    except ValidationError as exc:
        problems += model_problems(exc, "schedule", _Schedule)
        raise ScheduleConfigError(joined(source, problems)) from None
    if problems:
        raise ScheduleConfigError(joined(source, problems))
    base = source.resolve().parent

    def path_of(value: str) -> Path:
        found = Path(value).expanduser()
        return found if found.is_absolute() else (base / found).resolve()

    def job(key: str, sub: _Job) -> JobConfig:
        return JobConfig(sub.cron or DEFAULT_CRONS[key], sub.enabled)

    grace = table.misfire_grace_hours
    config = ScheduleConfig(
        timezone=table.timezone,
        data=path_of(table.data),
        sites=path_of(table.sites),
        out=path_of(table.out),
        weekly_crawl=job("weekly_crawl", table.weekly_crawl),
        digest=job("digest", table.digest),
        daily_crawl=job("daily_crawl", table.daily_crawl),
        season=(table.daily_crawl.season[0], table.daily_crawl.season[1]),
        xlsx=table.digest.xlsx,
        csv=table.digest.csv,
        mail=table.digest.mail,
        misfire_grace_seconds=None if grace is None else int(grace * 3600),
        crawl_timeout_seconds=int(table.crawl_timeout_hours * 3600),
        digest_wait_seconds=int(table.digest.wait_hours * 3600),
        source=source,
    )
    return _validated(config, str(source))


def _validated(config: ScheduleConfig, source: str) -> ScheduleConfig:
    problems = []
    try:
        config.zone  # noqa: B018 (validation)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"[schedule] timezone：未知时区 {config.timezone!r}（中国大陆用 Asia/Shanghai）")
    for job in DEFAULT_CRONS:
        try:
            cron_trigger(getattr(config, job).cron, ZoneInfo(DEFAULT_TIMEZONE))
        except ValueError as exc:
            problems.append(f"[schedule.{job}] cron {exc}")
    for value in config.season:
        try:
            _month_day(value)
        except ValueError:
            problems.append(f"[schedule.daily_crawl] season 中 {value!r} 应为 MM-DD（如 01-20）")
    if problems:
        raise ScheduleConfigError(joined(source, problems))
    return config


def _month_day(value: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(value.strip())
    if not match:
        raise ValueError(value)
    month, day = int(match.group(1)), int(match.group(2))
    date(2000, month, day)  # a leap year, so 02-29 is allowed
    return month, day
