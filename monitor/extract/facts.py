"""The report's facts beyond its tables: agency, level, year, signature, period, fee statement."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from monitor.codes import Level
from monitor.extract.dates import find_dates, whole_line_date
from monitor.extract.normalize import compact, has_cjk, squeeze_cjk_spaces
from monitor.model import DatedText, Period
from monitor.readers.base import Line
from monitor.text import halfwidth

# A name carries its region when it contains a place-level word (赣州经开区…, 卫滨区…, 郑县…).
_REGION = re.compile(r"(省|市|区|县|州|盟|旗|镇|乡|街道|自治|国家|国务院|中华人民共和国|中国|全国|兵团|新区)")
_AGENCY_SUFFIX = (
    "人民政府",
    "政府",
    "办事处",
    "委员会",
    "管理委员会",
    "管委会",
    "局",
    "委",
    "厅",
    "办公室",
    "办",
    "中心",
    "院",
    "署",
    "部",
    "站",
    "所",
    "处",
    "队",
    "馆",
    "会",
    "公署",
)
_AGENCY_IN_TEXT = re.compile(
    r"[\u4e00-\u9fff]{2,24}?(?:人民政府|办事处|管理委员会|委员会|管委会|办公室|服务中心|中心|局|厅|委|署|院|公署)"
)


def agency_from_title(title: str | None) -> str | None:
    """The agency named before the year (赣州经开区教体服务中心2023年…) or after 年度 (2023年度XX局…)."""
    if not title:
        return None
    text = compact(title)
    text = re.sub(r"^关于", "", text)
    m = re.search(r"(?:19|20)\d{2}年度?|[〇○O零一二三四五六七八九]{4}年度?", text)
    if not m:
        return None
    before = text[: m.start()].strip("《（(")
    if before and has_cjk(before):
        return before
    after = text[m.end() :]
    cut = after.find("政府信息公开")
    if cut > 1:
        return after[:cut]
    return None


# Words that contain 市/乡/区 without naming a place (市场监督管理局, 城乡建设, 社区).
_NOT_PLACES = re.compile(r"市场|城市|城乡|乡村|社区|市政|都市|区域|辖区|园区|街区|片区|小区")


def names_region(name: str | None) -> bool:
    return bool(name and _REGION.search(_NOT_PLACES.sub("", name)))


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def agency_from_body(text: str, short_name: str | None) -> str | None:
    """The fullest agency name the body uses that the heading's short name abbreviates (教体局 → 郑县教育体育局)."""
    counts = Counter(m.group(0) for m in _AGENCY_IN_TEXT.finditer(compact(text)))
    candidates = []
    for name, n in counts.items():
        for start in range(len(name)):
            # The regex is lazy on the left: trim leading words until a name carrying its region remains.
            sub = name[start:]
            if len(sub) < 4:
                break
            if names_region(sub) and (short_name is None or is_subsequence(short_name, sub)):
                candidates.append((n, -start, sub))
                break
    if not candidates:
        return None
    candidates.sort(reverse=True)
    return candidates[0][2]


# A bare place name (海淀区, 赣州市章贡区) publishing a report is that place's government.
_BARE_REGION = re.compile(r"^[\u4e00-\u9fff]{1,14}(省|市|区|县|州|旗|盟|自治区|自治州|自治县|新区)$")


def is_government_name(name: str | None) -> bool:
    if not name:
        return False
    name = compact(name)
    return (
        name.endswith(("人民政府", "行政公署"))
        or bool(re.search(r"(省|市|区|县|州|旗)政府$", name))
        or (bool(_BARE_REGION.match(name)) and not name.endswith("社区"))
    )


def infer_level(agency: str | None) -> Level | None:
    if not agency:
        return None
    name = compact(agency)
    if re.search(r"(镇|乡)(人民政府)?$|街道(办事处)?$|办事处$", name):
        return "township"
    if is_government_name(name):
        return "government"
    return "department"


def looks_like_agency(text: str) -> bool:
    t = compact(text)
    return (
        3 <= len(t) <= 30 and has_cjk(t) and t.endswith(_AGENCY_SUFFIX) and not re.search(r"[。，,；;：:]", t)
    )


