"""The real reports (tests/fixtures/real/), checked as a supervisor would: `nianbao check --level
government`. Each gives exactly the findings its publisher's document warrants and every field
right (labels beside the files; ../shared/real/README.md says what a correct reading gives).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.model import Report
from nianbao.cli import cli
from tests.support.labels import Case, Outcome, compare
from tests.support.paths import FIXTURES

REAL = FIXTURES / "real"
NAMES = ["hzq2023", "hzq2024", "pingtan-2023-district", "pingtan-2024-district"]


def label(name: str) -> dict[str, Any]:
    return json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checked() -> dict[str, dict[str, Any]]:
    """Each real document read and checked once, through the command line, as JSON."""
    paths = [str(REAL / label(n)["document"]) for n in NAMES]
    result = CliRunner().invoke(cli, ["check", "--json", "--level", "government", *paths])
    assert result.exit_code == 0, result.output
    return dict(zip(NAMES, (json.loads(line) for line in result.stdout.splitlines()), strict=True))


def codes(out: dict[str, Any]) -> list[str]:
    return sorted(f["code"] for f in out["findings"] if f["code"] != "PUB.DATE_UNKNOWN")


@pytest.mark.parametrize("name", NAMES)
def test_exactly_the_findings_the_document_warrants(checked: dict[str, dict[str, Any]], name: str) -> None:
    assert codes(checked[name]) == label(name)["findings"]


@pytest.mark.parametrize("name", NAMES)
def test_every_field_right(checked: dict[str, dict[str, Any]], name: str) -> None:
    lab = label(name)
    outcome = Outcome(Case("real", name, b"", lab, name), lab["format"])
    compare(outcome, Report.from_json(checked[name]), codes(checked[name]))
    assert outcome.mismatches == []


@pytest.mark.parametrize("name", ["hzq2023", "hzq2024"])
def test_wps_pdf_prose_is_prose(checked: dict[str, dict[str, Any]], name: str) -> None:
    """WPS boxes every line of text: headings and paragraphs must still read as text."""
    out = checked[name]
    year = out["year"]
    assert [s["heading"] for s in out["sections"].values()] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    # the sentence broke inside the date: "自 2023 年 1 月 1 日" / "起至 2023 年 12 月 31 日止"
    assert out["period"]["quote"].endswith(f"自{year}年1月1日起至{year}年12月31日止")
    assert "信息处理费0元" in out["fee_statement"]
    assert out["signed"] is None
    assert out["sections"]["1"]["text"].startswith(f"{year}年，")


def test_misprinted_row_is_read_and_kept_as_printed(checked: dict[str, dict[str, Any]]) -> None:
    t3 = checked["hzq2023"]["tables"]["table3"]
    assert t3["labels"]["denied.prohibited"] == "2.其他法律行政止公开"
    assert [c["raw"] for c in t3["rows"]["denied.prohibited"].values()] == ["0"] * 7
    assert "denied.prohibited" not in t3["uncertain"]


@pytest.mark.parametrize("name", ["hzq2023", "hzq2024"])
def test_only_the_three_other_subrows_are_missing(checked: dict[str, dict[str, Any]], name: str) -> None:
    (missing,) = [f for f in checked[name]["findings"] if f["code"] == "STRUCT.ROWS_MISSING"]
    assert missing["evidence"]["missing_rows"] == ["other.no_correction", "other.fee_unpaid", "other.other"]
    assert "uncertain_rows" not in missing["evidence"]
    # the single （六）其他处理 row stands in for them in the result total: no arithmetic error
    assert not any(f["code"].startswith("CALC.T3") for f in checked[name]["findings"])


def test_the_two_genuine_table4_errors_of_2023(checked: dict[str, dict[str, Any]]) -> None:
    found = [f for f in checked["hzq2023"]["findings"] if f["code"] == "CALC.T4_TOTAL"]
    assert sorted(f["evidence"]["group"] for f in found) == ["litigation_after_review", "review"]
    review = next(f for f in found if f["evidence"]["group"] == "review")
    assert "总计为0" in review["message"] and "之和为11" in review["message"]


@pytest.mark.parametrize(
    ("name", "published"), [("pingtan-2023-district", "2024-03-08"), ("pingtan-2024-district", "2025-03-10")]
)
def test_portal_pages(checked: dict[str, dict[str, Any]], name: str, published: str) -> None:
    out = checked[name]
    assert out["published"] == published and out["level"] == "government"
    assert "信息处理费" in out["fee_statement"]
    assert codes(out) == ["DATE.SIGNATURE_MISSING"]
