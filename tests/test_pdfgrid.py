"""Unruled PDF tables (monitor/readers/pdfgrid.py): only runs of lines whose figures line up in
columns become rows; headings and paragraphs never do; wrapped labels are gathered beside their
figures; a figure off its column makes its row uncertain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import monitor.readers.pdf as pdf_reader
from monitor.check import check_reports, read_report
from monitor.model import CheckOptions
from monitor.readers.pdfgrid import WHY_OFF_COLUMN, Segment, TextLine, find_grids
from tests.support.labels import Case, Outcome, compare
from tests.support.paths import FIXTURES

EM = 10.0  # the type size of these synthetic lines


def seg(text: str, x0: float, top: float, size: float = EM) -> Segment:
    width = sum(size / 2 if ch.isascii() else size for ch in text)
    chars, x = [], x0
    for ch in text:
        w = size / 2 if ch.isascii() else size
        chars.append((ch, x, x + w))
        x += w
    return Segment(text, x0, x0 + width, top, top + size, chars)


def line(*parts: tuple[str, float], top: float, size: float = EM) -> TextLine:
    segments = [seg(text, x0, top, size) for text, x0 in parts]
    text = " ".join(s.text for s in segments)
    return TextLine(text, segments[0].x0, segments[-1].x1, top, top + size, size, segments)


COLUMNS = [300.0, 340.0, 380.0]  # left edges of three figure columns


def figures(values: list[str], shift: float = 0.0) -> list[tuple[str, float]]:
    return [(v, x + shift) for v, x in zip(values, COLUMNS, strict=True) if v]


def test_paragraphs_headings_and_letter_spacing_are_never_rows() -> None:
    lines = [
        line(("二、主动公开政府信息情况", 100.0), top=100, size=16),
        # a paragraph that ends in a figure: one stretch of text from the margin past the columns
        line(("全年主动公开政府信息共计 1136 条，其中政策文件 75 件，较上年增加 12", 74.0), top=130, size=16),
        line(("全年新收申请 39", 74.0), top=157, size=16),
        # a heading indented like a paragraph, then a letter-spaced line, then the closing stop
        line(("一、总体情况", 106.0), top=184, size=16),
        line(("电", 74.0), ("话", 100.0), ("：", 126.0), ("0517-87222589", 152.0), top=211, size=16),
        line(("。", 74.0), top=238, size=16),
        line(("- 1 -", 280.0), top=790, size=14),
    ]
    assert find_grids(lines, left=74.0) == []


def rows_of(lines: list[TextLine]) -> list[list[str]]:
    (grid,) = find_grids(lines, left=74.0)
    return grid.rows


def test_wrapped_labels_with_figures_centred_on_them() -> None:
    lines = [
        line(("2.其", 200.0), top=100),
        line(("他法", 200.0), top=112),
        line(("律行", 200.0), *figures(["0", "", "0"]), top=124),
        line(("政法规", 200.0), top=136),
        line(("禁止公", 200.0), top=148),
        line(("3.危", 200.0), top=166),
        line(("及三安", 200.0), *figures(["1", "0", "1"]), top=178),
        line(("全", 200.0), top=190),
    ]
    assert rows_of(lines) == [["2.其他法律行政法规禁止公", "0", "", "0"], ["3.危及三安全", "1", "0", "1"]]


def test_wrapped_labels_with_figures_at_their_top() -> None:
    lines = [
        line(("（一）予以", 200.0), *figures(["4", "1", "5"]), top=100),
        line(("公开", 200.0), top=112),
        line(("（二）部分", 200.0), *figures(["2", "0", "2"]), top=128),
        line(("公开", 200.0), top=140),
    ]
    assert rows_of(lines) == [["（一）予以公开", "4", "1", "5"], ["（二）部分公开", "2", "0", "2"]]


def test_a_group_label_goes_with_the_first_row_it_flanks() -> None:
    lines = [
        line(("1.国家秘密", 200.0), *figures(["0", "0", "0"]), top=100),
        line(("（三）不予", 120.0), ("2.禁止公开", 200.0), *figures(["1", "0", "1"]), top=114),
        line(("公开", 120.0), ("3.三安全", 200.0), *figures(["0", "0", "0"]), top=128),
    ]
    assert rows_of(lines) == [
        ["", "1.国家秘密", "0", "0", "0"],
        ["（三）不予公开", "2.禁止公开", "1", "0", "1"],
        ["", "3.三安全", "0", "0", "0"],
    ]


def test_a_figure_between_columns_makes_its_row_uncertain() -> None:
    lines = [line((f"{k}.项目", 200.0), *figures(["1", "0", "1"]), top=100 + 20 * k) for k in range(1, 6)]
    lines.insert(2, line(("9.错位", 200.0), *figures(["2", "0", "2"], shift=18.0), top=130))
    (grid,) = find_grids(lines, left=74.0)
    assert grid.doubts == [None, None, WHY_OFF_COLUMN, None, None, None]
    assert len(grid.rows[0]) == 4  # the misplaced figures made no columns of their own
    assert grid.rows[2] == ["9.错位", "2", "0", "2"]


def test_a_header_line_starts_a_block_with_its_own_columns() -> None:
    lines = [
        line(("信息内容", 100.0), ("本年制发件数", 280.0), ("本年废止件数", 340.0), top=100),
        line(("规章", 100.0), ("0", 300.0), ("0", 360.0), top=114),
        line(("信息内容", 100.0), ("本年处理决定数量", 300.0), top=132),
        line(("行政许可", 100.0), ("1260", 335.0), top=146),
    ]
    grids = find_grids(lines, left=74.0)
    assert [g.rows for g in grids] == [
        [["信息内容", "本年制发件数", "本年废止件数"], ["规章", "0", "0"]],
        [["信息内容", "本年处理决定数量"], ["行政许可", "1260"]],
    ]


# ---------------------------------------------------------------- real documents


@pytest.fixture(scope="module")
def without_rules() -> Iterator[dict[str, list[Any]]]:
    """The real WPS reports read as if their tables had no ruling lines at all."""
    patch = pytest.MonkeyPatch()
    patch.setattr(
        pdf_reader,
        "_ruling",
        lambda page: page.filter(lambda o: o.get("object_type") not in ("rect", "line", "curve")),
    )
    out = {}
    for name in ("hzq2023", "hzq2024"):
        path = FIXTURES / "real" / f"{name}.pdf"
        report = read_report(path.read_bytes(), path.name, CheckOptions(level="government"))
        assert report.meta.get("pages") == "5"
        out[name] = [report, check_reports([report])[0]]
    patch.undo()
    yield out


@pytest.mark.parametrize("name", ["hzq2023", "hzq2024"])
def test_real_tables_read_without_their_rules(without_rules: dict[str, list[Any]], name: str) -> None:
    import json

    report, findings = without_rules[name]
    label = json.loads((FIXTURES / "real" / f"{name}.json").read_text(encoding="utf-8"))
    assert sorted(f.code for f in findings if f.code != "PUB.DATE_UNKNOWN") == label["findings"]
    for key, table in label["tables"].items():
        got = report.tables[key]
        for row, cols in table["rows"].items():
            assert [got.cell(row, c).raw for c in cols] == list(cols.values()), (key, row)


# ---------------------------------------------------------------- layouts vary


@pytest.mark.skipif(
    not Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").exists(), reason="needs fonts-wqy-zenhei"
)
@pytest.mark.parametrize(
    ("valign", "labels", "size"),
    [
        ("centre", (16.0, 50.0, 34.0), 9.0),
        ("top", (16.0, 50.0, 34.0), 10.5),
        ("top", (30.0, 96.0, 90.0), 12.0),
        ("centre", (24.0, 70.0, 60.0), 12.0),
        ("top", (14.0, 44.0, 30.0), 12.0),
    ],  # the last: one character a line
)
def test_unruled_layouts_of_a_clean_report(
    valign: str, labels: tuple[float, float, float], size: float
) -> None:
    """The clean report laid out without rules at other column widths and type sizes: every cell
    right, nothing but the missing signature found."""

    # Imported here, not at collection: the builder brings fpdf and its fonts.
    from tests.support.shapes import build as shapes
    from tests.support.shapes import content as shapes_content

    report_data = next(r for r in shapes_content.REPORTS if r.name == "layout_traps")
    data = shapes.render_wps(report_data, ruled=False, valign=valign, labels=labels, size=size)
    report = read_report(data, "varied.pdf", CheckOptions())
    findings = [f.code for f in check_reports([report])[0]]
    label = shapes.label(report_data, "wps.pdf", {})
    outcome = Outcome(Case("shapes", "varied.pdf", data, label, "varied"), "pdf")
    compare(outcome, report, findings)
    assert outcome.mismatches == []