def find_signature(lines: Sequence[Line], after: int) -> tuple[str | None, DatedText | None, list[int]]:
    """The signature (落款) at the end: an agency line and a date line. Returns the line indexes used."""
    tail = [(i, ln) for i, ln in enumerate(lines) if i >= after and not ln.is_row and ln.text.strip()]
    used: list[int] = []
    agency = None
    signed = None
    for pos in range(len(tail) - 1, max(len(tail) - 5, -1), -1):
        i, line = tail[pos]
        text = squeeze_cjk_spaces(line.text.strip("#* "))
        found = whole_line_date(text)
        if found is None:
            # "赣州经开区机关事务管理中心 2023年1月29日" on one line
            dates = find_dates(text)
            if (
                dates
                and dates[-1].end >= len(halfwidth(text).rstrip("。. ")) - 1
                and looks_like_agency(text[: dates[-1].start])
            ):
                found = dates[-1]
                agency = compact(text[: dates[-1].start])
        if found is not None:
            signed = DatedText(found.date, found.text, i + 1, "day" if found.precision == "day" else "month")
            used.append(i)
            if agency is None and pos > 0 and looks_like_agency(tail[pos - 1][1].text):
                agency = compact(tail[pos - 1][1].text)
                used.append(tail[pos - 1][0])
            break
        if len(compact(text)) > 40:
            break  # reached the prose: no signature
    if signed is None and tail and looks_like_agency(tail[-1][1].text):
        agency = compact(tail[-1][1].text)
        used.append(tail[-1][0])
    return agency, signed, used


_PERIOD = re.compile(r"统计(?:期限|时限|期间|时间|区间|范围|周期)|数据(?:统计)?(?:期限|时限|时间)")
_RANGE_SEP = re.compile(r"^\s*(?:起|开始)?\s*(?:至|到|~|～|—+|-+|－+|–+)\s*")
_SAME_YEAR_END = re.compile(r"(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")  # 至12月31日: the start's year


def _month_end(d: date) -> date:
    following = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _period_end(after: str, start_year: int) -> tuple[date, int] | None:
    """The end date at the start of ``after`` and its length; a month alone means its last day."""
    full = find_dates(after)
    if full and full[0].start == 0:
        end = full[0]
        return (_month_end(end.date) if end.precision == "month" else end.date), end.end
    md = _SAME_YEAR_END.match(after)
    if md:
        try:
            month_date = date(start_year, int(md[1]), int(md[2]) if md[2] else 1)
        except ValueError:
            return None
        return (month_date if md[2] else _month_end(month_date)), md.end()
    return None


def find_period(lines: Sequence[Line]) -> Period | None:
    """The statistics period (统计期限自2023年1月1日起至2023年12月31日止), also when broken over lines."""
    paragraphs = [(i, ln) for i, ln in enumerate(lines) if not ln.is_row and ln.text.strip()]
    for k, (i, line) in enumerate(paragraphs):
        text = halfwidth(squeeze_cjk_spaces(line.text))
        m = _PERIOD.search(text)
        if not m:
            continue
        if k + 1 < len(paragraphs):  # a date cut off by the line end continues on the next line
            text += halfwidth(squeeze_cjk_spaces(paragraphs[k + 1][1].text))[:40]
        window = text[m.end() : m.end() + 80]
        dates = find_dates(window)
        if not dates:
            continue
        start = dates[0]
        rest = window[start.end :]
        sep = _RANGE_SEP.match(rest)
        found = _period_end(rest[sep.end() :], start.date.year) if sep else None
        if found is None:
            continue
        end_date, length = found
        end_pos = start.end + (sep.end() if sep else 0) + length
        quote = (text[m.start() : m.end()] + window[: end_pos + 1]).strip()
        return Period(start.date, end_date, quote, i + 1)
    return None


_FEE_WORDS = ("信息处理费", "处理费", "收费", "收取", "费用", "未产生", "没有产生", "缴费")


def fee_statement(section_six: str) -> str | None:
    """The sentence of section 六 about information processing fees, if any."""
    for sentence in re.split(r"(?<=[。；;])|\n", section_six):
        if any(w in compact(sentence) for w in _FEE_WORDS):
            return sentence.strip()
    return None


# "2023年，我局…", "截至2021年底": the year the report speaks of. Not "自2021年以来", "较2022年": comparisons.
_OPENING_YEAR = re.compile(
    r"(?<![自较与比从])(?:截至|截止)?\s*((?:19|20)\d{2})\s*年(?:度)?\s*(?:底|末|全年|，|,|里|中|内|我|本)"
)


def opening_year(section_one: str) -> tuple[int, str] | None:
    """The year the opening statements report on ("2023年，我局…", "截至2021年底")."""
    head = halfwidth(section_one)[:300]
    m = _OPENING_YEAR.search(head)
    if m:
        return int(m.group(1)), m.group(0).strip()
    return None
