"""What the digest reads: latest runs, reports, changes in a week, weekly open counts."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.model import Finding, Report
from nianbao.digest import resolve_period
from nianbao.digest.queries import open_history
from storage import queries
from storage.runs import start_run
from tests.support.archive import ManualArchive, add_site

# Monday 2024-02-05, 09:00 CST
START = "2024-02-05T09:00:00"


@pytest.fixture
def clock_start() -> str:
    return START


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with two sites."""
    add_site(archive, "a", "甲局")
    add_site(archive, "b", "乙局")
    return archive


def crawl(archive, site, codes, status="ok", year=2023):
    run = start_run(archive, site)
    doc = run.store_document(f"{site}{year}".encode(), url=f"https://{site}.gov.cn/nb/{year}.html")
    run.record_report(
        doc,
        Report(path="x", format="html", year=year, title=f"{year}年报", published=date(2024, 1, 20)),
        [Finding(c, "error" if c.startswith("CALC") else "warning", c, {}) for c in codes],
    )
    return run.finish(status, counts={"pages": 2})


def test_weekly_history_and_changes(archive):
    clock = archive.clock
    crawl(archive, "a", ["CALC.T3_BALANCE", "CALC.T4_TOTAL", "DATE.SIGNATURE_MISSING"])  # week 1: 2 errors
    crawl(archive, "b", ["CALC.T3_BALANCE"])  # week 1: 3 errors
    clock.advance(days=7)
    crawl(archive, "a", ["CALC.T3_BALANCE", "DATE.SIGNATURE_MISSING"])  # week 2: T4 fixed -> 2
    clock.advance(days=7)
    crawl(archive, "a", ["CALC.T3_BALANCE", "CALC.T4_TOTAL"])  # week 3: T4 back -> 3

    wednesday = resolve_period(None, date(2024, 2, 21))
    history = open_history(archive.db, wednesday, weeks=4)
    assert [(w.week_start, w.open) for w in history] == [
        ("2024-01-29", 0),
        ("2024-02-05", 3),
        ("2024-02-12", 2),
        ("2024-02-19", 3),
    ]
    assert open_history(archive.db, wednesday, weeks=1, severity=None)[0].open == 3

    week3 = queries.finding_changes(archive.db, "2024-02-19", "2024-02-26")
    assert [f.code for f in week3["reopened"]] == ["CALC.T4_TOTAL"]
    assert [f.code for f in week3["resolved"]] == ["DATE.SIGNATURE_MISSING"]
    assert week3["opened"] == []
    week1 = queries.finding_changes(archive.db, "2024-02-05", "2024-02-12")
    assert len(week1["opened"]) == 4


def test_findings_filters(archive):
    crawl(archive, "a", ["CALC.T3_BALANCE", "DATE.SIGNATURE_MISSING"])
    crawl(archive, "b", ["CALC.T4_TOTAL"])
    rows = queries.findings(archive.db)
    assert [r.code for r in rows] == ["CALC.T3_BALANCE", "CALC.T4_TOTAL", "DATE.SIGNATURE_MISSING"]
    assert [r.code for r in queries.findings(archive.db, code="CALC.")] == [
        "CALC.T3_BALANCE",
        "CALC.T4_TOTAL",
    ]
    assert [r.code for r in queries.findings(archive.db, code="CALC.T4_TOTAL")] == ["CALC.T4_TOTAL"]
    assert [r.site for r in queries.findings(archive.db, site_id="b")] == ["b"]
    assert queries.findings(archive.db, status="resolved") == []
    assert queries.findings(archive.db, year=2022) == []
    assert rows[0].agency == "甲局" and rows[0].url == "https://a.gov.cn/nb/2023.html"


def test_latest_runs_and_reports(archive):
    crawl(archive, "a", [])
    archive.clock.advance(days=7)
    run = start_run(archive, "a")
    run.add_finding(Finding("CRAWL.UNREACHABLE", "error", "无法访问", {}))
    run.finish("unreachable", errors=["DNS lookup failed"])
    latest = queries.latest_runs(archive.db)
    assert set(latest) == {"a"}
    assert latest["a"].status == "unreachable" and latest["a"].errors == ["DNS lookup failed"]
    assert latest["a"].findings_opened == 1
    (report,) = queries.reports(archive.db, site_id="a")
    assert (report.year, report.published, report.agency) == (2023, "2024-01-20", "甲局")
    assert [r.id for r in queries.runs(archive.db, site_id="a")] == [latest["a"].id, latest["a"].id - 1]
    assert [s.id for s in queries.sites(archive.db)] == ["a", "b"]
