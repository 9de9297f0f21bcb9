"""`nianbao check`: read report files and print their findings."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from monitor.check import CheckResult, check_paths
from monitor.codes import LEVEL_NAMES, SEVERITY_NAMES, SEVERITY_ORDER
from monitor.deadlines import parse_month_day
from monitor.evidence import evidence_text
from monitor.model import CheckOptions, Finding, Report
from nianbao.cli.errors import one_line, printable
from nianbao.cli.options import DATE

SOURCE_NAMES = {
    "heading": "标题",
    "letterhead": "文头",
    "signature": "落款",
    "body": "正文",
    "option": "参数",
    "title": "标题",
    "name": "机关名称",
    "default": "默认",
}


def report_json(result: CheckResult) -> dict[str, Any]:
    """The JSON object `check --json` prints for one input (a public contract)."""
    report = result.report
    out: dict[str, Any] = {"path": printable(result.path)}
    assert report is not None
    data = report.to_json()
    out.update(
        {
            "format": report.format,
            "title": report.title,
            "agency": report.agency,
            "agency_source": report.agency_source,
            "year": report.year,
            "level": report.level,
            "template": report.template,
            "published": data["published"],
            "signed": report.signed.date.isoformat() if report.signed else None,
            "signature": data["signed"],
            "signature_agency": report.signature_agency,
            "period": data["period"],
            "fee_statement": report.fee_statement,
            "image_only": report.image_only,
            "sections": data["sections"],
            "tables": data["tables"],
            "findings": [f.to_json() for f in sorted(result.findings, key=_order)],
        }
    )
    return out


def _order(f: Finding) -> tuple[int, str]:
    return SEVERITY_ORDER[f.severity], f.code


def _describe(report: Report) -> list[str]:
    period = f"{report.period.start}至{report.period.end}" if report.period else "未写明"
    return [
        f"  标题：{report.title or '（未找到）'}",
        f"  机关：{report.agency or '（未识别）'}（来自{SOURCE_NAMES.get(report.agency_source or '', '—')}）"
        f"  年度：{report.year or '（未识别）'}  层级：{LEVEL_NAMES.get(report.level, report.level)}"
        f"  模板：{(report.template + '年版') if report.template else '未识别'}",
        f"  落款：{report.signed.date if report.signed else '无'}  统计期限：{period}"
        f"  发布日期：{report.published or '未知'}",
    ]


def print_text(result: CheckResult) -> None:
    report = result.report
    assert report is not None
    click.echo(one_line(result.path))
    for line in _describe(report):
        click.echo(line)
    if not result.findings:
        click.echo("  未发现问题")
    sections = report.to_json()["sections"]
    for severity in ("error", "warning", "info"):
        group = [f for f in result.findings if f.severity == severity]
        if not group:
            continue
        click.echo(f"  {SEVERITY_NAMES[severity]}（{len(group)}）")
        for f in sorted(group, key=_order):
            click.echo(f"    {f.code}  {f.message}")
            evidence = evidence_text(f.evidence, links=True, sections=sections, template=report.template)
            click.echo(f"        依据：{evidence}")
    click.echo("")


def _month_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        return parse_month_day(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="文件...")
@click.option("--json", "as_json", is_flag=True, help="每份报告输出一行 JSON 对象。")
@click.option("--year", type=int, metavar="年度", help="报告的年度（默认从各自标题识别）。")
@click.option(
    "--level",
    type=click.Choice(["department", "government", "township"]),
    help="department 部门、government 政府、township 乡镇（默认从机关名称推断）。",
)
@click.option("--published", type=DATE, help="报告的发布日期（据此检查 PUB.LATE）。")
@click.option("--agency", metavar="名称", help="发布机关（默认从标题、落款或正文识别）。")
@click.option(
    "--deadline",
    callback=_month_day,
    metavar="月-日",
    help="次年的发布截止日期（默认部门 01-31，政府 03-31）。",
)
def check(
    paths: tuple[str, ...],
    as_json: bool,
    year: int | None,
    level: str | None,
    published: Any,
    agency: str | None,
    deadline: str | None,
) -> None:
    """读取年报文件（文本、HTML、DOCX、PDF、DOC）并逐条规则检查。

    \b
    一起给出的报告会相互比对（同一机关相邻年度：XREF.CARRYOVER；
    不同机关之间：XREF.COPIED）。
    退出码：全部读取成功为 0，有文件无法读取为 2。

    \b
    示例：
      nianbao check report.txt
      nianbao check 2023.pdf 2024.pdf --json
      nianbao check report.html --published 2024-02-03 --level department
    """
    from nianbao.reading import IsolatedReader

    options = CheckOptions(year=year, level=level, published=published, agency=agency, deadline=deadline)  # type: ignore[arg-type]
    # Each file is read in a worker process under the reading limits (time, memory, pages, cells ...);
    # forked, it starts in ~10 ms, so one small file is checked as fast as before.
    with IsolatedReader(start="fork") as reader:
        results = check_paths(list(paths), options, read=reader.read_file)
    failed = False
    for result in results:
        if result.error:
            failed = True
            click.echo(f"nianbao: 错误：{one_line(result.path)}: {result.problem}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(report_json(result), ensure_ascii=False))
        else:
            print_text(result)
    sys.stdout.flush()
    if failed:
        sys.exit(2)


def register(group: click.Group) -> None:
    group.add_command(check)
