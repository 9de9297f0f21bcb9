"""Report variants found in review: each a seed changed in one place the way real reports differ.

Every file must give exactly the findings listed (the seed's own defect aside, nothing more) and
read the fact the variant is about correctly.
"""

from __future__ import annotations

import pytest

from monitor.check import check_paths
from monitor.model import Report
from tests.support.paths import FIXTURES
from tests.support.tables import raw

VARIANTS = FIXTURES / "variants"
SIG = "DATE.SIGNATURE_MISSING"

# file -> the exact findings (seed 000-based files lack a signature: DATE.SIGNATURE_MISSING)
EXPECTED: dict[str, list[str]] = {
    "heading_without_region_chengxiang": [SIG, "STRUCT.AGENCY_MISSING"],  # 城乡 names no place
    "heading_without_region_shichang": [SIG, "STRUCT.AGENCY_MISSING"],  # nor does 市场
    "replacement_char_before_heading": ["DATE.SIGNATURE_YEAR"],  # seed 001 with "## �六、…"
    "table3_blank_total_cell": [SIG, "STRUCT.BLANK_CELLS"],  # not CALC errors from a shifted row
    "heading_five_with_run_in_text": [SIG],
    "fullwidth_thousands_and_dashes": [SIG, "STRUCT.BLANK_CELLS"],  # 1，205 is a number, "–" a blank
    "government_bare_district": [SIG],
    "government_bare_city": [SIG],
    "government_under_office_letterhead": [SIG],
    "headings_in_brackets": [SIG],
    "headings_separated_by_space": [SIG],
    "no_review_sentence_with_applications": [SIG],  # "未发生…行政复议" is not "no applications"
    "no_complaint_sentence_with_applications": [SIG],  # nor is "未收到申请人…的投诉"
    "applications_clean": [SIG],
    "opening_since_earlier_year": [SIG],  # "自2021年以来" is no statement about 2021
    "opening_variant": [SIG],
    "period_month_only": [SIG],  # 2023年1月至2023年12月 ends on December 31
    "period_broken_over_lines": [SIG],
    "period_dash_wrong_year": [SIG, "DATE.PERIOD_MISMATCH", "YEAR.INCONSISTENT"],
    "table3_qita_chu_li_2019": ["STRUCT.BLANK_CELLS"] * 3,  # seed 003 with 其它处理
    "table2_2019_space_separated": ["STRUCT.BLANK_CELLS"] * 3,
    "signature_ascii_zero": [],  # 二〇二四年一月廿五日
    "heading_six_with_run_in_fee": [],
    "table3_group_label_mid_row": [SIG],
    "table3_group_label_own_line": [SIG],
    "tables_space_separated": [SIG],
    "table3_row_split_by_page_break": [SIG],
    "tab_indented_paragraphs": [SIG],
    "title_two_lines_a": [SIG],
    "title_two_lines_b": [SIG],
    "title_two_lines_c": [SIG],
    "government_letterhead_title_without_agency": [SIG],
    "government_after_year_in_title": [SIG],
    "table_of_contents": [SIG],
    "truncated_signature": [SIG],
}


def read(name: str) -> tuple[Report, list[str]]:
    (result,) = check_paths([str(VARIANTS / f"{name}.txt")])
    assert result.error is None and result.report is not None, result.error
    return result.report, sorted(f.code for f in result.findings)


def test_every_variant_file_is_listed() -> None:
    assert sorted(p.stem for p in VARIANTS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variant_findings(name: str) -> None:
    assert read(name)[1] == sorted(EXPECTED[name])


@pytest.mark.parametrize(
    ("name", "agency", "level"),
    [
        ("government_bare_district", "海淀区", "government"),
        ("government_bare_city", "北京市", "government"),
        ("government_under_office_letterhead", "章贡区人民政府", "government"),
        ("government_letterhead_title_without_agency", "赣州市章贡区人民政府", "government"),
        ("government_after_year_in_title", "赣州市章贡区", "government"),
        ("title_two_lines_c", "赣州经开区教体服务中心", "department"),
    ],
)
def test_agency_and_level(name: str, agency: str, level: str) -> None:
    report = read(name)[0]
    assert (report.agency, report.level) == (agency, level)


def test_tables_read_from_awkward_layouts() -> None:
    t3 = read("table3_blank_total_cell")[0].tables["table3"]
    assert t3.value("new", "natural_person") == 5 and raw(t3, "new", "total") == ""
    assert (
        read("fullwidth_thousands_and_dashes")[0].tables["table2"].value("20_5.licensing", "decisions")
        == 1205
    )
    t2 = read("table2_2019_space_separated")[0].tables["table2"]
    assert [c.raw for c in t2.rows["20_5.licensing"].values()] == ["15", "增1", "16"]
    assert raw(read("tables_space_separated")[0].tables["table4"], "cases", "review.total") == "0"
    split = read("table3_row_split_by_page_break")[0].tables["table3"]
    assert [c.raw for c in split.rows["partly_granted"].values()] == ["0"] * 7
    assert "other" not in read("table3_group_label_own_line")[0].tables["table3"].rows


def test_headings_and_run_in_text() -> None:
    report = read("heading_six_with_run_in_fee")[0]
    assert report.fee_statement == "本年度未收取信息处理费。"
    toc = read("table_of_contents")[0]
    assert all(toc.sections[n].text for n in (1, 5, 6))
    assert read("title_two_lines_a")[0].title == "赣州经开区教体服务中心2023年政府信息公开工作年度报告"


def test_periods_and_signatures() -> None:
    period = read("period_month_only")[0].period
    assert period is not None and (period.start.isoformat(), period.end.isoformat()) == (
        "2023-01-01",
        "2023-12-31",
    )
    signed = read("signature_ascii_zero")[0].signed
    assert signed is not None and signed.date.isoformat() == "2024-01-25"
