"""Chinese running text as a reader sees it: whitespace collapsed as a browser would, pieces joined.

Shared by every reader (HTML, DOCX, PDF) and the portal page reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

from monitor.patterns import CJK_TEXT

# A line break in the source between two CJK characters renders as nothing (CSS segment-break rules).
_CJK_BREAK = re.compile(rf"(?<=[{CJK_TEXT}])[ \t\r\f]*\n\s*(?=[{CJK_TEXT}])")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
_CJK_CHAR = re.compile(f"[{CJK_TEXT}]")
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "O": 0,
    "o": 0,
    "零": 0,
    "Ｏ": 0,
    "0": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def clean_text(text: str) -> str:
    """Collapse whitespace as a browser would; keep full-width spaces inside the text."""
    text = _CJK_BREAK.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip(" \u3000")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def join_parts(parts: list[str]) -> str:
    """Join the paragraphs of one table cell: nothing between CJK characters, else one space.

    Word and CMS editors split header cells such as 社会公益<br>组织 over lines.
    """
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and not (is_cjk(out[-1]) and is_cjk(part[0])):
            out += " "
        out += part
    return out


_T = TypeVar("_T")


def cached_if_short(
    maxsize: int, longest: int = 2000
) -> Callable[[Callable[[str], _T]], Callable[[str], _T]]:
    """``lru_cache`` for a function of one text, used for texts of up to ``longest`` characters only.

    Labels and cell texts recur in every report and are worth caching; a long text is not, and a
    hostile file's megabyte line would otherwise stay in the cache (and in the reading worker) for good.
    """

    def wrap(fn: Callable[[str], _T]) -> Callable[[str], _T]:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(text: str) -> _T:
            return cached(text) if len(text) <= longest else fn(text)

        return call

    return wrap


@cached_if_short(16384)
def halfwidth(text: str) -> str:
    """Full-width ASCII (２０２３, （一）) as half-width; the ideographic space as a space."""
    return text.translate(_FULLWIDTH).replace("\u3000", " ")


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十五 → 25, 三十一 → 31; digit strings read digit by digit."""
    if not text:
        return None
    if text == "元":  # 元月: the first month
        return 1
    text = text.replace("廿", "二十").replace("卅", "三十")
    if "十" in text:
        tens, _, units = text.partition("十")
        t = _CN_DIGITS.get(tens) if tens else 1
        u = _CN_DIGITS.get(units) if units else 0
        if t is None or u is None:
            return None
        return t * 10 + u
    value = 0
    for ch in text:
        if ch not in _CN_DIGITS:
            return None
        value = value * 10 + _CN_DIGITS[ch]
    return value
