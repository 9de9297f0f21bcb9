"""Archive commands: `ingest`, `findings`, `sites import|list`, `reparse`, `db check`.

Thin shells around storage/: each opens the archive in --data, calls one
function and prints the result in Chinese (or JSON, one object per line).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.codes import LEVEL_NAMES, SEVERITY_NAMES
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure, open_archive
from nianbao.cli.options import DATE, data_option

STATUS_NAMES = {"open": "未解决", "resolved": "已解决"}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--site", "site_id", required=True, help="The registered site the report belongs to.")
@click.option("--year", type=int, help="The year the report covers (default: from its title).")
@click.option("--url", help="Where the report was published, if known.")
@click.option("--published", type=DATE, help="The date it was published (enables PUB.LATE).")
@data_option
def ingest(
    paths: tuple[str, ...],
    site_id: str,
    year: int | None,
    url: str | None,
    published: date | None,
    data_dir: str,
) -> None:
    """Archive and check reports received by other means (upload, e-mail).

    Each file is stored byte for byte, read, checked and its findings
    recorded exactly as for a crawled report; a corrected version resolves
    the findings it fixed. Ingesting bytes already archived changes nothing.
    A file that cannot be read is kept and recorded as CRAWL.DOCUMENT_FAILED.

    \b
    Examples:
      nianbao ingest 2023年报.pdf --site gzjkq-jtfw --published 2024-01-25
      nianbao ingest received/*.docx --site wbq-jyj --data /srv/nianbao
    """
    from nianbao.ingest import ingest_bytes

    if url and len(paths) > 1:
        raise click.UsageError("--url 只能用于单个文件")
    failed = False
    with open_archive(data_dir) as archive:
        for path in paths:
            try:
                body = Path(path).read_bytes()
            except OSError as exc:  # missing, a directory, no permission: say so and go on with the rest
                problem = "是目录而不是文件" if Path(path).is_dir() else f"无法读取文件（{exc.strerror}）"
                click.echo(f"nianbao: 错误：{path}: {problem}", err=True)
                failed = True
                continue
            try:
                result = ingest_bytes(
                    archive, site_id, body, name=path, year=year, url=url, published=published
                )
            except NianbaoError as exc:
                raise Failure(f"{path}: {exc}") from exc
            year_text = f"{result.year} 年" if result.year else "年度未识别"
            if result.status == "unchanged":
                click.echo(f"未变化 {path}：与已入库的版本相同（{site_id}，{year_text}）")
            elif result.status == "unreadable":
                click.echo(f"无法解析 {path}：{result.problem}；原文件已保存，记为 CRAWL.DOCUMENT_FAILED")
            else:
                click.echo(
                    f"已入库 {path}：{site_id}，{year_text}，发现问题 {len(result.findings)} 项"
                    f"（新增 {result.opened}，重新出现 {result.reopened}，已解决 {result.resolved}）"
                )
    if failed:
        sys.exit(2)


@click.command()
@click.option("--site", "site_id", help="Only this site.")
@click.option("--code", help="Only this code, or a family with a trailing dot (CALC.).")
@click.option("--year", type=int, help="Only findings about this report year.")
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@data_option
def findings(
    site_id: str | None, code: str | None, year: int | None, status: str, as_json: bool, data_dir: str
) -> None:
    """List findings with their history: first seen, last seen, resolved.

    \b
    --json prints one object per line with site, agency, year, code,
    severity, message, evidence, url, first_seen, last_seen, resolved_at,
    status, reopened, fingerprint.

    \b
    Examples:
      nianbao findings
      nianbao findings --site gzjkq-jtfw --status all
      nianbao findings --code CALC. --json
    """
    from storage.queries import iter_findings

    # Rows are printed as SQLite reads them: memory stays the same however many findings the archive holds.
    with open_archive(data_dir, create=False) as archive:
        rows = iter_findings(archive.db, site_id=site_id, code=code, status=status, year=year)  # type: ignore[arg-type]
        if as_json:
            for row in rows:
                click.echo(json.dumps(row.to_json(), ensure_ascii=False))
            return
        count = 0
        for row in rows:
            count += 1
            year_text = f"{row.year} 年" if row.year else "—"
            state = STATUS_NAMES[row.status] + (f"（曾重新出现 {row.reopened} 次）" if row.reopened else "")
            click.echo(
                f"{row.agency}（{row.site}） {year_text}  {SEVERITY_NAMES.get(row.severity, row.severity)}  "
                f"{row.code}  {state}"
            )
            click.echo(f"    {row.message}")
            history = f"首次发现 {row.first_seen}，最近一次 {row.last_seen}"
            if row.resolved_at:
                history += f"，解决于 {row.resolved_at}"
            click.echo(f"    {history}" + (f"\n    {row.url}" if row.url else ""))
    click.echo(f"共 {count} 项" if count else "没有符合条件的问题")


@click.group()
def sites() -> None:
    """The sites registry: the agencies nianbao monitors."""


@sites.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@data_option
def sites_import(file: str, data_dir: str) -> None:
    """Add or update sites from a YAML sites file or a CSV/XLSX list.

    \b
    CSV/XLSX headers may be the YAML keys (id, agency, level, region,
    start_urls, allowed_domains, deadline, first_year, obey_robots, enabled)
    or Chinese names (机关名称, 层级, 地区, 网址, 截止日期, 起始年度, …).

    \b
    Examples:
      nianbao sites import sites.yaml
      nianbao sites import 监测名单.xlsx --data /srv/nianbao
    """
    from storage.sitefiles import load_sites
    from storage.sites import save_sites

    try:
        loaded = load_sites(file)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    with open_archive(data_dir) as archive:
        result = save_sites(archive.db, loaded, now=archive.now(), source=str(file))
    click.echo(
        f"{file}：共 {len(loaded)} 个站点，新增 {len(result.added)}，更新 {len(result.updated)}，"
        f"未变化 {len(result.unchanged)}"
    )


@sites.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@data_option
def sites_list(as_json: bool, data_dir: str) -> None:
    """List registered sites.

    \b
    Example:
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
            )
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not registered:
        click.echo("尚未登记站点：请用 nianbao sites import FILE 导入")
        return
    for site in registered:
        deadline = site.effective_deadline or "无"
        flags = "" if site.enabled else "  （已停用）"
        click.echo(f"{site.id}  {site.agency}  {LEVEL_NAMES[site.level]}  截止 {deadline}{flags}")
        for url in site.start_urls:
            click.echo(f"    {url}")
    click.echo(f"共 {len(registered)} 个站点")


@click.command()
@click.option("--site", "site_id", help="Only this site.")
@data_option
def reparse(site_id: str | None, data_dir: str) -> None:
    """Read every current report again from its stored bytes and re-check it.

    Run after the parser improves; findings the new reading no longer
    produces are resolved, new ones opened.

    \b
    Examples:
      nianbao reparse
      nianbao reparse --site gzjkq-jtfw
    """
    from nianbao.reparse import reparse as run_reparse

    with open_archive(data_dir, create=False) as archive:
        results = run_reparse(archive, site_id)
    for r in results:
        f = r.summary.findings
        click.echo(
            f"{r.site_id}：重新解析 {r.reports} 份报告（无法解析 {r.unreadable}），"
            f"新增问题 {len(f.opened)}，重新出现 {len(f.reopened)}，已解决 {len(f.resolved)}"
        )
    if not results:
        click.echo("没有可重新解析的报告")


@click.group()
def db() -> None:
    """The archive database itself."""


@db.command("check")
@click.option("--verify", is_flag=True, help="Also re-hash every stored document (slow).")
@click.option(
    "--remove-orphans",
    is_flag=True,
    help="Delete unreferenced blobs and temporary files older than 24 h (younger ones may belong to a running crawl).",
)
@data_option
def db_check(verify: bool, remove_orphans: bool, data_dir: str) -> None:
    """Check the database's integrity and that every document's bytes are stored.

    Exit status 1 when something is damaged; unreferenced blobs (left by an
    interrupted run) are reported but are not damage.

    \b
    Examples:
      nianbao db check
      nianbao db check --verify --remove-orphans
    """
    from storage.integrity import check_archive
    from storage.integrity import remove_orphans as remove

    with open_archive(data_dir, create=False) as archive:
        report = check_archive(archive, verify=verify)
        removed = remove(archive, report) if remove_orphans else 0
    counts = report.counts
    click.echo(f"数据库：{Path(data_dir) / 'nianbao.db'}（结构版本 {report.schema}）")
    click.echo(f"完整性检查：{report.integrity}")
    click.echo(
        f"站点 {counts['sites']}，运行 {counts['runs']}，文档 {counts['documents']}，"
        f"报告 {counts['reports']}，问题 {counts['findings']}（未解决 {counts['open_findings']}）"
    )
    problems = [
        *report.foreign_key_errors,
        *(f"文档原文缺失：{sha}" for sha in report.missing_blobs),
        *(f"文档原文已损坏（哈希不符）：{sha}" for sha in report.corrupt_blobs),
    ]
    for line in problems:
        click.echo(f"  {line}")
    if report.orphan_blobs or report.temp_files:
        kept = len(report.orphan_blobs) + len(report.temp_files) - removed
        if remove_orphans:
            action = f"，已删除 {removed} 个" + (
                f"，保留 {kept} 个 24 小时内写入的（可能属于正在进行的抓取）" if kept else ""
            )
        else:
            action = "（可用 --remove-orphans 删除 24 小时前写入的）"
        click.echo(
            f"未被引用的原文 {len(report.orphan_blobs)} 个，临时文件 {len(report.temp_files)} 个{action}"
        )
    if not report.ok:
        raise click.exceptions.Exit(1)
    click.echo("正常")


def register(group: click.Group) -> None:
    for command in (ingest, findings, sites, reparse, db):
        group.add_command(command)
