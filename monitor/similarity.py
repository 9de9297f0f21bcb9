"""How alike two reports' narratives are: shingles, MinHash signatures and LSH band keys (pure, numpy).

XREF.COPIED compares a report's own narrative (sections 一 and 五, its agency
names removed, every digit as 0, the template's wording left out) with another
report's, as sets of 10-character shingles: the *share* is the part of this
report's shingles found in the other. This module is the one definition of
those shingles, used by the rule for the exact share and by the application
for the similarity index that finds, among every report of a year, the few
worth comparing:

- a shingle is hashed to 64 bits (a polynomial over its code points, the same
  in every process); a report's *own shingles* are the sorted unique hashes;
- its MinHash *signature* (128 permutations, datasketch 2.0's "affine32"
  scheme: fold to 32 bits, MurmurHash3's finaliser, ``a·h + b mod 2³²``)
  estimates the Jaccard similarity of two sets as the fraction of equal values;
- 64 *bands* of 2 values each give 64 keys; two reports sharing a key are
  candidates. With 2 rows a pair of Jaccard 0.25 (a copy of 60 % of a report
  twice the other's size) shares a key with probability 1 − (1 − 0.25²)⁶⁴ ≈ 98.4 %,
  one of 0.43 (60 % of an equal-sized report) with > 99.99 %;
- ``estimated_share`` turns two signatures and sizes into an estimate of the
  share, so only candidates that may reach the rule's threshold are read.

Measured on this machine (2 cores): 0.35 ms per report for shingles and
signature; in a synthetic year of 100,000 reports every planted copy was a
candidate (docs/scale.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from monitor.extract.normalize import compact, letters_only
from monitor.model import Report
from monitor.template import SECTION_TITLES, TABLE3_ROWS, TABLE4_COLUMNS

Hashes = npt.NDArray[np.uint64]
Signature = npt.NDArray[np.uint32]

SHINGLE = 10
# A report with fewer own shingles than this is never judged a copy (too little prose to tell).
MIN_SHINGLES = 60
# The rule's threshold: this share of a report's own narrative found in another is copying.
COPY_SHARE = 0.6
# Another report with fewer own shingles cannot hold 60 % of a report of 60: never a candidate.
MIN_INDEXED = int(MIN_SHINGLES * COPY_SHARE)
PERMUTATIONS = 128
BANDS = 64
ROWS = 2
SEED = 1
# Candidates whose estimated share is below this are not compared exactly. The estimate errs by
# about ±0.1 at 128 permutations; no true copy (share ≥ 0.6) of a synthetic 30,000-report year fell below 0.4.
ESTIMATE_FLOOR = 0.4

# The template's own wording is never copying: headings, table labels, the standard sentences.
TEMPLATE_WORDING: tuple[str, ...] = (
    *SECTION_TITLES.values(),
    *(r.label for r in TABLE3_ROWS),
    *(c.label for c in TABLE4_COLUMNS),
    "按照《国务院办公厅关于印发〈政府信息公开信息处理费管理办法〉的通知》（国办函〔2020〕109号）规定的按件、按量收费标准，"
    "本年度没有产生信息公开处理费",
    "本报告依据《中华人民共和国政府信息公开条例》（国务院令第711号，以下简称新《条例》）和《国务院办公厅政府信息公开与"
    "政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求",
    "本年度报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止",
    "坚持以习近平新时代中国特色社会主义思想为指导",
    "公开为常态、不公开为例外",
    "主动公开情况依申请公开情况政府信息管理情况政府信息公开平台建设情况监督保障情况",
)

_DIGIT = re.compile(r"\d")
_BASE = 1000003
_POWERS = np.array([pow(_BASE, SHINGLE - 1 - k, 1 << 64) for k in range(SHINGLE)], dtype=np.uint64)
_EMPTY: Hashes = np.zeros(0, dtype=np.uint64)
# Table labels start with an ordinal (一、 二、 1.): they appear with it and without it.
_ORDINALS = "一二三四五六七八九十0"
# Shorter phrases (合计, 其他) are ordinary words too: only their shingles are left out.
_MIN_CUT = 4


def normalized(prose: str, names: tuple[str, ...] = ()) -> str:
    """The prose as compared: without the given agency names (a copy swaps in its own), letters only, digits as 0."""
    text = compact(prose)
    for name in names:
        text = text.replace(compact(name), "")
    return _DIGIT.sub("0", letters_only(text))


def shingle_hashes(text: str) -> Hashes:
    """Sorted unique 64-bit hashes of every ``SHINGLE``-character window of ``text`` (already normalised)."""
    if len(text) < SHINGLE:
        return _EMPTY
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(points, SHINGLE)
    with np.errstate(over="ignore"):
        hashes = (windows * _POWERS).sum(axis=1, dtype=np.uint64)  # wraps modulo 2^64, as intended
    return np.unique(hashes)


@lru_cache(maxsize=1)
def template_hashes() -> Hashes:
    return np.unique(np.concatenate([shingle_hashes(normalized(phrase)) for phrase in TEMPLATE_WORDING]))


@lru_cache(maxsize=1)
def _template_pattern() -> re.Pattern[str]:
    """The template's phrases as they read once normalised, with and without a leading ordinal (一、 1.)."""
    phrases = set()
    for phrase in TEMPLATE_WORDING:
        text = normalized(phrase)
        phrases.add(text)
        if text[:1] in _ORDINALS:
            phrases.add(text[1:])
    kept = sorted((p for p in phrases if len(p) >= _MIN_CUT), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, kept)))


