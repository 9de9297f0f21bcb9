"""Every rule fires on a planted defect and stays silent on the clean report, in several formats."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from monitor.check import check_reports, read_report
from monitor.model import CheckOptions, Finding, Publication, Report
from monitor.rules import RuleContext, run_rules
from tests.support import builders
from tests.support.paths import FIXTURES
from tests.support.paths import SEEDS as SEED_DIR
from tests.support.renderers import SEEDS, render

FORMATS = ["text", "html", "docx"]


def seed(key: str) -> str:
    return (SEED_DIR / f"{SEEDS[key]}.txt").read_text(encoding="utf-8")


def read(text: str, fmt: str, name: str = "report", **options: Any) -> Report:
    data, suffix = render(text, fmt)
    return read_report(data, f"{name}{suffix}", CheckOptions(**options))


def findings(text: str, fmt: str, **options: Any) -> list[Finding]:
    report = read(text, fmt, **options)
    return check_reports([report], CheckOptions(**options))[0]


def codes(text: str, fmt: str, **options: object) -> set[str]:
    return {f.code for f in findings(text, fmt, **options)}


def replace_line(text: str, startswith: str, new: str) -> str:
    """Replace the one line that starts with ``startswith`` (after markdown marks)."""
    lines = text.split("\n")
    hits = [i for i, ln in enumerate(lines) if ln.lstrip("#* |").startswith(startswith)]
    assert len(hits) == 1, f"{startswith!r} matched {len(hits)} lines"
    lines[hits[0]] = new
    return "\n".join(lines)


def set_row(text: str, label: str, values: list[str]) -> str:
    """Set the value cells of the tab-separated table row whose label cell contains ``label``."""
    lines = text.split("\n")
    hits = [i for i, ln in enumerate(lines) if "\t" in ln and label in ln]
    assert len(hits) == 1, f"{label!r} matched {len(hits)} rows"
    cells = lines[hits[0]].split("\t")
    last_label = max(i for i, c in enumerate(cells) if re.search(r"[\u4e00-\u9fff]", c))
    lines[hits[0]] = "\t".join([*cells[: last_label + 1], *values])
    return "\n".join(lines)


def drop_lines(text: str, first: str, last: str) -> str:
    """Remove the lines from the one starting with ``first`` through the one starting with ``last``."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.lstrip("#* |").startswith(first))
    end = next(i for i in range(start, len(lines)) if lines[i].lstrip("#* |").startswith(last))
    return "\n".join(lines[:start] + lines[end + 1 :])


# Seed 001 signed in the right year: a clean report to plant defects in.
CLEAN = seed("001").replace("2023年1月29日", "2024年1月29日")
T3_ZERO = ["0"] * 7


def with_applications(text: str) -> str:
    """Seed 001 with three applications, all handled, in a table that adds up."""
    text = set_row(text, "本年新收", ["3", "0", "0", "0", "0", "0", "3"])
    text = set_row(text, "予以公开", ["2", "0", "0", "0", "0", "0", "2"])
    text = set_row(text, "部分公开", ["1", "0", "0", "0", "0", "0", "1"])
    text = set_row(text, "(七) 总计", ["3", "0", "0", "0", "0", "0", "3"])
    return text.replace("未接到依申请公开办件", "共收到政府信息公开申请3件，均已按时办结")


CLEAN_WITH_APPLICATIONS = with_applications(CLEAN)


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_reports_have_no_findings(fmt: str) -> None:
    assert codes(CLEAN, fmt) == set()
    assert codes(CLEAN_WITH_APPLICATIONS, fmt) == set()


@pytest.mark.parametrize("fmt", FORMATS)
def test_table_values_survive_every_format(fmt: str) -> None:
    report = read(CLEAN_WITH_APPLICATIONS, fmt)
    t3 = report.tables["table3"]
    assert t3.value("new", "natural_person") == 3
    assert t3.value("new", "total") == 3
    assert t3.value("partly_granted", "total") == 1
    assert t3.value("results_total", "natural_person") == 3
    assert report.tables["table4"].value("cases", "review.total") == 0


