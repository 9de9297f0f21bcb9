"""Headings, titles, agencies and levels; unknown layouts degrade to findings, never to crashes or zeros."""

from __future__ import annotations

import pytest

from monitor.check import check_reports, read_report
from monitor.errors import UnreadableInput
from monitor.extract.facts import agency_from_title, infer_level, names_region
from monitor.extract.sections import heading_number
from monitor.model import CheckOptions, Report


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("一、总体情况", 1),
        ("## 一、总体情况", 1),
        ("### **二、主动公开政府信息情况**", 2),
        ("三．收到和处理政府信息公开申请情况", 3),
        ("四、政府信息公开行政复议、行政诉讼情况（无）", 4),
        ("五、主要问题和改进措施", 5),
        ("五、存在问题及改进情况", 5),
        ("六、其他需要报告的事项", 6),
        ("六 、 其 他 需 要 报 告 的 事 项", 6),
        ("（一）主动公开情况", None),
        ("一是加强组织领导。", None),
        ("一、本年新收政府信息公开申请数量", None),
        (
            "二、主动公开政府信息情况。今年以来我局坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实",
            2,  # a heading with its text run in
        ),
        ("一 总体情况", 1),
        ("（六）其他需要报告的事项", 6),
        ("一、加强培训，提高人员业务水平，做好总体部署", None),
        ("二、主动公开方面，我局存在的问题较多且在日常工作中长期未能得到有效解决", None),
    ],
)
def test_heading_variants(line: str, number: int | None) -> None:
    assert heading_number(line) == number


@pytest.mark.parametrize(
    ("title", "agency"),
    [
        ("赣州经开区教体服务中心 2023 年政府信息公开工作年度报告", "赣州经开区教体服务中心"),
        ("2023年度某市财政局政府信息公开工作年度报告", "某市财政局"),
        ("关于2023年度政府信息公开工作的报告", None),
        ("某县人民政府二〇二三年政府信息公开工作年度报告", "某县人民政府"),
    ],
)
def test_agency_from_title(title: str, agency: str | None) -> None:
    assert agency_from_title(title) == agency


@pytest.mark.parametrize(
    ("agency", "level"),
    [
        ("某市财政局", "department"),
        ("卫滨区人民政府", "government"),
        ("某县政府", "government"),
        ("兴国镇人民政府", "township"),
        ("某某街道办事处", "township"),
        ("赣州经开区机关事务管理中心", "department"),
    ],
)
def test_level_inferred_from_name(agency: str, level: str) -> None:
    assert infer_level(agency) == level


def test_region_words() -> None:
    assert names_region("郑县教育体育局") and names_region("国家统计局")
    assert not names_region("教体局")


def _read(text: str, **options: object) -> Report:
    return read_report(text.encode("utf-8"), "x.txt", CheckOptions(**options))  # type: ignore[arg-type]


def test_options_override_what_the_report_says() -> None:
    report = _read(
        "某区人民政府2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我区……",
        year=2022,
        level="department",
        agency="另一机关",
    )
    assert (report.year, report.level, report.agency) == (2022, "department", "另一机关")
    assert report.level_source == "option"


def test_unknown_layout_degrades_to_findings() -> None:
    text = "某县财政局2023年政府信息公开工作年度报告\n我局2023年认真做好信息公开工作。\n表格见附件。\n"
    report = _read(text)
    codes = {f.code for f in check_reports([report])[0]}
    assert {"STRUCT.TABLE_MISSING", "STRUCT.SECTION_MISSING"} <= codes
    assert all(not t.has_numbers() for t in report.tables.values())  # no silent zeros


def test_a_text_that_is_no_report_is_refused() -> None:
    with pytest.raises(UnreadableInput) as err:
        _read("会议通知\n请各单位于周五前报送材料。\n")
    assert "x.txt" in str(err.value) and "不是政府信息公开工作年度报告" in str(err.value)


def test_gbk_text_is_decoded() -> None:
    text = "某县财政局2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我局认真做好信息公开工作。\n"
    report = read_report(text.encode("gbk"), "gbk.txt")
    assert report.agency == "某县财政局" and report.year == 2023
