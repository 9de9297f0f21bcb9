"""Table cells: which cells hold values, how a row's values fit its columns, numbers with units.

Pure functions shared by the table readers (tables.py). A row's values are fitted to the columns
the template gives it; where the fit has to guess (more cells than columns with no way to tell
which are surplus), it says so instead of choosing silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.extract.normalize import compact, has_cjk
from monitor.model import Cell, is_placeholder
from monitor.text import cached_if_short

_CHANGE = re.compile(r"^[增减]\d+(\.\d+)?$")  # the 2019 template's 本年增/减 column: 增1, 减18
# A figure followed by its unit, as agencies type amounts and counts into cells: 251000元, 13件.
_WITH_UNIT = re.compile(r"^(?P<number>[+-]?[\d,]+(?:\.\d+)?)(?:万元|元|件|个|项|条|宗|次)$")

# Why a row's cells are not sure, as the supervisor reads it in evidence.
WHY_AMBIGUOUS = "单元格多于应有列数且无法判断哪些是多余的"
WHY_TOO_MANY = "数字多于应有列数"
WHY_TOO_FEW = "单元格少于应有列数，无法判断空缺的是哪一列"


@cached_if_short(4096)
def is_value_cell(text: str) -> bool:
    """A cell that holds (or stands for) a value: a number, a blank, a placeholder, 增1/减18, no Chinese."""
    t = compact(text)
    return (
        not t
        or is_placeholder(t)
        or Cell.parse(t).value is not None
        or bool(_CHANGE.match(t))
        or bool(_WITH_UNIT.match(t))
        or not has_cjk(t)
    )


def has_number(cells: Sequence[str]) -> bool:
    return any(parse_cell(c).value is not None for c in cells)


@cached_if_short(4096)  # the same few cell texts recur in every table
def parse_cell(raw: str) -> Cell:
    """A cell's number, also when the agency typed its unit after it ("251000元" is 251000)."""
    cell = Cell.parse(raw)
    if cell.value is None and raw:
        m = _WITH_UNIT.match(compact(raw))
        if m:
            number = Cell.parse(m["number"])
            return Cell(cell.raw, number.value)
    return cell


@dataclass(frozen=True)
class Fitted:
    values: list[str]
    doubt: str | None = None  # why the placement is not sure, None when it is


def fit(cells: Sequence[str], width: int) -> Fitted:
    """Fit the value cells of a row to ``width`` columns, dropping surplus empty cells at the ends.

    When cells remain surplus after that, the window holding the most non-empty cells is kept
    (leftmost on ties), and the result is marked doubtful: a number may have been dropped, or the
    values may sit one column off. A row with fewer cells than columns is padded at the end; that
    too is a guess unless the row holds nothing at all.
    """
    tail = [c.strip() for c in cells]
    while len(tail) > width and not tail[-1]:
        tail.pop()
    while len(tail) > width and not tail[0]:
        tail.pop(0)
    doubt = None
    if len(tail) > width:
        filled = sum(bool(c) for c in tail)
        scores = [sum(bool(c) for c in tail[i : i + width]) for i in range(len(tail) - width + 1)]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if filled > width:
            doubt = WHY_TOO_MANY
        elif scores.count(scores[best]) > 1 or scores[best] < filled:
            doubt = WHY_AMBIGUOUS
        tail = tail[best : best + width]
    elif len(tail) < width and any(tail):
        doubt = WHY_TOO_FEW
    return Fitted(tail + [""] * (width - len(tail)), doubt)


def split_paragraph_row(text: str) -> list[str] | None:
    """A table row flattened into one line of text ("行政许可 627", "一、本年新收… 0 0 0 0 0 0 0")."""
    tokens = re.sub(r"([增减])\s+(?=\d)", r"\1", text).split()  # "增 1" is one cell
    if len(tokens) < 2:
        return None
    values: list[str] = []
    while tokens and is_value_cell(tokens[-1]):
        values.insert(0, tokens.pop())
    if not tokens or not values or not has_cjk(tokens[-1]):
        return None
    return [" ".join(tokens), *values]


def number_tokens(text: str) -> list[str] | None:
    """A line of five or more numbers and placeholders only: a label-less row flattened to text."""
    tokens = text.split()
    if len(tokens) >= 5 and all(is_value_cell(t) for t in tokens):
        return tokens
    return None


def label_end(cells: Sequence[str]) -> int:
    """Index of a row's last label cell (Chinese text that is no value), -1 when it has none."""
    return max((i for i, c in enumerate(cells) if has_cjk(c) and not is_value_cell(c)), default=-1)