# --- dates -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_signature_missing(fmt: str) -> None:
    unsigned = CLEAN.replace("2024年1月29日", "").replace("\n赣州经开区机关事务管理中心\n", "\n")
    found = findings(unsigned, fmt)
    assert [f.code for f in found] == ["DATE.SIGNATURE_MISSING"]
    assert "DATE.SIGNATURE_MISSING" not in codes(CLEAN, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_signature_year(fmt: str) -> None:
    found = [f for f in findings(seed("001"), fmt) if f.code == "DATE.SIGNATURE_YEAR"]
    assert len(found) == 1
    assert found[0].evidence["quote"] == "2023年1月29日"
    assert found[0].severity == "error"
    assert "DATE.SIGNATURE_YEAR" not in codes(CLEAN, fmt)


@pytest.mark.parametrize(
    "signature",
    [
        "二〇二四年一月二十九日",
        "二○二四年一月二十九日",
        "二O二四年一月二十九日",
        "二零二四年一月二十九日",
        "2024 年 1 月 29 日",
        "2024-01-29",
        "2024年1月",
        "2024129",
    ],
)
def test_signature_forms_are_read(signature: str) -> None:
    report = read(CLEAN.replace("2024年1月29日", signature), "text")
    assert report.signed is not None
    assert (report.signed.date.year, report.signed.date.month) == (2024, 1)
    assert "DATE.SIGNATURE_YEAR" not in codes(CLEAN.replace("2024年1月29日", signature), "text")


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_after_publication(fmt: str) -> None:
    assert "DATE.SIGNED_AFTER_PUBLICATION" in codes(CLEAN, fmt, published=date(2024, 1, 20))
    assert "DATE.SIGNED_AFTER_PUBLICATION" not in codes(CLEAN, fmt, published=date(2024, 1, 30))


@pytest.mark.parametrize("fmt", FORMATS)
def test_period_mismatch(fmt: str) -> None:
    wrong = CLEAN.replace("至2023年12月31日止", "至2023年11月30日止")
    found = [f for f in findings(wrong, fmt) if f.code == "DATE.PERIOD_MISMATCH"]
    assert len(found) == 1 and "2023年11月30日" in found[0].evidence["quote"]
    assert "DATE.PERIOD_MISMATCH" not in codes(CLEAN, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_year_inconsistent(fmt: str) -> None:
    base = seed("002").replace("2023 年，我局始终坚持", "2022 年，我局始终坚持")
    assert "YEAR.INCONSISTENT" in codes(base, fmt)
    assert "YEAR.INCONSISTENT" not in codes(seed("002"), fmt)
    # The statistics period decides when it is stated.
    wrong_period = CLEAN.replace(
        "统计期限自2023年1月1日起至2023年12月31日止", "统计期限自2022年1月1日起至2022年12月31日止"
    )
    assert {"YEAR.INCONSISTENT", "DATE.PERIOD_MISMATCH"} <= codes(wrong_period, fmt)


# --- structure ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_section_missing(fmt: str) -> None:
    text = drop_lines(CLEAN, "五、存在的主要问题及改进情况", "2023年，区机关事务管理中心政务信息公开工作虽")
    found = [f for f in findings(text, fmt) if f.code == "STRUCT.SECTION_MISSING"]
    assert len(found) == 1 and "五" in found[0].evidence["section"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_section_empty(fmt: str) -> None:
    text = drop_lines(
        CLEAN, "2023年，区机关事务管理中心政务信息公开工作虽", "2024年，区机关事务管理中心将采取"
    )
    text = text.replace("## 五、存在的主要问题及改进情况", "## 五、存在的主要问题及改进情况\n\n无")
    found = [f for f in findings(text, fmt) if f.code == "STRUCT.SECTION_EMPTY"]
    assert len(found) == 1 and found[0].evidence["quote"] == "无"


@pytest.mark.parametrize("fmt", FORMATS)
def test_table_missing(fmt: str) -> None:
    text = drop_lines(CLEAN, "行政复议\t", "0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0")
    found = [f for f in findings(text, fmt) if f.code == "STRUCT.TABLE_MISSING"]
    assert [f.evidence["table"] for f in found] == ["table4"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_missing(fmt: str) -> None:
    text = drop_lines(CLEAN, "第二十条第（八）项", "行政事业性收费")
    found = [f for f in findings(text, fmt) if f.code == "STRUCT.ROWS_MISSING"]
    assert len(found) == 1
    assert found[0].evidence["missing_rows"] == ["20_8.fees"]
    assert "第二十条第（八）项" in found[0].message


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mark", ["/", "-", "无", ""])
def test_blank_cells(fmt: str, mark: str) -> None:
    text = set_row(CLEAN, "行政许可", [mark])
    found = [f for f in findings(text, fmt) if f.code == "STRUCT.BLANK_CELLS"]
    assert len(found) == 1
    expected = f"本年处理决定数量“{mark}”" if mark else "整行空白"
    assert found[0].evidence["rows"] == {"第二十条第（五）项·行政许可": expected}
    report = read(text, fmt)
    assert report.tables["table2"].value("20_5.licensing", "decisions") is None  # never a silent zero


@pytest.mark.parametrize("fmt", FORMATS)
def test_old_template(fmt: str) -> None:
    text = (
        seed("003")
        .replace("经开区教育局 2020 年度", "经开区教育局 2021 年度")
        .replace("2020 年，区教育局", "2021 年，区教育局")
    )
    text = text.replace("2021年1月26日", "2022年1月26日")
    found = {f.code: f for f in findings(text, fmt)}
    assert "STRUCT.OLD_TEMPLATE" in found
    assert "本年新制作数量" in found["STRUCT.OLD_TEMPLATE"].evidence["quote"]
    assert "STRUCT.OLD_TEMPLATE" not in codes(seed("003"), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_agency_missing(fmt: str) -> None:
    assert "STRUCT.AGENCY_MISSING" in codes(seed("004"), fmt)
    fixed = seed("004").replace(
        "教体局2021年政府信息公开工作年度报告", "郑县教育体育局2021年政府信息公开工作年度报告"
    )
    assert "STRUCT.AGENCY_MISSING" not in codes(fixed, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fee_statement_missing(fmt: str) -> None:
    text = replace_line(
        CLEAN, "按照《国务院办公厅关于印发〈政府信息公开信息处理费", "本单位无其他需要报告的事项。"
    )
    assert "STRUCT.FEE_STATEMENT_MISSING" in codes(text, fmt)
    assert "STRUCT.FEE_STATEMENT_MISSING" not in codes(CLEAN, fmt)
    # Reports before 2021 predate the fee rule.
    assert "STRUCT.FEE_STATEMENT_MISSING" not in codes(seed("003"), fmt)


# --- arithmetic --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_t3_balance(fmt: str) -> None:
    text = set_row(CLEAN_WITH_APPLICATIONS, "结转下年度", ["1", "0", "0", "0", "0", "0", "1"])
    found = [f for f in findings(text, fmt) if f.code == "CALC.T3_BALANCE"]
    assert sorted(f.evidence["column"] for f in found) == ["natural_person", "total"]
    assert "本年新收3+上年结转0=3" in found[0].message and "结转下年度1=4" in found[0].message


@pytest.mark.parametrize("fmt", FORMATS)
def test_t3_result_total(fmt: str) -> None:
    text = set_row(CLEAN_WITH_APPLICATIONS, "予以公开", ["1", "0", "0", "0", "0", "0", "1"])
    found = {f.code: f for f in findings(text, fmt)}
    assert "CALC.T3_RESULT_TOTAL" in found
    assert found["CALC.T3_RESULT_TOTAL"].evidence["sum"] == 2
    assert "CALC.T3_ROW_TOTAL" not in found


@pytest.mark.parametrize("fmt", FORMATS)
def test_t3_row_total(fmt: str) -> None:
    text = set_row(CLEAN_WITH_APPLICATIONS, "部分公开", ["1", "1", "0", "0", "0", "0", "1"])
    found = [f for f in findings(text, fmt) if f.code == "CALC.T3_ROW_TOTAL"]
    assert [f.evidence["row"] for f in found] == ["partly_granted"]
    assert found[0].evidence["cells"]["商业企业"] == "1"


@pytest.mark.parametrize("fmt", FORMATS)
def test_t4_total(fmt: str) -> None:
    text = CLEAN.replace(
        "0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0", "1\t0\t0\t0\t2\t0\t0\t0\t0\t0\t0\t1\t0\t0\t1"
    )
    found = [f for f in findings(text, fmt) if f.code == "CALC.T4_TOTAL"]
    assert [f.evidence["group"] for f in found] == ["review"]
    assert "CALC.T4_TOTAL" not in codes(CLEAN, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("value", "problem"), [("-1", "负数"), ("1.5", "不是整数"), ("若干", "不是数字")])
def test_invalid_number(fmt: str, value: str, problem: str) -> None:
    text = set_row(CLEAN, "行政处罚", [value])
    found = [f for f in findings(text, fmt) if f.code == "CALC.INVALID_NUMBER"]
    assert len(found) == 1 and found[0].evidence["cells"][0]["problem"] == problem
    # An amount may carry decimals (up to 4 places).
    assert "CALC.INVALID_NUMBER" not in codes(set_row(CLEAN, "行政事业性收费", ["12.3456"]), fmt)


# --- cross-checks ------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_table(fmt: str) -> None:
    says_none = CLEAN_WITH_APPLICATIONS.replace(
        "共收到政府信息公开申请3件，均已按时办结", "未收到政府信息公开申请"
    )
    found = [f for f in findings(says_none, fmt) if f.code == "XREF.TEXT_TABLE"]
    assert len(found) == 1 and "未收到政府信息公开申请" in found[0].evidence["quote"]
    says_five = CLEAN_WITH_APPLICATIONS.replace("申请3件", "申请5件")
    found = [f for f in findings(says_five, fmt) if f.code == "XREF.TEXT_TABLE"]
    assert len(found) == 1 and "5件" in found[0].message
    corrected = CLEAN.replace("0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0", "0\t1\t0\t0\t1" + "\t0" * 10)
    found = [f for f in findings(corrected, fmt) if f.code == "XREF.TEXT_TABLE"]
    assert len(found) == 1 and "纠错" in found[0].message


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_carryover(fmt: str) -> None:
    last_year = CLEAN.replace("2023", "2022").replace("2024年", "2023年")
    last_year = set_row(last_year, "结转下年度", ["2", "0", "0", "0", "0", "0", "2"])
    this_year = read(CLEAN, fmt, name="2023")
    previous = read(last_year, fmt, name="2022")
    assert previous.year == 2022 and previous.agency == this_year.agency
    results = check_reports([previous, this_year])
    found = [f for f in results[1] if f.code == "XREF.CARRYOVER"]
    assert len(found) == 1 and found[0].evidence["previous_year"] == 2022
    assert "XREF.CARRYOVER" not in {f.code for f in results[0]}
    # Carried over as stated: silent.
    fixed = read(set_row(CLEAN, "上年结转", ["2", "0", "0", "0", "0", "0", "2"]), fmt, name="2023b")
    assert "XREF.CARRYOVER" not in {f.code for f in check_reports([previous, fixed])[1]}


@pytest.mark.parametrize("fmt", ["text", "docx"])
def test_copied(fmt: str) -> None:
    original = read(seed("000"), fmt, name="a")
    copy_text = (
        seed("000")
        .replace("赣州经开区教体服务中心", "赣州经开区城市管理局")
        .replace("赣州经济技术开发区教体服务中心", "赣州经济技术开发区城市管理局")
    )
    copy = read(copy_text, fmt, name="b")
    other = read(seed("001"), fmt, name="c")
    results = check_reports([original, copy, other])
    found = [f for f in results[1] if f.code == "XREF.COPIED"]
    assert len(found) == 1 and found[0].evidence["share"] > 0.9
    assert found[0].evidence["other_agency"] == "赣州经开区教体服务中心"
    # Two agencies of one district sharing only template wording: not copying.
    assert "XREF.COPIED" not in {f.code for f in results[2]}


# --- publication -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_late(fmt: str) -> None:
    found = [f for f in findings(CLEAN, fmt, published=date(2024, 2, 5)) if f.code == "PUB.LATE"]
    assert (
        len(found) == 1
        and found[0].evidence["deadline"] == "2024-01-31"
        and found[0].evidence["days_late"] == 5
    )
    assert "PUB.LATE" not in codes(CLEAN, fmt, published=date(2024, 1, 31))
    # A government's deadline is March 31.
    assert "PUB.LATE" not in codes(CLEAN, fmt, published=date(2024, 3, 1), level="government")


def test_date_unknown_needs_a_publication_context() -> None:
    report = read(CLEAN, "text")
    assert [
        f.code for f in run_rules(report, RuleContext(publication=Publication(url="http://x.gov.cn/a.html")))
    ] == ["PUB.DATE_UNKNOWN"]
    assert run_rules(report, RuleContext(publication=Publication(date(2024, 1, 30)))) == []
    assert run_rules(report, RuleContext()) == []


def test_html_page_date_is_the_publication_date() -> None:
    data, _ = render(CLEAN, "html", pubdate="2024-02-10")
    report = read_report(data, "page.html")
    assert report.published == date(2024, 2, 10)
    late = [f for f in check_reports([report])[0] if f.code == "PUB.LATE"]
    assert len(late) == 1 and late[0].evidence["published"] == "2024-02-10"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_table_whose_heading_is_missing_is_still_read(fmt: str) -> None:
    text = CLEAN_WITH_APPLICATIONS.replace("### 三、收到和处理政府信息公开申请情况", "")
    report = read(text, fmt)
    assert 3 not in report.sections
    assert report.tables["table3"].value("new", "total") == 3
    assert report.tables["table3"].missing_rows == []
    got = codes(text, fmt)
    assert "STRUCT.TABLE_MISSING" not in got and "STRUCT.SECTION_MISSING" not in got


def _image_only_inputs() -> list[tuple[bytes, str]]:
    return [
        (builders.build_image_pdf(pages=2), "scan.pdf"),
        ((FIXTURES / "readers" / "image_only.html").read_bytes(), "page.html"),
    ]


def test_not_machine_readable_fires_on_image_only_reports_and_nothing_else() -> None:
    for data, name in _image_only_inputs():
        report = read_report(data, name, CheckOptions(year=2023, agency="某县教育局"))
        assert report.image_only, name
        got = [f.code for f in check_reports([report])[0]]
        assert "PUB.NOT_MACHINE_READABLE" in got, name
        # An image has no text to judge: no structure or date rule speaks (the page's date may make it late).
        assert [c for c in got if not c.startswith("PUB.")] == [], name
    # The same report with a text layer: silent.
    pdf = FIXTURES / "renderings" / f"{SEEDS['001']}.pdf"
    text_report = read_report(pdf.read_bytes(), pdf.name)
    assert "PUB.NOT_MACHINE_READABLE" not in {f.code for f in check_reports([text_report])[0]}
    assert "PUB.NOT_MACHINE_READABLE" not in codes(CLEAN, "html")
