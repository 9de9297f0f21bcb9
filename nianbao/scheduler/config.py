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

Cron fields are minute, hour, day of month, month, day of week, with the
day of week written as a name (mon…sun): APScheduler 3 numbers weekdays from
Monday, unlike crontab, so numbers are refused rather than misread.
Relative paths are relative to the config file's folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from monitor.errors import NianbaoError

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
    return CronTrigger.from_crontab(expression, timezone=zone)


def load_schedule_config(path: str | Path | None) -> ScheduleConfig:
    """Read the [schedule] table of ``path`` (None: every default)."""
    if path is None:
        return _validated(ScheduleConfig(), "默认设置")
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScheduleConfigError(f"{source}：无法读取配置文件（{exc.strerror}）") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleConfigError(f"{source}：不是有效的 TOML（{exc}）") from exc
    table: dict[str, Any] = data.get("schedule", {})
    base = source.resolve().parent

    def where(key: str) -> str:
        return f"{source}：[schedule] {key}"

    def path_of(key: str, default: Path) -> Path:
        value = Path(str(table.get(key, default))).expanduser()
        return value if value.is_absolute() else (base / value).resolve()

    def job(key: str) -> JobConfig:
        sub = table.get(key, {})
        if not isinstance(sub, dict):
            raise ScheduleConfigError(f"{where(key)} 应为表（[schedule.{key}]）")
        return JobConfig(str(sub.get("cron", DEFAULT_CRONS[key])), bool(sub.get("enabled", True)))

    digest = table.get("digest", {}) if isinstance(table.get("digest", {}), dict) else {}
    daily = table.get("daily_crawl", {}) if isinstance(table.get("daily_crawl", {}), dict) else {}
    season = daily.get("season", list(DEFAULT_SEASON))
    if not (isinstance(season, list) and len(season) == 2):
        raise ScheduleConfigError(f'{where("daily_crawl.season")} 应为 ["01-20", "04-10"] 形式')
    grace = table.get("misfire_grace_hours")
    config = ScheduleConfig(
        timezone=str(table.get("timezone", DEFAULT_TIMEZONE)),
        data=path_of("data", Path("data")),
        sites=path_of("sites", Path("sites.yaml")),
        out=path_of("out", Path("reports_out")),
        weekly_crawl=job("weekly_crawl"),
        digest=job("digest"),
        daily_crawl=job("daily_crawl"),
        season=(str(season[0]), str(season[1])),
        xlsx=bool(digest.get("xlsx", True)),
        csv=bool(digest.get("csv", False)),
        mail=bool(digest.get("mail", False)),
        misfire_grace_seconds=None if grace is None else int(float(grace) * 3600),
        crawl_timeout_seconds=int(float(table.get("crawl_timeout_hours", 6)) * 3600),
        digest_wait_seconds=int(float(digest.get("wait_hours", 4)) * 3600),
        source=source,
    )
    return _validated(config, str(source))


def _validated(config: ScheduleConfig, source: str) -> ScheduleConfig:
    try:
        config.zone  # noqa: B018 (validation)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleConfigError(f"{source}：未知时区 {config.timezone!r}") from None
    for job in DEFAULT_CRONS:
        try:
            config.trigger(job)
        except ValueError as exc:
            raise ScheduleConfigError(f"{source}：[schedule.{job}] cron {exc}") from None
    for value in config.season:
        try:
            _month_day(value)
        except ValueError:
            raise ScheduleConfigError(
                f"{source}：[schedule.daily_crawl] season 中 {value!r} 应为 MM-DD"
            ) from None
    return config


def _month_day(value: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(value.strip())
    if not match:
        raise ValueError(value)
    month, day = int(match.group(1)), int(match.group(2))
    date(2000, month, day)  # a leap year, so 02-29 is allowed
    return month, day
