"""Placing table cells (monitor/extract/cells.py, columns.py, labels.py): a value is put where
the reader can be sure of it, and a guess is marked as one."""

from __future__ import annotations

import pytest

from monitor.extract.cells import WHY_AMBIGUOUS, WHY_TOO_FEW, WHY_TOO_MANY, fit, parse_cell
from monitor.extract.columns import header_map, place
from monitor.extract.labels import MIN_SIMILARITY, SURE_SIMILARITY, Placed, fill_gaps, similarity
from monitor.template import TABLE2_2019, TABLE3_COLUMNS, TABLE3_ROW_INDEX


@pytest.mark.parametrize(
    ("cells", "width", "values", "doubt"),
    [
        (["1", "2", "3"], 3, ["1", "2", "3"], None),
        (["", "1", "2", "3", ""], 3, ["1", "2", "3"], None),  # surplus empty cells at the ends
        (["", "", "", ""], 3, ["", "", ""], None),  # a row of blanks is blank wherever they sit
        (["13", "13", "", "524"], 3, ["13", "13", ""], WHY_AMBIGUOUS),  # which empty cell is surplus?
        (["1", "2", "3", "4"], 3, ["1", "2", "3"], WHY_TOO_MANY),
        (["5", "6"], 3, ["5", "6", ""], WHY_TOO_FEW),  # which column is the blank one?
    ],
)
def test_fit_marks_its_guesses(cells: list[str], width: int, values: list[str], doubt: str | None) -> None:
    fitted = fit(cells, width)
    assert (fitted.values, fitted.doubt) == (values, doubt)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("251000元", 251000),
        ("7730.28", 7730.28),
        ("86.5万元", 86.5),
        ("13件", 13),
        ("1,205", 1205),
        ("增 1", None),
        ("/", None),
    ],
)
def test_figures_with_their_units(raw: str, value: float | None) -> None:
    cell = parse_cell(raw)
    assert (cell.raw, cell.value) == (raw, value)


BLOCK_20_1 = TABLE2_2019[0].columns


def test_header_positions_place_merged_cells() -> None:
    header = [["信息内容", "本年新制作数量", "本年新公开数量", "", "对外公开总数量"]]
    mapping = header_map(header, BLOCK_20_1)
    assert mapping == {1: "produced", 2: "published", 4: "total_public"}
    placed = place(["规章", "13", "13", "", "524"], 1, mapping, BLOCK_20_1)
    assert placed is not None and placed.values == ["13", "13", "524"]
    # a row that does not sit on the header's grid is not placed by it
    assert place(["规章", "13", "13", "524", "9"], 1, mapping, BLOCK_20_1) is None


def test_table3_header_named_by_its_lowest_text() -> None:
    header = [
        ["（本列数据的勾稽关系为…）", "", "", "申请人情况", "", "", "", "", "", ""],
        ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
        ["", "", "", "", "商业企业", "科研机构", "社会公益 组织", "法律服务机构", "其他", ""],
    ]
    mapping = header_map(header, TABLE3_COLUMNS)
    assert mapping is not None and [mapping[p] for p in range(3, 10)] == [c.key for c in TABLE3_COLUMNS]
    assert header_map(header[:2], TABLE3_COLUMNS) is None  # not every column named: no map


def test_similarity_of_misprinted_and_garbled_labels() -> None:
    label = TABLE3_ROW_INDEX["denied.prohibited"].label
    assert similarity("2.其他法律行政止公开", label) >= SURE_SIMILARITY
    assert (
        similarity("（二）部分年公开（区分度处理的，只办计这一情形理）", "（二）部分公开") >= SURE_SIMILARITY
    )
    assert similarity("2.另有规定事项", label) < MIN_SIMILARITY


def _rows(*items: tuple[str | None, str]) -> list[Placed]:
    return [Placed(key, label, has_values=True) for key, label in items]


ORDER = ["a", "b", "c", "d"]
LABELS = {
    "a": "1.属于国家秘密",
    "b": "2.其他法律行政法规禁止公开",
    "c": "3.危及三安全一稳定",
    "d": "4.保护第三方合法权益",
}


def test_an_unrecognised_row_takes_the_free_place_between_its_neighbours() -> None:
    rows = _rows(("a", "1.属于国家秘密"), (None, "2.其他法律行政止公开"), ("c", "3.危及三安全一稳定"))
    assert fill_gaps(rows, ORDER, LABELS) == {}
    assert rows[1].key == "b" and rows[1].doubt is None


def test_a_row_like_no_template_row_leaves_its_place_uncertain() -> None:
    rows = _rows(("a", "1.属于国家秘密"), (None, "2.另有规定事项"), ("d", "4.保护第三方合法权益"))
    uncertain = fill_gaps(rows, ORDER, LABELS)
    assert rows[1].key is None
    assert set(uncertain) == {"b", "c"} and "2.另有规定事项" in uncertain["b"]


def test_rows_matched_by_place_only_are_doubtful() -> None:
    assert MIN_SIMILARITY <= similarity("2.法律禁止", LABELS["b"]) < SURE_SIMILARITY
    rows = _rows(("a", "1.属于国家秘密"), (None, "2.法律禁止"), ("c", "3.危及三安全一稳定"))
    fill_gaps(rows, ORDER, LABELS)
    assert rows[1].key == "b" and rows[1].doubt is not None and "2.法律禁止" in rows[1].doubt
