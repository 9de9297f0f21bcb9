"""`--xlsx` / `--csv`: the digest's findings for supervisors who work in Excel."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nianbao.digest import build_digest, resolve_period
from nianbao.digest.export import COLUMNS, write_csv, write_xlsx
from nianbao.digest.model import Digest
from tests.support.archive import open_archive
from tests.support.digest_world import HOSTILE_TITLE, TODAY, WEEK


@pytest.fixture(scope="module")
def digest(digest_world: Path) -> Digest:
    archive = open_archive(digest_world)
    try:
        return build_digest(archive.db, resolve_period(WEEK, now=TODAY))
    finally:
        archive.close()


def by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["规则代码"]: row for row in rows}


def test_csv_lists_open_and_resolved_findings(digest: Digest, tmp_path: Path) -> None:
    path = write_csv(digest, tmp_path)
    assert path.name == f"digest-{WEEK}.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(digest.open_findings) + len(digest.resolved) == 10
    late = by_code(rows)["PUB.LATE"]
    assert late["机关"] == "赣州经开区机关事务管理中心" and late["状态"] == "本周新发现"
    assert late["严重程度"] == "错误" and late["链接"].startswith("https://jgsw.")
    assert "截止日期：2024-01-31" in late["依据"]
    resolved = [row for row in rows if row["整改日期"]]
    assert {row["规则代码"] for row in resolved} == {"PUB.MISSING", "DATE.SIGNATURE_MISSING"}


def test_xlsx_has_the_same_rows_and_an_unchecked_sheet(digest: Digest, tmp_path: Path) -> None:
    path = write_xlsx(digest, tmp_path)
    book = load_workbook(path)
    sheet, unchecked = book.worksheets
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) - 1 == 10
    hostile = next(r for r in rows if r[1] == "hostile")
    assert hostile[9] == HOSTILE_TITLE and hostile[10] is None  # the javascript: URL is dropped
    assert [r[1] for r in unchecked.iter_rows(min_row=2, values_only=True)] == ["unreach", "blocked", "never"]
    assert sheet.freeze_panes == "A2"


def test_no_cell_becomes_a_formula(digest: Digest, tmp_path: Path) -> None:
    digest = copy.deepcopy(digest)
    finding = digest.open_findings[0]
    finding.message = '=HYPERLINK("http://evil.example","点击")'
    finding.evidence_text = "+1+1"
    rows = list(csv.reader(io.StringIO(write_csv(digest, tmp_path).read_text(encoding="utf-8-sig"))))
    assert rows[1][7] == "'" + finding.message and rows[1][8] == "'+1+1"
    cell = load_workbook(write_xlsx(digest, tmp_path)).worksheets[0]["H2"]
    assert cell.data_type == "s" and cell.value == finding.message
