"""Importing a sites list into the registry: read, validate, plan, explain, apply.

The one way a list enters the registry (``sites import``, ``crawl --sites``,
the scheduled crawls). What it decides beyond the file:

- a new site without 起始年度 is expected to have published from the latest
  report year whose deadline has passed (not three years back: a first crawl
  would open with findings hundreds of days overdue), and the import says so;
- a township without 截止日期 is not held to any deadline, and the import says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from monitor.codes import RunStatus
from monitor.publication import due_years
from storage.archive import Archive
from storage.registry import Change, ImportPlan, apply_import, plan_import
from storage.sitefiles import LABELS, SitesFile, read_sites
from storage.sites import FIELDS, Site


@dataclass
class ListImport:
    file: SitesFile
    plan: ImportPlan
    first_years: dict[int, list[str]] = field(default_factory=dict)  # year → agencies given it by default
    no_deadline: list[str] = field(default_factory=list)  # townships held to no deadline
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file.problems

    def lines(self) -> list[str]:
        """What the import found and does, in Chinese, for the terminal and the scheduler's log."""
        return explain(self)


def default_first_year(site: Site, today: date) -> int | None:
    """The latest report year whose deadline has passed by ``today`` (None: no deadline applies)."""
    years = due_years(site.level, today, site.deadline, None)
    return years[-1] if years else None


def import_list(
    archive: Archive, path: str | Path, *, dry_run: bool = False, today: date | None = None
) -> ListImport:
    """Read ``path``, plan the changes to the registry and (unless ``dry_run``) apply them.

    Rows with problems are left out and listed; every good row is imported.
    ``SitesFileError`` when the file as a whole cannot be read.
    """
    source = str(Path(path).expanduser().resolve())
    file = read_sites(path)
    today = today or archive.today()
    outcome = ListImport(file, ImportPlan(source))
    defaulted: dict[str, int] = {}  # site id → the first year it was given here
    for index, item in enumerate(file.sites):
        if item.site.first_year is None:
            year = default_first_year(item.site, today)
            if year is not None:
                file.sites[index] = replace(item, site=replace(item.site, first_year=year))
                defaulted[item.site.id] = year
    plan = plan_import(archive.db, file.sites, source, complete=not file.problems)
    for item in plan.added:
        if item.site.id in defaulted:
            outcome.first_years.setdefault(defaulted[item.site.id], []).append(item.site.agency)
    # A derived first year applies to new sites only; a registered site keeps the one it has.
    derived_ids = {item.site.id for item in file.sites if item.site.id in defaulted}
    for change in plan.changed:
        if "first_year" in change.fields and _row_id(file, change) in derived_ids:
            change.new.first_year = change.old.first_year
            del change.fields["first_year"]
    plan.unchanged += [c.new for c in plan.changed if not c.fields]
    plan.changed = [c for c in plan.changed if c.fields]
    outcome.plan = plan
    outcome.no_deadline = [site.agency for site in plan.sites if site.enabled and not site.held_to_deadline]
    if not dry_run:
        apply_import(archive.db, plan, now=archive.now())
        outcome.applied = True
    return outcome


def record_unusable(archive: Archive, sites: list[Site], batch: str | None = None) -> list[dict[str, Any]]:
    """Record a crawl run in error for each site whose stored data is unusable, with the reason.

    Such a site is not crawled (its deadline or addresses cannot be used); the
    error run is what the digest's "could not be checked" shows. Returns rows
    shaped like the crawl summary's.
    """
    from storage.runs import start_run

    rows = []
    for site in sites:
        reasons = [f"站点数据有误：{problem}" for problem in site.problems] + [
            "请改正名单后用 nianbao sites import 重新导入"
        ]
        summary = start_run(archive, site.id, kind="crawl", batch=batch).finish_failed(errors=reasons)
        rows.append(
            {
                "site_id": site.id,
                "agency": site.agency,
                "status": str(RunStatus.ERROR),
                "run_id": summary.run_id,
                "counts": {},
                "problems": [],
                "reasons": reasons,
                "opened": 0,
                "reopened": 0,
                "resolved": 0,
            }
        )
    return rows


def _row_id(file: SitesFile, change: Change) -> str | None:
    """The id the list's row had before it was matched to a registered site."""
    return next((item.site.id for item in file.sites if item.where == change.where), None)


def _value(name: str, value: object) -> str:
    if value is None or value == []:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def explain(result: ListImport) -> list[str]:
    file, plan = result.file, result.plan
    lines = [f"{file.path}：读取 {file.rows} 行，可导入 {len(file.sites)} 个站点"]
    lines += [f"  {note}" for note in file.notes]
    if file.problems:
        lines.append(f"以下 {len(file.problems)} 处问题所在的行未导入（改正后重新导入即可）：")
        lines += [f"  {problem}" for problem in file.problems]
    verb = "将" if not result.applied else "已"
    if plan.added:
        lines.append(f"{verb}新增 {len(plan.added)} 个站点：")
        lines += [f"  + {item.site.agency}（{item.site.id}）" for item in plan.added]
    if plan.changed:
        lines.append(f"{verb}更新 {len(plan.changed)} 个站点：")
        for change in plan.changed:
            what = "；".join(
                f"{LABELS.get(name, name)} {_value(name, before)} → {_value(name, after)}"
                for name, (before, after) in change.fields.items()
                if name in FIELDS
            )
            lines.append(f"  ~ {change.old.agency}（{change.old.id}）：{what}")
    if plan.gone:
        lines.append(
            f"名单中已没有 {len(plan.gone)} 个站点，{verb}停用（历史保留；要删除请用 nianbao sites remove）："
        )
        lines += [f"  - {site.agency}（{site.id}）" for site in plan.gone]
    elif file.problems:
        lines.append("名单有未导入的行，本次不停用名单中没有的站点")
    if plan.unchanged:
        lines.append(f"未变化 {len(plan.unchanged)} 个站点")
    for year, agencies in sorted(result.first_years.items()):
        lines.append(
            f"未填写起始年度的 {len(agencies)} 个新站点：从 {year} 年度报告查起（截止日期已过的最近一年）；"
            "要查更早的年度，请在名单的 起始年度 列填写"
        )
    if result.no_deadline:
        lines.append(
            f"{len(result.no_deadline)} 个乡镇（街道）没有截止日期，不判断其年报是否逾期或缺失"
            f"（{'、'.join(result.no_deadline[:5])}{'等' if len(result.no_deadline) > 5 else ''}）；"
            "要按期检查，请在名单的 截止日期 列填写（如 02-20）"
        )
    if not result.applied:
        lines.append("（试运行：未做任何更改）")
    return lines
