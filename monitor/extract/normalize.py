"""Text normalisation shared by the extractors.

Full-width ASCII becomes half-width, all spaces go (Chinese text has none that
carry meaning; PDF converters insert them between characters), quotes vanish.
"""

from __future__ import annotations

import re

from monitor.text import cached_if_short, halfwidth

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』*#")
_PUNCT = re.compile(r"[\s\u3000，。、；：！？,.;:!?（）()\[\]【】《》<>“”\"'‘’·…—\-_/|*#]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@cached_if_short(16384)  # table labels repeat in every report: cache their normal form
def compact(text: str) -> str:
    """Half-width, no spaces, no quotes or markdown emphasis: for matching labels."""
    return _SPACES.sub("", halfwidth(text)).translate(_QUOTES)


def letters_only(text: str) -> str:
    """Only the meaningful characters: for comparing prose regardless of layout."""
    return _PUNCT.sub("", halfwidth(text))


def squeeze_cjk_spaces(text: str) -> str:
    """Drop the spaces PDF converters put between Chinese characters and digits, keep others."""
    text = text.replace("\u3000", " ").strip()
    return re.sub(r"(?<=[\u4e00-\u9fff\d（）()、，。：])\s+(?=[\u4e00-\u9fff\d（）()、，。：])", "", text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
