"""Report variants found in review: each a seed changed in one place the way real reports differ.

Every file must give exactly the findings listed (the seed's own defect aside, nothing more) and
read the fact the variant is about correctly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.check import check_paths
from monitor.model import Report
from tests.support.paths import FIXTURES

VARIANTS = FIXTURES / "variants"


def _label(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# file -> its label (findings, and the fields the variant is about), kept beside it as <name>.json
LABELS: dict[str, dict[str, Any]] = {p.stem: _label(p) for p in sorted(VARIANTS.glob("*.json"))}
EXPECTED: dict[str, list[str]] = {name: label["findings"] for name, label in LABELS.items()}


def read(name: str) -> tuple[Report, list[str]]:
    (result,) = check_paths([str(VARIANTS / f"{name}.txt")])
    assert result.error is None and result.report is not None, result.error
    return result.report, sorted(f.code for f in result.findings)


def test_every_variant_file_is_labelled() -> None:
    assert sorted(p.stem for p in VARIANTS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variant_findings(name: str) -> None:
    got = [c for c in read(name)[1] if c not in LABELS[name]["ignore"]]
    assert got == sorted(EXPECTED[name])


@pytest.mark.parametrize("name", sorted(n for n, label in LABELS.items() if "agency" in label["fields"]))
def test_agency_and_level(name: str) -> None:
    report = read(name)[0]
    fields = LABELS[name]["fields"]
    assert (report.agency, report.level) == (fields["agency"], fields["level"])


def test_tables_read_from_awkward_layouts() -> None:
    t3 = read("table3_blank_total_cell")[0].tables["table3"]
    assert t3.value("new", "natural_person") == 5 and t3.rows["new"]["total"].raw == ""
    assert (
        read("fullwidth_thousands_and_dashes")[0].tables["table2"].value("20_5.licensing", "decisions")
        == 1205
    )
    t2 = read("table2_2019_space_separated")[0].tables["table2"]
    assert [c.raw for c in t2.rows["20_5.licensing"].values()] == ["15", "增1", "16"]
    assert read("tables_space_separated")[0].tables["table4"].rows["cases"]["review.total"].raw == "0"
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
