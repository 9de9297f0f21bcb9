"""`nianbao sites …`: the registry of monitored agencies, kept from the lists supervisors keep.

import (shows what changes, then applies; --dry-run only shows), list,
template (an empty list to fill in), disable / enable / rename / remove.
A site is named by its id or its agency's name (or a part only it has).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.codes import LEVEL_NAMES
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure, open_archive
from nianbao.cli.names import site_named
from nianbao.cli.options import data_option

# The columns of the list `sites template` writes, with what goes in them.
TEMPLATE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("机关名称", "必填。单位全称，如 郑县教育体育局", 28),
    ("类型", "部门 / 政府 / 乡镇（也可写 市直部门、区县政府、街道办事处 等）；空白按部门", 12),
    ("地区", "选填。如 郑县", 10),
    (
        "网址",
        "年报栏目或信息公开网站的地址，可不写 http://，如 www.zhengxian.gov.cn/xxgk/nb/；多个用空格分隔",
        44,
    ),
    ("联系人", "选填。周报中“找谁”", 10),
    ("联系电话", "选填", 16),
    ("截止日期", "选填。月-日，如 02-20；空白时部门 01-31、政府 03-31，乡镇（街道）不设期限", 12),
    ("起始年度", "选填。从哪一年度的年报查起；空白时从截止日期已过的最近一个年度查起", 10),
    ("站点编号", "选填，一般留空（由网址生成）；两个单位共用一个网址时才需要填写，用小写字母、数字和 -", 16),
    ("启用", "选填。是 / 否；空白为是", 8),
)


@click.group()
def sites() -> None:
    """监测站点名单：导入、查看、停用、改名、删除。

    \b
    站点可用编号、单位名称或名称中唯一的一部分指定，如：
      nianbao sites disable 郑县教育体育局
      nianbao sites rename 郑县教育局 郑县教育体育局
    """


@sites.command("import")
@click.argument("file", metavar="名单文件", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只显示将新增、更新、停用哪些站点，不做更改。")
@data_option
def sites_import(file: str, dry_run: bool, data_dir: str) -> None:
    """导入或更新监测名单（Excel、CSV 或 YAML）。

    \b
    表头可在前几行中的任意一行（上方可有标题行），列名可写
    机关名称/单位名称、网址/网站地址/门户网站、类型/层级、地区、
    联系人、联系电话、截止日期、起始年度 等；可先用
    nianbao sites template 生成空白名单。

    \b
    先列出将新增、更新的站点和名单中已没有的站点（将停用，历史保留），
    再写入；有问题的行不导入，逐行列出，其余各行照常导入
    （此时退出码为 1）。

    \b
    示例：
      nianbao sites import 监测名单.xlsx
      nianbao sites import 监测名单.xlsx --dry-run
      nianbao sites import sites.yaml --data /srv/nianbao
    """
    result = import_file(file, data_dir, dry_run=dry_run)
    if not result.ok:
        sys.exit(1)


def import_file(
    path: str, data_dir: str, *, dry_run: bool = False, quiet: bool = False, today: date | None = None
) -> Any:
    """Import a list and print what was done (the problems always); used by `crawl --sites` too."""
    from nianbao.sitelist import import_list

    with open_archive(data_dir, create=not dry_run or Path(data_dir, "nianbao.db").exists()) as archive:
        try:
            result = import_list(archive, path, dry_run=dry_run, today=today)
        except NianbaoError as exc:
            raise Failure(str(exc)) from exc
    if quiet:  # only what needs fixing
        if result.file.problems:
            click.echo(result.file.report(), err=True)
    else:
        for line in result.lines():
            click.echo(line)
    return result


@sites.command("list")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象。")
@data_option
def sites_list(as_json: bool, data_dir: str) -> None:
    """列出已登记的站点。

    \b
    示例：
      nianbao sites list
      nianbao sites list --json
    """
    from storage.sites import list_sites

    with open_archive(data_dir, create=False) as archive:
        registered = list_sites(archive.db)
    if as_json:
        for site in registered:
            row: dict[str, Any] = site.to_row()
            row.update(
                start_urls=site.start_urls,
                allowed_domains=site.allowed_domains,
                obey_robots=site.obey_robots,
                enabled=site.enabled,
                deadline_note=site.deadline_note,
                problems=site.problems,
            )
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not registered:
        click.echo("尚未登记站点：请用 nianbao sites import 名单文件 导入")
        return
    for site in registered:
        deadline = site.effective_deadline or "不设期限"
        flags = "" if site.enabled else "  （已停用）"
        since = f"  自 {site.first_year} 年度" if site.first_year else ""
        click.echo(f"{site.id}  {site.agency}  {LEVEL_NAMES[site.level]}  截止 {deadline}{since}{flags}")
        contact = "  ".join(part for part in (site.contact, site.phone) if part)
        if contact:
            click.echo(f"    联系人：{contact}")
        for url in site.start_urls:
            click.echo(f"    {url}")
        for problem in site.problems:
            click.echo(f"    数据有误：{problem}")
    enabled = sum(1 for site in registered if site.enabled)
    click.echo(f"共 {len(registered)} 个站点（启用 {enabled}，停用 {len(registered) - enabled}）")


@sites.command("template")
@click.argument("file", metavar="[文件]", type=click.Path(dir_okay=False), default="监测名单.xlsx")
@click.option("--force", is_flag=True, help="文件已存在时覆盖。")
def sites_template(file: str, force: bool) -> None:
    """写出一份空白监测名单（含正确的表头），供填写后导入。

    \b
    按扩展名写 .xlsx（默认，含“类型”下拉选项和填写说明）、.csv 或 .yaml。

    \b
    示例：
      nianbao sites template
      nianbao sites template 监测名单.csv
    """
    path = Path(file)
    if path.exists() and not force:
        raise Failure(f"{path}: 文件已存在（要覆盖请加 --force）")
    suffix = path.suffix.lower()
    headers = [name for name, _, _ in TEMPLATE_COLUMNS]
    try:
        if suffix in (".xlsx", ".xlsm"):
            _xlsx_template(path)
        elif suffix == ".csv":
            path.write_text(",".join(headers) + "\n", encoding="utf-8-sig")
        elif suffix in (".yaml", ".yml"):
            path.write_text(_YAML_TEMPLATE, encoding="utf-8")
        else:
            raise Failure(f"{path}: 不支持的文件类型，请使用 .xlsx、.csv 或 .yaml")
    except OSError as exc:
        raise Failure(f"{path}: 无法写入（{exc.strerror}）") from exc
    click.echo(f"已写出空白名单 {path}：填写后运行 nianbao sites import {path}")


_YAML_TEMPLATE = """\
# nianbao 监测名单（键名见 docs/setup.md）
sites:
  - agency: 郑县教育体育局          # 必填
    level: department               # department 部门 | government 政府 | township 乡镇（街道）
    start_urls: [http://www.zhengxian.gov.cn/xxgk/nb/]
    # region: 郑县
    # contact: 王敏
    # phone: 0371-12345678
    # deadline: "02-20"             # 月-日；乡镇（街道）不填则不设期限
    # first_year: 2024              # 不填：从截止日期已过的最近一个年度查起
"""


def _xlsx_template(path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "监测名单"
    sheet.append([name for name, _, _ in TEMPLATE_COLUMNS])
    for index, (_name, _note, width) in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    levels = DataValidation(type="list", formula1='"部门,政府,乡镇"', allow_blank=True)
    levels.add("B2:B5000")
    sheet.add_data_validation(levels)
    notes = book.create_sheet("填写说明")
    notes.append(["列", "填写说明"])
    for name, note, _width in TEMPLATE_COLUMNS:
        notes.append([name, note])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 100
    book.save(path)


@sites.command("disable")
@click.argument("site", metavar="站点")
@data_option
def sites_disable(site: str, data_dir: str) -> None:
    """停用站点：不再抓取，也不出现在周报中；历史记录保留。

    \b
    示例：
      nianbao sites disable 郑县教育局
    """
    from storage.registry import set_enabled

    with open_archive(data_dir, create=False) as archive:
        found = site_named(archive, site)
        changed = set_enabled(archive.db, found, False, now=archive.now(), reason="手动停用")
    click.echo(
        f"已停用 {found.agency}（{found.id}）" if changed else f"{found.agency}（{found.id}）本来就已停用"
    )


@sites.command("enable")
@click.argument("site", metavar="站点")
@data_option
def sites_enable(site: str, data_dir: str) -> None:
    """重新启用已停用的站点。

    \b
    示例：
      nianbao sites enable 郑县教育局
    """
    from storage.registry import set_enabled

    with open_archive(data_dir, create=False) as archive:
        found = site_named(archive, site)
        changed = set_enabled(archive.db, found, True, now=archive.now(), reason="手动启用")
    click.echo(
        f"已启用 {found.agency}（{found.id}）" if changed else f"{found.agency}（{found.id}）本来就在启用中"
    )


@sites.command("rename")
@click.argument("site", metavar="站点")
@click.argument("new_name", metavar="新名称")
@data_option
def sites_rename(site: str, new_name: str, data_dir: str) -> None:
    """机构改革后给单位改名：仍是同一站点，编号、报告和问题记录不变。

    \b
    示例：
      nianbao sites rename 郑县教育局 郑县教育体育局
    """
    from storage.registry import rename_site

    new_name = "".join(new_name.split())
    if not new_name:
        raise Failure("新名称不能为空")
    with open_archive(data_dir, create=False) as archive:
        found = site_named(archive, site)
        if found.agency == new_name:
            click.echo(f"{found.agency}（{found.id}）的名称本来就是「{new_name}」")
            return
        rename_site(archive.db, found, new_name, now=archive.now())
    click.echo(f"已改名：{found.agency} → {new_name}（{found.id}，历史记录保留）")
    click.echo("请同时修改监测名单中的名称，否则下次导入名单时会按名单改回。")


@sites.command("remove")
@click.argument("site", metavar="站点")
@click.option("--yes", "-y", is_flag=True, help="不询问，直接删除。")
@data_option
def sites_remove(site: str, yes: bool, data_dir: str) -> None:
    """删除站点及其全部报告、问题和抓取记录（先询问）。

    只想暂时不监测时请用 nianbao sites disable（可恢复）。
    已保存的原文件不立即删除，可用 nianbao db check --remove-orphans 清理。

    \b
    示例：
      nianbao sites remove 郑县教育局
      nianbao sites remove 郑县教育局 --yes
    """
    from storage.registry import remove_site, site_data

    with open_archive(data_dir, create=False) as archive:
        found = site_named(archive, site)
        counts = site_data(archive.db, found.id)
        held = "，".join(f"{label} {count}" for label, count in counts.items() if count) or "没有任何记录"
        click.echo(f"将删除 {found.agency}（{found.id}）：{held}")
        if not yes:
            click.confirm("确定删除吗？此操作不能撤销", abort=True)
        remove_site(archive.db, found, now=archive.now())
    click.echo(f"已删除 {found.agency}（{found.id}）")


def register(group: click.Group) -> None:
    group.add_command(sites)
