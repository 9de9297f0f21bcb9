"""`nianbao review`: a supervisor confirms a finding, or dismisses it as a false finding with a reason."""

from __future__ import annotations

import getpass

import click

from monitor.codes import code_title
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure, open_archive
from nianbao.cli.options import data_option


@click.command()
@click.argument("finding")
@click.option("--dismiss", "reason", metavar="理由", help="排除该问题（误报），并写明理由。")
@click.option("--confirm", is_flag=True, help="确认该问题属实。")
@click.option("--note", default="", metavar="说明", help="确认时附加的说明（可选）。")
@click.option("--by", "reviewer", metavar="姓名", help="审核人（默认：当前系统用户名）。")
@data_option
def review(
    finding: str, reason: str | None, confirm: bool, note: str, reviewer: str | None, data_dir: str
) -> None:
    """审核一个问题：确认属实，或作为误报排除（须写明理由）。

    FINDING 是问题编号（周报和机关页上的“编号”，或 nianbao findings --json 的 id），
    也可以是问题指纹（至少前 8 位）。不加 --dismiss 或 --confirm 时显示该问题及其审核记录。

    被排除的问题在以后的周报中不再列为未解决，直到它所在的报告出现新版本
    （新版本中仍有该问题时重新列出，等待再次审核）。每次审核都会保存审核人、时间和理由。

    \b
    示例：
      nianbao review 1234 --dismiss "误报：第六部分已说明收费"
      nianbao review 1234 --confirm --note "已电话通知"
      nianbao review 3f9c2a1b7d4e --confirm --by 张三
      nianbao review 1234
    """
    from storage.reviews import add_review, find_finding, reviews_of_site

    if reason is not None and confirm:
        raise click.UsageError("--dismiss 与 --confirm 只能指定一个")
    if note and not confirm:
        raise click.UsageError("--note 只能与 --confirm 一起使用（排除的理由写在 --dismiss 后）")
    with open_archive(data_dir, create=False) as archive:
        try:
            finding_id = find_finding(archive.db, finding)
            row = archive.db.execute(
                "SELECT site_id, code, message, year FROM findings WHERE id = ?", [finding_id]
            ).fetchone()
            if reason is not None or confirm:
                done = add_review(
                    archive.db,
                    finding_id,
                    "dismissed" if reason is not None else "confirmed",
                    note=reason if reason is not None else note,
                    reviewer=reviewer or getpass.getuser(),
                    now=archive.now(),
                )
                click.echo(
                    f"问题 {finding_id}（{row[0]}，{code_title(row[1])} {row[1]}）{done.verdict_name}，"
                    f"审核人 {done.reviewer}" + (f"，理由：{done.note}" if done.note else "")
                )
                return
            history = reviews_of_site(archive.db, row[0]).get(finding_id, [])
        except NianbaoError as exc:
            raise Failure(str(exc)) from exc
    year = f"{row[3]} 年度，" if row[3] else ""
    click.echo(f"问题 {finding_id}：{row[0]}，{year}{code_title(row[1])}（{row[1]}）")
    click.echo(f"    {row[2]}")
    if not history:
        click.echo("    尚未审核")
    for item in history:
        when = item.at[:16].replace("T", " ")
        click.echo(
            f"    {when}  {item.reviewer}  {item.verdict_name}" + (f"：{item.note}" if item.note else "")
        )


def register(group: click.Group) -> None:
    group.add_command(review)
