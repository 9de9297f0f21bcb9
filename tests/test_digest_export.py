"""`--xlsx` / `--csv`: the digest for supervisors who work in Excel (three sheets; findings as CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nianbao.digest import build_digest, resolve_period
from nianbao.digest.export import AGENCY_COLUMNS, COLUMNS, DEADLINE_COLUMNS, write_csv, write_xlsx
from nianbao.digest.model import Digest
from tests.support.archive import open_archive
from tests.support.digest_world import HOSTILE_QUOTE, HOSTILE_TITLE, TODAY, WEEK


@pytest.fixture(scope="module")
def digest(digest_world: Path) -> Iterator[Digest]:
    archive = open_archive(digest_world)
    built = build_digest(archive.db, resolve_period(WEEK, now=TODAY))
    yield built
    built.close()
    archive.close()


def test_three_sheets_with_frozen_filtered_headers(digest: Digest, tmp_path: Path) -> None:
    book = load_workbook(write_xlsx(digest, tmp_path))
    assert [s.title for s in book.worksheets] == ["机关", f"问题清单 {WEEK}", "临近截止"]
    for sheet, header in zip(book.worksheets, (AGENCY_COLUMNS, COLUMNS, DEADLINE_COLUMNS), strict=True):
        assert tuple(c.value for c in sheet[1]) == header
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")


def test_sheet_one_has_every_agency_compliant_ones_included(digest: Digest, tmp_path: Path) -> None:
    sheet = load_workbook(write_xlsx(digest, tmp_path))["机关"]
    rows = {
        r[1]: dict(zip(AGENCY_COLUMNS, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == 9  # every monitored agency, not only those with problems
    assert rows["wbjy"]["本年度状况"] == "按时发布" and rows["wbjy"]["当前状况"] == "无问题"
    assert rows["jgsw"]["本年度状况"] == "逾期发布" and rows["jgsw"]["逾期天数"] == 6
    assert rows["jgsw"]["发布日期"] == "2024-02-06" and rows["jgsw"]["截止日期"] == "2024-01-31"
    assert rows["zxjt"]["本年度状况"] == "未发布" and rows["zxjt"]["未解决错误"] == 1
    assert rows["qzf"]["本年度状况"] == "未到截止日期"
    assert rows["jtfw"]["层级"] == "部门" and "地区" in rows["jtfw"]
    link = sheet.cell(row=2, column=len(AGENCY_COLUMNS))
    assert link.hyperlink is not None and link.hyperlink.target.startswith("agencies/")


def test_sheet_two_findings_link_to_the_stored_copy_and_the_live_url(digest: Digest, tmp_path: Path) -> None:
    sheet = load_workbook(write_xlsx(digest, tmp_path))[f"问题清单 {WEEK}"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 10  # 8 open, 2 resolved this week
    late = next(r for r in rows if r[6].value == "PUB.LATE")
    stored, live = late[COLUMNS.index("存档副本")], late[COLUMNS.index("原网址")]
    assert stored.hyperlink.target.startswith("docs/") and stored.hyperlink.target.endswith(".txt")
    assert (tmp_path / stored.hyperlink.target).parent.name == "docs"
    assert live.hyperlink.target == "https://jgsw.example.gov.cn/zfxxgknb/2023/t20240125_1.html"
    hostile = next(r for r in rows if r[1].value == "hostile")
    assert hostile[COLUMNS.index("报告标题")].value == HOSTILE_TITLE
    assert (
        hostile[COLUMNS.index("原网址")].value == "https://hostile.gov.cn/nb/"
    )  # the javascript: URL dropped: the site
    assert HOSTILE_QUOTE in hostile[COLUMNS.index("问题说明")].value


def test_sheet_three_upcoming_deadlines(digest: Digest, tmp_path: Path) -> None:
    sheet = load_workbook(write_xlsx(digest, tmp_path))["临近截止"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("示例区人民政府", "qzf", None, "政府", 2023, "2024-03-31", 46)
    ]


def test_csv_lists_open_and_resolved_findings(digest: Digest, tmp_path: Path) -> None:
    raw = write_csv(digest, tmp_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 10 and tuple(rows[0]) == COLUMNS
    late = next(r for r in rows if r["规则代码"] == "PUB.LATE")
    assert late["机关"] == "赣州经开区机关事务管理中心" and late["状态"] == "本周新发现"
    assert late["原网址"].startswith("https://jgsw.") and late["存档副本"].startswith("docs/")
    assert "截止日期：2024-01-31" in late["依据"]


def test_no_cell_becomes_a_formula(digest: Digest, tmp_path: Path) -> None:
    # The hostile site's message and evidence start with text from a crawled page; make one start with "=".
    original = digest.detail_source
    assert original is not None

    def poisoned():
        for detail in original():
            for f in detail.findings:
                f.message = '=HYPERLINK("http://evil.example","点击")' + f.message
                f.evidence_text = "+1+1"
            yield detail

    digest.detail_source = poisoned
    try:
        rows = list(csv.reader(io.StringIO(write_csv(digest, tmp_path).read_text(encoding="utf-8-sig"))))
        message = COLUMNS.index("问题说明")
        assert rows[1][message].startswith("'=HYPERLINK") and rows[1][COLUMNS.index("依据")] == "'+1+1"
        sheet = load_workbook(write_xlsx(digest, tmp_path))[f"问题清单 {WEEK}"]
        cell = sheet.cell(row=2, column=message + 1)
        assert cell.data_type == "s" and cell.value.startswith('=HYPERLINK("http://evil.example"')
    finally:
        digest.detail_source = original
