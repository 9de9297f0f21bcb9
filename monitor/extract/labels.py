"""Row labels as agencies print them: misprinted, abbreviated, renumbered.

A row is first recognised by the template's key phrases (tables.py). A row those phrases miss
("2.其他法律行政止公开" for "2.其他法律行政法规禁止公开") is matched by its place in the table's
order -- between the rows recognised before and after it -- together with how much its label
resembles the template's. A free template row that a row with figures might be is never called
missing: it is uncertain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from monitor.extract.normalize import compact

# Numbering in front of a label: 一、 （一） (1) 1. 1、 ①
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、．]?|[①-⑩])"
)
# Below this a label is not the template's row at all; below SURE it is taken by its place only.
MIN_SIMILARITY = 0.45
SURE_SIMILARITY = 0.6

WHY_BY_PLACE = "行名与模板不符（原表：{label}），仅按表中位置对应"
WHY_UNPLACED = "表中有无法对应到模板的行（原表：{labels}），本行是否缺失无法确定"


def bare(label: str) -> str:
    """A label without its numbering and spaces, for comparing wording."""
    return _NUMBERING.sub("", compact(label))


def similarity(printed: str, template: str) -> float:
    """How much a printed label resembles the template's: the edit ratio, or, for a label with
    text around the template's words (a wrapped neighbour cell glued in, the template's note
    written out), the share of the template's characters found in order, a little discounted."""
    a, b = bare(printed), bare(template)
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    coverage = sum(block.size for block in matcher.get_matching_blocks()) / len(b) if len(b) >= 4 else 0.0
    return max(matcher.ratio(), 0.9 * coverage)


@dataclass
class Placed:
    """One row of the report: the template key it was matched to (None when not yet), its label."""

    key: str | None
    label: str
    has_values: bool
    doubt: str | None = None


def fill_gaps(rows: list[Placed], order: Sequence[str], labels: dict[str, str]) -> dict[str, str]:
    """Match unrecognised rows to the template rows free between their recognised neighbours.

    ``order`` is the template's row keys in order, ``labels`` their template wording. Rows are
    matched in place (``key`` and ``doubt`` set). Returns the template rows left free that an
    unmatched row with figures might be: key -> why it is uncertain.
    """
    index = {k: i for i, k in enumerate(order)}
    taken = {r.key for r in rows if r.key in index}
    uncertain: dict[str, str] = {}
    k = 0
    while k < len(rows):
        if rows[k].key is not None or not rows[k].has_values:
            k += 1
            continue
        start = k
        while k < len(rows) and (rows[k].key is None or rows[k].key not in index):
            k += 1
        group = [r for r in rows[start:k] if r.key is None and r.has_values]
        before = max((index[r.key] for r in rows[:start] if r.key in index), default=-1)
        after = min((index[r.key] for r in rows[k:] if r.key in index), default=len(order))
        free = [key for key in order[before + 1 : after] if key not in taken]
        _match_group(group, free, labels)
        taken.update(r.key for r in group if r.key)
        left = [r.label for r in group if r.key is None]
        if left:
            why = WHY_UNPLACED.format(labels="、".join(left))
            uncertain.update({key: why for key in free if key not in taken})
    return uncertain


def _match_group(group: list[Placed], free: list[str], labels: dict[str, str]) -> None:
    if not group or not free:
        return
    if len(group) == len(free):
        # As many unrecognised rows as free places: one to one, in order, if the wording allows.
        scores = [similarity(r.label, labels[key]) for r, key in zip(group, free, strict=True)]
        if all(s >= MIN_SIMILARITY for s in scores):
            for row, key, score in zip(group, free, scores, strict=True):
                row.key = key
                if score < SURE_SIMILARITY:
                    row.doubt = WHY_BY_PLACE.format(label=row.label)
            return
    # Otherwise each row to the most similar free place after the previous match, if close enough.
    position = 0
    for row in group:
        best, best_score = -1, SURE_SIMILARITY - 1e-9
        for j in range(position, len(free)):
            score = similarity(row.label, labels[free[j]])
            if score > best_score:
                best, best_score = j, score
        if best >= 0:
            row.key = free[best]
            position = best + 1
