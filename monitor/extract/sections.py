"""Find the title, the letterhead above it, and the six sections.

Headings vary (一、 / ## 一、 / **一、**, full- or half-width punctuation,
small wording changes: format.md); a heading is a short paragraph line whose
numeral and keywords agree, taken in increasing order.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from monitor.extract.normalize import compact, has_cjk, squeeze_cjk_spaces
from monitor.readers.base import Line

_NUMERALS = "一二三四五六"
# Markdown marks, bullets or a replacement character left by a damaged byte; then a numeral and a
# separator (、 . ， ： or a space), or the numeral in brackets: 一、 / 一 / （一）.
_HEADING = re.compile(
    r"^[#\s*\ufffd•·■□●◆>]*\**\s*(?:(?P<num>[一二三四五六])\s*[、.．,，:：]|(?P<num2>[一二三四五六])\s+|[（(]\s*(?P<num3>[一二三四五六])\s*[)）])"
    r"\s*\**(?P<rest>.*)$"
)
# Keywords a heading of each section carries (any one), near its start.
_SECTION_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "总体", "基本情况", "概况"),
    2: ("主动公开",),
    3: ("申请",),
    4: ("行政复议", "行政诉讼", "复议"),
    5: ("问题", "改进", "不足"),
    6: ("其他", "其它"),
}
_KEYWORD_WINDOW = 16  # the keyword must appear within this many characters of the heading's start
_HEADING_END = re.compile(r"[：:。；;]")
_TITLE_WORDS = ("报告", "年报")
_YEAR = re.compile(r"(?:19|20)\d{2}|[〇○O零一二三四五六七八九]{4}年")
_TITLE_TOPIC = ("政府信息公开", "信息公开", "政务公开")


@dataclass
class Heading:
    number: int
    text: str
    line: int  # index into the document's lines


@dataclass
class Layout:
    title: str | None
    title_line: int | None
    letterhead: str | None
    headings: list[Heading]

    def section_of(self, index: int) -> int:
        """The section number (1..6) a line index falls in; 0 before section 一."""
        current = 0
        for h in self.headings:
            if h.line <= index:
                current = h.number
            else:
                break
        return current


def split_heading(text: str) -> tuple[int, str, str] | None:
    """(section number, heading, text run in after it) when ``text`` starts a section, else None.

    "六、其他需要报告的事项：本年度未收取信息处理费。" is a heading with its text on the same line.
    """
    raw = text.replace("\u3000", " ").strip()
    m = _HEADING.match(raw) if raw else None  # before squeezing: "一 总体情况" is separated by its space
    if not m:
        return None
    number = _NUMERALS.index(m["num"] or m["num2"] or m["num3"]) + 1
    line = raw
    rest = squeeze_cjk_spaces(m["rest"]).strip().strip("*").strip()
    head = compact(rest)[:_KEYWORD_WINDOW]
    if head.startswith("是") or not any(k in head for k in _SECTION_KEYWORDS[number]):
        return None
    cut = _HEADING_END.search(rest)
    heading_part, run_in = (rest[: cut.start()], rest[cut.end() :]) if cut else (rest, "")
    if not cut and (len(compact(rest)) > 40 or re.search(r"[，,]", rest)):
        return None  # a long line, or one with commas, and no break after the heading words is prose
    marker = line[: m.start("rest")].strip("#* ")
    return number, f"{marker}{heading_part}".strip(), run_in.strip().strip("*").strip()


def heading_number(text: str) -> int | None:
    """The section number when ``text`` is a section heading, else None."""
    found = split_heading(text)
    return found[0] if found else None


def _is_title(text: str) -> bool:
    t = compact(text)
    return any(w in t for w in _TITLE_WORDS) and any(k in t for k in _TITLE_TOPIC) and len(t) <= 60


def find_title(lines: list[Line], limit: int = 15) -> tuple[str | None, int | None]:
    """The report's title: an early paragraph naming the report (…年度报告 / 年报), possibly over two lines."""
    early: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if line.is_row or not line.text.strip():
            continue
        if len(early) >= limit or heading_number(line.text):
            break
        early.append((i, squeeze_cjk_spaces(line.text.strip("#* \t")).strip("* ")))
    for k, (i, text) in enumerate(early):
        if _is_title(text):
            return text, i
        # A title broken over two lines: "某中心2023年" / "政府信息公开工作年度报告".
        if k + 1 < len(early) and len(compact(text)) <= 30 and not re.search(r"[。，,；;：:]", text):
            following = early[k + 1][1]
            joined = text + following
            # Not a letterhead over a complete title: the second line alone lacks the title or its year.
            completes = not _is_title(following) or (_YEAR.search(text) and not _YEAR.search(following))
            if _is_title(joined) and completes:
                return joined, early[k + 1][0]
    return None, None


def _letterhead(lines: list[Line], title_line: int | None) -> str | None:
    """A short line above the title naming the agency (湛江经济技术开发区教育局 over seed 003's title)."""
    if title_line is None:
        return None
    for line in reversed(lines[:title_line]):
        text = squeeze_cjk_spaces(line.text.strip("#* \t"))
        if not text or line.is_row:
            continue
        if has_cjk(text) and len(text) <= 30 and not re.search(r"[。，,；;：:]", text):
            return text
        return None
    return None


def find_layout(lines: list[Line]) -> Layout:
    title, title_line = find_title(lines)
    runs: list[list[Heading]] = [[]]
    start = title_line + 1 if title_line is not None else 0
    for i in range(start, len(lines)):
        line = lines[i]
        if line.is_row:
            continue
        found = split_heading(line.text)
        if not found:
            continue
        number, heading, _ = found
        current = runs[-1]
        if not current or number > current[-1].number:
            current.append(Heading(number, heading, i))
        elif number == 1:
            runs.append(
                [Heading(number, heading, i)]
            )  # numbering starts again: a table of contents came first
    # The run with most headings; on a tie the later one (the body after a table of contents).
    best = max(runs, key=lambda run: (len(run), _content_lines(lines, run)))
    return Layout(title, title_line, _letterhead(lines, title_line), best)


def _content_lines(lines: list[Line], run: list[Heading]) -> int:
    """Non-empty lines between the run's headings (a table of contents has none)."""
    return sum(1 for a, b in itertools.pairwise(run) for ln in lines[a.line + 1 : b.line] if ln.text.strip())


def section_texts(lines: list[Line], layout: Layout) -> dict[int, tuple[Heading, str]]:
    """Each section's prose (paragraph lines only; table rows are read separately).

    Text run in on the heading's own line ("六、其他需要报告的事项：无。") is the section's first paragraph.
    """
    result: dict[int, tuple[Heading, str]] = {}
    bounds = [*layout.headings]
    for k, heading in enumerate(bounds):
        end = bounds[k + 1].line if k + 1 < len(bounds) else len(lines)
        found = split_heading(lines[heading.line].text)
        run_in = [found[2]] if found and found[2] else []
        paragraphs = run_in + [
            squeeze_cjk_spaces(ln.text) for ln in lines[heading.line + 1 : end] if not ln.is_row
        ]
        result[heading.number] = (heading, "\n".join(p for p in paragraphs if p))
    return result