def own_hashes(text: str) -> Hashes:
    """The shingles of normalised text that are the writer's own.

    The template's wording is cut out first, so no shingle spans two of its phrases (a table's
    labels run together in the narrative would otherwise share every label boundary with every
    report that has them); what is left of a phrase (a variant) is taken out shingle by shingle.
    """
    pieces = [shingle_hashes(piece) for piece in _template_pattern().split(text) if len(piece) >= SHINGLE]
    if not pieces:
        return _EMPTY
    return np.setdiff1d(np.unique(np.concatenate(pieces)), template_hashes(), assume_unique=True)


def report_names(report: Report) -> tuple[str, ...]:
    """The report's own agency names, longest first (removed before comparing)."""
    return tuple(sorted({n for n in (report.agency, report.heading_agency) if n}, key=len, reverse=True))


def compared_prose(report: Report) -> str:
    """The narrative XREF.COPIED compares: sections 一 (总体情况) and 五 (存在的主要问题及改进情况)."""
    return report.section_text(1) + report.section_text(5)


# Small: the rule meets a report a handful of times (its check, a batch's other reports), not thousands.
@lru_cache(maxsize=256)
def _own(prose: str, names: tuple[str, ...]) -> Hashes:
    return own_hashes(normalized(prose, names))


def own_shingles(report: Report) -> Hashes:
    """The report's own shingles: its compared narrative without its names and the template's wording."""
    return _own(compared_prose(report), report_names(report))


def share(mine: Hashes, other: Hashes) -> float:
    """The part of ``mine`` found in ``other`` (0 when ``mine`` is too short to judge)."""
    if mine.size < MIN_SHINGLES:
        return 0.0
    return int(np.intersect1d(mine, other, assume_unique=True).size) / int(mine.size)


# --- MinHash and bands ---------------------------------------------------------------------------


def _permutations() -> tuple[Signature, Signature]:
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, PERMUTATIONS, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, PERMUTATIONS, dtype=np.uint64).astype(np.uint32)
    return a, b


_A, _B = _permutations()
_EMPTY_SIGNATURE: Signature = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint32)


def _fmix32(h: Signature) -> Signature:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(hashes: Hashes) -> Signature:
    """The MinHash signature of a set of shingle hashes (``PERMUTATIONS`` × uint32)."""
    if hashes.size == 0:
        return _EMPTY_SIGNATURE.copy()
    folded = ((hashes >> np.uint64(32)) ^ (hashes & np.uint64(0xFFFFFFFF))).astype(np.uint32)
    mixed = _fmix32(folded).reshape(-1, 1)
    values: Signature = (mixed * _A + _B).min(axis=0)  # uint32 arithmetic wraps modulo 2^32, as intended
    return values


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per band (``BANDS`` of ``ROWS`` values), mixing the band's number in."""
    values = sig[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for row in range(ROWS):
            keys = (keys ^ values[:, row]) * np.uint64(0xBF58476D1CE4E5B9)
            keys ^= keys >> np.uint64(31)
    return [int(k) for k in keys.view(np.int64)]


def estimated_share(mine: Signature, n_mine: int, other: Signature, n_other: int) -> float:
    """Estimate of ``share`` from the signatures: Jaccard J of sets of sizes a, b gives |a ∩ b| = J(a+b)/(1+J)."""
    if n_mine == 0:
        return 0.0
    jaccard = float(np.count_nonzero(mine == other)) / PERMUTATIONS
    return jaccard * (n_mine + n_other) / ((1 + jaccard) * n_mine)


@dataclass(frozen=True)
class Sketch:
    """What the similarity index keeps of a report: its own-shingle count, signature and band keys."""

    shingles: int
    signature: Signature

    @property
    def indexed(self) -> bool:
        """Whether the report can hold a copy of another's narrative (enough prose to be a candidate)."""
        return self.shingles >= MIN_INDEXED

    @property
    def searches(self) -> bool:
        """Whether the report is long enough to be judged a copy (the rule's minimum)."""
        return self.shingles >= MIN_SHINGLES

    def bands(self) -> list[int]:
        return band_keys(self.signature)

    def signature_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()


def sketch(hashes: Hashes) -> Sketch:
    return Sketch(int(hashes.size), signature(hashes))


def report_sketch(report: Report) -> Sketch:
    return sketch(own_shingles(report))


def signature_from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)
