"""Dates in every form format.md lists, and the statistics period."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.extract.dates import find_dates, lost_characters_date, whole_line_date
from monitor.extract.facts import find_period
from monitor.readers.text import parse_text
from monitor.text import chinese_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年1月25日", date(2024, 1, 25)),
        ("2024 年 1 月 25 日", date(2024, 1, 25)),
        ("二〇二四年一月二十五日", date(2024, 1, 25)),
        ("二○二四年一月二十五日", date(2024, 1, 25)),  # U+25CB
        ("二O二四年一月二十五日", date(2024, 1, 25)),  # Latin O
        ("二零二四年十二月三十一日", date(2024, 12, 31)),
        ("2024-01-25", date(2024, 1, 25)),
        ("２０２４年１月２５日", date(2024, 1, 25)),
        ("2024/1/25", date(2024, 1, 25)),
    ],
)
def test_whole_line_dates(text: str, expected: date) -> None:
    found = whole_line_date(text)
    assert found is not None and found.date == expected and found.precision == "day"


def test_month_only_and_lost_characters() -> None:
    found = whole_line_date("2017年3月")
    assert found is not None and found.date == date(2017, 3, 1) and found.precision == "month"
    assert lost_characters_date("2021926") == date(2021, 9, 26)
    assert lost_characters_date("20211026") == date(2021, 10, 26)
    assert lost_characters_date("2021136") is None  # neither 1-36 nor 13-6 is a date


def test_a_sentence_is_not_a_signature_date() -> None:
    assert whole_line_date("2023年我单位不存在信息公开收费情况。") is None
    assert whole_line_date("截至2021年底，郑县教育体育局") is None
    assert whole_line_date("") is None


def test_chinese_numbers() -> None:
    assert [chinese_number(x) for x in ("一", "十", "十二", "二十", "二十五", "三十一")] == [
        1,
        10,
        12,
        20,
        25,
        31,
    ]
    assert chinese_number("二〇二四") == 2024
    assert chinese_number("abc") is None


def test_find_dates_in_running_text() -> None:
    found = find_dates("自2023年1月1日起至2023年12月31日止，二〇二四年一月发布")
    assert [f.date for f in found] == [date(2023, 1, 1), date(2023, 12, 31), date(2024, 1, 1)]


@pytest.mark.parametrize(
    "sentence",
    [
        "本年度报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。",
        "（报告中所列数据的统计期限自 2023 年 1 月 1 日至 2023 年 12 月 31 日止。）",
        "本报告统计期限为2023年1月1日至12月31日。",
        "统计时限：2023年1月1日—2023年12月31日",
    ],
)
def test_period_forms(sentence: str) -> None:
    period = find_period(parse_text(sentence, "x").lines)
    assert period is not None
    assert (period.start, period.end) == (date(2023, 1, 1), date(2023, 12, 31))


def test_no_period_stated() -> None:
    assert find_period(parse_text("2023年，我局始终坚持以人民为中心。", "x").lines) is None
