"""The digest for supervisors who work in Excel: XLSX with three sheets, and the findings as CSV.

- 机关（sheet 1）: one row per monitored agency, compliant ones included — what a 通报 needs;
- 问题清单（sheet 2）: open findings, then those resolved this week, with clickable links to the
  stored copy (beside the workbook, in ``docs/``) and to the live address;
- 临近截止（sheet 3）: reports not out yet whose deadline is ahead.

Headers are frozen and filtered. Text from crawled pages can start with ``=``: in XLSX every text
cell is stored as text (never a formula), in CSV such cells get a leading apostrophe. The workbook
is written in openpyxl's write-only mode, so its memory does not grow with the number of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from nianbao.digest.model import AgencyRow, Digest, FindingView
from nianbao.digest.render import digest_name, write_atomic

AGENCY_COLUMNS = (
    "机关",
    "站点编号",
    "地区",
    "层级",
    "年度",
    "本年度状况",
    "发布日期",
    "截止日期",
    "逾期天数",
    "当前状况",
    "未解决错误",
    "未解决警告",
    "已排除误报",
    "联系人",
    "电话",
    "机关页",
)
COLUMNS = (
    "机关",
    "站点编号",
    "地区",
    "层级",
    "年度",
    "严重程度",
    "规则代码",
    "规则",
    "状态",
    "审核",
    "问题说明",
    "依据",
    "报告标题",
    "存档副本",
    "原网址",
    "首次发现",
    "最近发现",
    "整改日期",
    "编号",
)
DEADLINE_COLUMNS = ("机关", "站点编号", "地区", "层级", "年度", "截止日期", "剩余天数")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Link:
    """A cell that is a link: its text and where it goes."""

    def __init__(self, text: str, target: str) -> None:
        self.text, self.target = text, target


Value = str | int | Link | None


def agency_rows(digest: Digest) -> Iterator[list[Value]]:
    for a in sorted(digest.agencies, key=lambda a: (a.region or "", a.agency, a.site_id)):
        yield _agency(a, digest.headline.report_year)


def _agency(a: AgencyRow, year: int) -> list[Value]:
    return [
        a.agency,
        a.site_id,
        a.region,
        a.level_name,
        year,
        a.year_state_name,
        a.published,
        a.deadline,
        a.days_late,
        a.status_text,
        a.errors,
        a.warnings,
        a.dismissed,
        a.contact,
        a.phone,
        Link("打开", a.page),
    ]


def finding_rows(digest: Digest) -> Iterator[list[Value]]:
    regions = {a.site_id: (a.region, a.level_name) for a in digest.agencies}
    for f in chain(digest.open_findings_stream(), digest.resolved()):
        yield _row(f, *regions.get(f.site_id, (None, None)))


def _row(f: FindingView, region: str | None, level: str | None) -> list[Value]:
    return [
        f.agency,
        f.site_id,
        region,
        level,
        f.year,
        f.severity_name,
        f.code,
        f.title,
        f.status_text,
        f.review_text,
        f.message,
        f.evidence_text,
        f.report_title,
        Link("存档副本", f.copy.file) if f.copy else None,
        Link(f.url, f.url) if f.url else None,
        f.first_seen,
        f.last_seen,
        f.resolved_at,
        f.id,
    ]


def deadline_rows(digest: Digest) -> Iterator[list[Value]]:
    for d in digest.upcoming:
        yield [d.agency, d.site_id, d.region, d.level_name, d.year, d.deadline, d.days_left]


def csv_text(digest: Digest) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in finding_rows(digest):
        writer.writerow(["" if v is None else _csv_safe(v.target if isinstance(v, Link) else v) for v in row])
    return buffer.getvalue()


def write_csv(digest: Digest, out_dir: str | Path) -> Path:
    """``digest-YYYY-Www.csv`` (the findings) in UTF-8 with a BOM, which Excel needs to read Chinese."""
    target = Path(out_dir) / digest_name(digest, "csv")
    write_atomic(target, csv_text(digest).encode("utf-8-sig"))
    return target


def write_xlsx(digest: Digest, out_dir: str | Path) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _sheet(book, "机关", AGENCY_COLUMNS, agency_rows(digest), {0: 28, 2: 12, 5: 14, 9: 30, 13: 10, 14: 16})
    _sheet(
        book,
        f"问题清单 {digest.week_label}",
        COLUMNS,
        finding_rows(digest),
        {0: 24, 6: 24, 7: 16, 8: 16, 9: 24, 10: 50, 11: 60, 12: 36, 13: 12, 14: 40},
    )
    _sheet(book, "临近截止", DEADLINE_COLUMNS, deadline_rows(digest), {0: 28, 2: 12})
    buffer = io.BytesIO()
    book.save(buffer)
    target = Path(out_dir) / digest_name(digest, "xlsx")
    write_atomic(target, buffer.getvalue())
    return target


def _sheet(
    book: Any, title: str, header: tuple[str, ...], rows: Iterator[list[Value]], widths: dict[int, int]
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column + 1)].width = width
    bold = Font(bold=True)
    top = Alignment(wrap_text=True, vertical="top")

    def cell(value: Value, *, header: bool = False) -> Any:
        if isinstance(value, Link):
            c = WriteOnlyCell(sheet, value=value.text)
            c.data_type = "s"
            c.hyperlink = value.target
            c.style = "Hyperlink"
            return c
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # openpyxl would take "=…" for a formula
            c.alignment = top
        if header:
            c.font = bold
        return c

    sheet.append([cell(h, header=True) for h in header])
    count = 0
    for values in rows:
        sheet.append([cell(v) for v in values])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def _csv_safe(value: str | int) -> str | int:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
