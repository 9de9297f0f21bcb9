"""Checking every setting before anything runs: the schedule, the mail settings, the sites list.

``nianbao config check`` and ``nianbao schedule --list`` (and the scheduler
at start) use this, so a typo, a missing [mail] table or a bad row of the
sites list is reported at set-up, every problem at once, never first when a
job runs at night.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import NianbaoError
from nianbao.digest.mail import mail_problems
from nianbao.scheduler.config import ScheduleConfig, load_schedule_config
from nianbao.tomlconfig import read_toml
from storage.sitefiles import read_sites


@dataclass
class SettingsCheck:
    config: ScheduleConfig | None = None
    checked: list[str] = field(default_factory=list)  # what was found right, one line each
    problems: list[str] = field(default_factory=list)  # settings that stop a job (schedule, mail)
    sites_problems: list[str] = field(default_factory=list)  # rows of the list that will not be imported

    @property
    def ok(self) -> bool:
        return not self.problems and not self.sites_problems


def check_settings(path: str | Path | None, *, sites: str | Path | None = None) -> SettingsCheck:
    """Check the settings file ``path`` (None: the defaults) and the sites list it names (or ``sites``)."""
    result = SettingsCheck()
    try:
        result.config = load_schedule_config(path)
    except NianbaoError as exc:
        result.problems.append(str(exc))
    else:
        config = result.config
        result.checked.append(f"计划任务设置：时区 {config.timezone}，数据目录 {config.data}")
    if path is not None:
        _check_mail(Path(path), result)
    sites_file = Path(sites) if sites else (result.config.sites if result.config else _raw_sites(path))
    if sites_file is not None:
        _check_sites(sites_file, result, named_by="--sites" if sites else "[schedule] sites")
    return result


def _check_mail(path: Path, result: SettingsCheck) -> None:
    try:
        data = read_toml(path, NianbaoError)
    except NianbaoError:
        return  # already reported by the schedule check
    table = data.get("mail")
    digest = data.get("schedule", {}).get("digest", {}) if isinstance(data.get("schedule"), dict) else {}
    wants_mail = (
        result.config.mail if result.config else isinstance(digest, dict) and digest.get("mail") is True
    )
    if table is None:
        if wants_mail:
            result.problems.append(
                f"{path}：[schedule.digest] mail = true，但文件中没有 [mail] 设置（收件人、发件服务器）"
            )
        return
    problems = mail_problems(table)
    result.problems += [f"{path}：{problem}" for problem in problems]
    if not problems:
        to = table["to"] if isinstance(table["to"], list) else [table["to"]]
        result.checked.append(f"邮件设置：经 {table['host']} 发往 {'、'.join(to)}")


def _raw_sites(path: str | Path | None) -> Path | None:
    """The sites list a settings file names, read without validating the rest (to check it too)."""
    if path is None:
        return None
    try:
        table = read_toml(Path(path), NianbaoError).get("schedule", {})
    except NianbaoError:
        return None
    value = table.get("sites", "sites.yaml") if isinstance(table, dict) else None
    if not isinstance(value, str):
        return None
    found = Path(value).expanduser()
    return found if found.is_absolute() else (Path(path).resolve().parent / found).resolve()


def _check_sites(path: Path, result: SettingsCheck, *, named_by: str) -> None:
    if not path.exists():
        result.sites_problems.append(f"{path}：网站清单不存在（{named_by}）")
        return
    try:
        loaded = read_sites(path)
    except NianbaoError as exc:
        result.problems.append(str(exc))
        return
    if loaded.problems:
        result.sites_problems.append(loaded.report())
    result.checked.append(
        f"网站清单 {path}：{len(loaded.sites)} 个站点可导入"
        + (f"，{len(loaded.problems)} 处问题" if loaded.problems else "")
    )
