"""Synthetic annual reports whose narratives differ as real ones do (copy detection tests, the storage benchmark).

Variants of the five seeds share their narrative: every one of them is a copy of
every other, which no real year looks like. ``SyntheticReports`` keeps a seed's
tables and structure but writes sections 一 and 五 afresh for each report, from
pieces (2–4 characters) of the seeds' own prose, with now and then a stock
phrase or a sentence of the template's wording, as real reports share them.
Two generated narratives share almost no 10-character shingle (the seeds among
themselves: 1–4 %); ``copy_of`` gives the narrative of another report with a
part of it rewritten, the way one agency copies another's report.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cached_property

from monitor.similarity import TEMPLATE_WORDING
from tests.support.batch import variant
from tests.support.paths import SEEDS

_SECTION_ONE = re.compile(r"^(?:#+\s*)?一、\s*总体情况.*$", re.M)
_SECTION_TWO = re.compile(r"^(?:#+\s*)?二、\s*主动公开政府信息情况.*$", re.M)
_SECTION_FIVE = re.compile(r"^(?:#+\s*)?五、\s*(?:存在的主要问题|主要问题).*$", re.M)
_SECTION_SIX = re.compile(r"^(?:#+\s*)?六、\s*其他需要报告的事项.*$", re.M)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
STOCK = (
    "进一步提高政府信息公开工作质量",
    "切实保障人民群众的知情权、参与权、表达权和监督权",
    "及时、准确、全面地公开政府信息",
    "认真贯彻落实上级部署要求",
    "加强政务公开队伍建设",
    "不断提升政务公开工作水平",
    "做到应公开尽公开",
    "强化政策解读和回应关切",
)


@dataclass(frozen=True)
class Narrative:
    """Sections 一 and 五 of one report, as paragraphs."""

    overview: tuple[str, ...]
    problems: tuple[str, ...]


class SyntheticReports:
    """Reports numbered 0, 1, 2, …: the same number always gives the same text."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    @cached_property
    def pieces(self) -> list[str]:
        text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
        runs = "".join(_CJK_RUN.findall(text))
        rng = random.Random(self.seed)
        out, i = [], 0
        while i < len(runs):
            n = rng.randint(2, 4)
            out.append(runs[i : i + n])
            i += n
        return out

    def _paragraph(self, rng: random.Random, length: int) -> str:
        parts: list[str] = []
        size = 0
        while size < length:
            roll = rng.random()
            if roll < 0.05:
                part = rng.choice(STOCK)
            elif roll < 0.07:
                part = rng.choice(TEMPLATE_WORDING)  # never counts as copying
            else:
                part = "".join(rng.choice(self.pieces) for _ in range(rng.randint(3, 9)))
            parts.append(part)
            size += len(part)
        return "，".join(parts) + "。"

    def narrative(self, number: int) -> Narrative:
        rng = random.Random(f"{self.seed}:{number}")
        overview = tuple(self._paragraph(rng, rng.randint(90, 260)) for _ in range(rng.randint(3, 6)))
        problems = tuple(self._paragraph(rng, rng.randint(60, 160)) for _ in range(rng.randint(1, 3)))
        return Narrative(overview, problems)

    def copy_of(self, number: int, *, keep: float = 0.9, salt: int = 0) -> Narrative:
        """Report ``number``'s narrative with about ``1 - keep`` of its paragraphs' pieces rewritten."""
        original = self.narrative(number)
        rng = random.Random(f"{self.seed}:copy:{number}:{salt}")

        def rewrite(paragraph: str) -> str:
            parts = paragraph.rstrip("。").split("，")
            return (
                "，".join(
                    p if rng.random() < keep else self._paragraph(rng, len(p)).rstrip("。") for p in parts
                )
                + "。"
            )

        return Narrative(tuple(map(rewrite, original.overview)), tuple(map(rewrite, original.problems)))

    def text(self, narrative: Narrative, agency: str, year: int, *, seed_prefix: str = "000") -> bytes:
        """A whole report (the seed's tables and other sections) telling ``narrative``."""
        body = variant(seed_prefix, agency, year).decode("utf-8")
        one, two = _SECTION_ONE.search(body), _SECTION_TWO.search(body)
        five, six = _SECTION_FIVE.search(body), _SECTION_SIX.search(body)
        assert one and two and five and six, seed_prefix
        overview = "\n\n".join(
            f"{year}年，{agency}{p}" if i == 0 else p for i, p in enumerate(narrative.overview)
        )
        problems = "\n\n".join(narrative.problems)
        return (
            body[: one.end()]
            + "\n\n"
            + overview
            + "\n\n"
            + body[two.start() : five.end()]
            + "\n\n"
            + problems
            + "\n\n"
            + body[six.start() :]
        ).encode("utf-8")
