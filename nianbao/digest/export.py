"""The digest's findings as a spreadsheet (XLSX) or CSV, for supervisors who work in Excel.

Rows are the open findings (需要处理) then the ones resolved this week. Text
from crawled pages can start with ``=``: in CSV such cells get a leading
apostrophe, in XLSX they are stored as text, so no cell ever becomes a formula.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from nianbao.digest.model import Digest, FindingView
from nianbao.digest.render import digest_name, write_atomic

COLUMNS = (
    "机关",
    "站点编号",
    "年度",
    "严重程度",
    "规则代码",
    "规则",
    "状态",
    "问题说明",
    "依据",
    "报告标题",
    "链接",
    "首次发现",
    "最近发现",
    "整改日期",
)
UNCHECKED_COLUMNS = ("机关", "站点编号", "原因", "详情", "最近尝试", "最近一次成功检查", "网址")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def finding_rows(digest: Digest) -> list[list[str | int | None]]:
    return [_row(f) for f in [*digest.open_findings, *digest.resolved]]


def _row(f: FindingView) -> list[str | int | None]:
    return [
        f.agency,
        f.site_id,
        f.year,
        f.severity_name,
        f.code,
        f.title,
        f.status_text,
        f.message,
        f.evidence_text,
        f.report_title,
        f.url,
        f.first_seen,
        f.last_seen,
        f.resolved_at,
    ]


def unchecked_rows(digest: Digest) -> list[list[str | int | None]]:
    return [
        [u.agency, u.site_id, u.reason, "；".join(u.details), u.last_attempt, u.last_success, u.url]
        for u in digest.unchecked
    ]


def csv_text(digest: Digest) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in finding_rows(digest):
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return buffer.getvalue()


def write_csv(digest: Digest, out_dir: str | Path) -> Path:
    """``digest-YYYY-Www.csv`` in UTF-8 with a BOM, which Excel needs to read Chinese."""
    target = Path(out_dir) / digest_name(digest, "csv")
    write_atomic(target, csv_text(digest).encode("utf-8-sig"))
    return target


def write_xlsx(digest: Digest, out_dir: str | Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.worksheet import Worksheet

    def fill(
        sheet: Worksheet, header: tuple[str, ...], rows: list[list[str | int | None]], widths: dict[int, int]
    ) -> None:
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in rows:
            sheet.append([None] * len(header))
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=sheet.max_row, column=column)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl would take "=…" for a formula
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
        for column, width in widths.items():
            sheet.column_dimensions[chr(ord("A") + column)].width = width

    book = Workbook()
    findings = book.active
    findings.title = f"问题清单 {digest.week_label}"
    fill(findings, COLUMNS, finding_rows(digest), {0: 24, 4: 26, 5: 16, 6: 16, 7: 50, 8: 60, 9: 36, 10: 40})
    fill(
        book.create_sheet("未能检查"), UNCHECKED_COLUMNS, unchecked_rows(digest), {0: 24, 2: 24, 3: 50, 6: 40}
    )
    buffer = io.BytesIO()
    book.save(buffer)
    target = Path(out_dir) / digest_name(digest, "xlsx")
    write_atomic(target, buffer.getvalue())
    return target


def _csv_safe(value: str | int) -> str | int:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
