"""The five seed reports give exactly the findings rules.md lists, read in every format,
and their tables match hand-verified golden files cell by cell."""

from __future__ import annotations

import json

import pytest

from monitor.check import check_reports, read_report
from monitor.model import CheckOptions, Report
from tests.support.paths import FIXTURES
from tests.support.renderers import SEEDS, render

RENDERINGS = FIXTURES / "renderings"


# rules.md, "Expected findings on the seeds": (agency, year, level, the codes that must appear), as the
# golden label of each seed records them (tests/fixtures/golden/<seed>.json).
def _expected(stem: str) -> tuple[str, int, str, list[str]]:
    golden = json.loads((FIXTURES / "golden" / f"{stem}.json").read_text(encoding="utf-8"))
    return golden["agency"], golden["year"], golden["level"], golden["findings"]


EXPECTED = {key: _expected(stem) for key, stem in SEEDS.items()}


def test_golden_findings_are_rules_md_s() -> None:
    assert {k: v[3] for k, v in EXPECTED.items()} == {
        "000": ["DATE.SIGNATURE_MISSING"],
        "001": ["DATE.SIGNATURE_YEAR"],
        "002": ["DATE.SIGNATURE_MISSING"],
        "003": ["STRUCT.BLANK_CELLS"] * 3,
        "004": ["DATE.SIGNATURE_MISSING", "STRUCT.AGENCY_MISSING"],
    }


def seed_bytes(key: str, fmt: str) -> tuple[bytes, str]:
    if fmt in ("text", "html", "docx"):
        return render((FIXTURES / "seeds" / f"{SEEDS[key]}.txt").read_text(encoding="utf-8"), fmt)
    path = RENDERINGS / f"{SEEDS[key]}.{fmt.removeprefix('portal-')}"
    return path.read_bytes(), path.suffix


# text: the seed itself; html/docx: simple renderings of it; portal-*: committed renderings built from the
# golden tables with real merged cells (tests/fixtures/build_renderings.py), pdf converted from the docx.
FORMATS = ["text", "html", "docx", "portal-html", "portal-docx", "portal-pdf"]


def read_all(fmt: str) -> dict[str, Report]:
    reports = {}
    for key in SEEDS:
        data, suffix = seed_bytes(key, fmt)
        reports[key] = read_report(data, f"{SEEDS[key]}{suffix}", CheckOptions())
    return reports


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_findings(fmt: str) -> None:
    reports = read_all(fmt)
    keys = list(reports)
    # All five in one call, as a supervisor would check a district's reports together.
    results = dict(zip(keys, check_reports([reports[k] for k in keys]), strict=True))
    for key, (agency, year, level, expected) in EXPECTED.items():
        report = reports[key]
        assert (report.agency, report.year, report.level) == (agency, year, level), key
        got = sorted(f.code for f in results[key])
        assert got == sorted(expected), f"seed {key} ({fmt}): {got}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_tables_match_golden(fmt: str) -> None:
    for key, report in read_all(fmt).items():
        golden = json.loads((FIXTURES / "golden" / f"{SEEDS[key]}.json").read_text(encoding="utf-8"))
        assert report.title == golden["title"], key
        assert report.template == golden["template"], key
        assert (report.signed.date.isoformat() if report.signed else None) == golden["signed"], key
        assert {str(n): s.heading for n, s in report.sections.items()} == golden["sections"], key
        for table_key, expected in golden["tables"].items():
            table = report.tables[table_key]
            assert table.found == expected["found"], (key, table_key)
            assert table.missing_rows == expected["missing_rows"], (key, table_key)
            assert set(table.rows) == set(expected["rows"]), (key, table_key)
            for row, cols in expected["rows"].items():
                for col, cell in cols.items():
                    got = table.rows[row][col]
                    assert (got.raw, got.value) == (cell["raw"], cell["value"]), (key, table_key, row, col)


def test_seed_003_keeps_blank_distinct_from_zero() -> None:
    report = read_all("text")["003"]
    t3 = report.tables["table3"]
    assert t3.rows["new"]["total"].raw == "" and t3.value("new", "total") is None
    assert report.tables["table2"].rows["20_5.licensing"]["change"].raw == "增 1"
    assert report.tables["table2"].value("20_9.procurement", "amount") == pytest.approx(9163926.50)
