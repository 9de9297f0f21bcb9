"""PUB.MISSING and deadlines: statutory defaults, per-site overrides, only after a successful crawl."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.deadlines import deadline_for, parse_month_day
from monitor.publication import due_years, missing_reports, upcoming_deadline


def test_statutory_deadlines() -> None:
    assert deadline_for(2023, "department") == date(2024, 1, 31)
    assert deadline_for(2023, "government") == date(2024, 3, 31)
    assert deadline_for(2023, "township") is None
    assert deadline_for(2023, "township", "02-20") == date(2024, 2, 20)


def test_due_years_turn_over_at_the_deadline() -> None:
    assert due_years("department", date(2024, 1, 31), first_year=2021) == [2021, 2022]
    assert due_years("department", date(2024, 2, 1), first_year=2021) == [2021, 2022, 2023]
    assert due_years("government", date(2024, 3, 1), first_year=2022) == [2022]
    assert due_years("township", date(2024, 6, 1)) == []
    assert due_years("department", date(2024, 6, 1)) == [2021, 2022, 2023]  # default look-back


def test_missing_fires_only_for_due_years_without_a_report() -> None:
    found = missing_reports(
        level="department",
        today=date(2024, 2, 10),
        years_found={2022},
        crawl_ok=True,
        first_year=2022,
        site_url="http://127.0.0.1/zfxxgknb/",
    )
    assert [f.subject for f in found] == ["2023"]
    assert found[0].code == "PUB.MISSING" and found[0].severity == "error"
    assert found[0].evidence["deadline"] == "2024-01-31" and "已过10天" in found[0].message
    assert (
        missing_reports(
            level="department",
            today=date(2024, 2, 10),
            years_found={2022, 2023},
            crawl_ok=True,
            first_year=2022,
        )
        == []
    )


def test_no_missing_report_when_the_site_could_not_be_checked() -> None:
    assert (
        missing_reports(level="department", today=date(2024, 2, 10), years_found=set(), crawl_ok=False) == []
    )


def test_upcoming_deadline() -> None:
    assert upcoming_deadline("department", date(2024, 1, 20)) == (2023, date(2024, 1, 31))
    assert upcoming_deadline("department", date(2024, 2, 1)) is None
    assert upcoming_deadline("government", date(2024, 2, 1)) == (2023, date(2024, 3, 31))


@pytest.mark.parametrize("bad", ["13-01", "02-30", "0131", "x"])
def test_bad_deadline_overrides(bad: str) -> None:
    with pytest.raises(ValueError, match="MM-DD"):
        parse_month_day(bad)
    assert parse_month_day("2-20") == "02-20"


def test_a_listed_report_that_cannot_be_downloaded_is_said_so() -> None:
    dead = [
        {
            "title": "某局2022年度政府信息公开工作年度报告",
            "url": "http://x.gov.cn/2022.htm",
            "reason": "HTTP 404",
        }
    ]
    found = missing_reports(
        level="department",
        today=date(2024, 6, 1),
        years_found={2021, 2023},
        crawl_ok=True,
        first_year=2021,
        listed_failed={2022: dead},
    )
    (missing,) = found
    assert missing.evidence["year"] == 2022
    assert (
        "2022年度报告已列出但无法下载（HTTP 404" in missing.message
        and "未在网站上找到" not in missing.message
    )
    assert missing.evidence["listed"] == dead
