"""Archive commands: `ingest`, `findings`, `reparse`, `db check` (`sites …` is in ``cli.sites``).

Thin shells around storage/: each opens the archive in --data, calls one
function and prints the result in Chinese (or JSON, one object per line).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from monitor.codes import SEVERITY_NAMES
from monitor.errors import NianbaoError, UnreadableInput
from nianbao.cli.errors import Failure, one_line, open_archive
from nianbao.cli.names import finding_code, site_named
from nianbao.cli.options import DATE, data_option

STATUS_NAMES = {"open": "未解决", "resolved": "已解决"}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="文件...")
@click.option("--site", "site_id", required=True, metavar="站点", help="报告所属站点：编号或单位名称。")
@click.option("--year", type=int, metavar="年度", help="报告的年度（默认从标题识别）。")
@click.option("--url", metavar="网址", help="报告发布的网址（如已知）。")
@click.option("--published", type=DATE, help="发布日期（据此检查 PUB.LATE）。")
@data_option
def ingest(
    paths: tuple[str, ...],
    site_id: str,
    year: int | None,
    url: str | None,
    published: date | None,
    data_dir: str,
) -> None:
    """将通过其他途径收到的年报（上传、邮件）入库并检查。

    每个文件原样保存，读取、检查并记录问题，与抓取到的报告完全相同；
    改正后的新版本会解决它已改正的问题。已入库的相同文件不会重复记录。
    无法读取的文件也会保存，并记为 CRAWL.DOCUMENT_FAILED；超过 40 MB 的文件和
    设备、管道等非普通文件不读取也不保存，报错并继续处理其余文件。

    \b
    示例：
      nianbao ingest 2023年报.pdf --site gzjkq-jtfw --published 2024-01-25
      nianbao ingest received/*.docx --site wbq-jyj --data /srv/nianbao
    """
    from monitor.readers import read_bytes
    from nianbao.ingest import ingest_bytes
    from nianbao.reading import IsolatedReader

    if url and len(paths) > 1:
        raise click.UsageError("--url 只能用于单个文件")
    failed = False
    # Read under the reading limits in a worker process, started before the archive is opened.
    with IsolatedReader(start="fork").start() as reader, open_archive(data_dir) as archive:
        site_id = site_named(archive, site_id).id
        for path in paths:
            shown = one_line(path)  # an odd name (a newline, bytes that are not UTF-8) stays on one line
            try:
                body = read_bytes(path)  # only a regular file, of at most MAX_INPUT_BYTES
            except UnreadableInput as exc:  # missing, a directory, a FIFO, too large: say so, go on
                click.echo(f"nianbao: 错误：{shown}: {exc.problem}", err=True)
                failed = True
                continue
            try:
                result = ingest_bytes(
                    archive, site_id, body, name=path, year=year, url=url, published=published, reader=reader
                )
            except NianbaoError as exc:
                raise Failure(f"{shown}: {exc}") from exc
            year_text = f"{result.year} 年" if result.year else "年度未识别"
            if result.status == "unchanged":
                click.echo(f"未变化 {shown}：与已入库的版本相同（{site_id}，{year_text}）")
            elif result.status == "unreadable":
                click.echo(f"无法解析 {shown}：{result.problem}；原文件已保存，记为 CRAWL.DOCUMENT_FAILED")
            else:
                click.echo(
                    f"已入库 {shown}：{site_id}，{year_text}，发现问题 {len(result.findings)} 项"
                    f"（新增 {result.opened}，重新出现 {result.reopened}，已解决 {result.resolved}）"
                )
    if failed:
        sys.exit(2)


@click.command()
@click.option(
    "--site", "site_id", metavar="站点", help="只看这个站点：编号或单位名称（或名称中唯一的一部分）。"
)
@click.option("--code", metavar="代码", help="只看这个问题代码，或以点结尾的一族（如 CALC.）。")
@click.option("--year", type=int, metavar="年度", help="只看这一年度报告的问题。")
@click.option(
    "--status",
    type=click.Choice(["open", "resolved", "all"]),
    default="open",
    show_default=True,
    help="open 未解决，resolved 已解决，all 全部。",
)
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象。")
@data_option
def findings(
    site_id: str | None, code: str | None, year: int | None, status: str, as_json: bool, data_dir: str
) -> None:
    """列出问题及其经过：首次发现、最近一次、何时解决。

    \b
    --json 每行输出一个对象，字段为 site、agency、year、code、
    severity、message、evidence、url、first_seen、last_seen、
    resolved_at、status、reopened、fingerprint。

    \b
    示例：
      nianbao findings
      nianbao findings --site 郑县教育体育局 --status all
      nianbao findings --code CALC. --json
    """
    from storage.queries import iter_findings

    code = finding_code(code) if code else None
    # Rows are printed as SQLite reads them: memory stays the same however many findings the archive holds.
    with open_archive(data_dir, create=False) as archive:
        site_id = site_named(archive, site_id).id if site_id else None
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


@click.command()
@click.option("--site", "site_id", metavar="站点", help="只处理这个站点：编号或单位名称。")
@data_option
def reparse(site_id: str | None, data_dir: str) -> None:
    """从已保存的原文件重新读取并检查每份当前报告。

    在解析程序改进后运行：新的读取不再产生的问题记为已解决，新问题随之记录。

    \b
    示例：
      nianbao reparse
      nianbao reparse --site gzjkq-jtfw
    """
    from nianbao.reading import IsolatedReader
    from nianbao.reparse import reparse as run_reparse

    with IsolatedReader(start="fork").start() as reader, open_archive(data_dir, create=False) as archive:
        site_id = site_named(archive, site_id).id if site_id else None
        results = run_reparse(archive, site_id, reader=reader)
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
    """数据库本身。"""


@db.command("check")
@click.option("--verify", is_flag=True, help="同时重新计算每个已保存原文件的哈希（较慢）。")
@click.option(
    "--remove-orphans",
    is_flag=True,
    help="删除 24 小时前写入、未被引用的原文件和临时文件（更新的可能属于正在进行的抓取）。",
)
@data_option
def db_check(verify: bool, remove_orphans: bool, data_dir: str) -> None:
    """检查数据库是否完好、每个文档的原文件是否都在。

    有损坏时退出码为 1；未被引用的原文件（中断的运行留下的）会列出，但不算损坏。

    \b
    示例：
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
    for command in (ingest, findings, reparse, db):
        group.add_command(command)
