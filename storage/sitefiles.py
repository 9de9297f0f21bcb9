"""Reading sites files: the YAML contract, and the CSV/XLSX lists supervisors keep.

A spreadsheet's header row is looked for among its first rows (title rows
above it are skipped); headers may be the YAML keys or their usual Chinese
names (机关名称, 单位名称, 网站地址, 门户网站, 联系人, 层级/类型, …), levels the
words offices use (区县政府, 市直部门, 街道办事处, …). Addresses may lack
``http://``; a 截止日期 may be an Excel date cell (its month and day count).

Every entry is validated (pydantic) and every problem is collected, naming
the row or entry, the column or key, the value and what is expected, with a
"did you mean" for unknown keys and headers. ``read_sites`` returns the good
sites with the problems, so a list imports what is right and lists what is
not; ``load_sites`` refuses the whole file when anything is wrong.

A row without an id gets a stable one from its address (``storage.registry``
matches it to a registered site by address or name first, so an agency
renamed in the list stays the same site).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from monitor.deadlines import parse_month_day
from storage.errors import SitesFileError
from storage.sites import Site

# Chinese names of the fields, as problems name them (and the header `sites template` writes).
LABELS: dict[str, str] = {
    "id": "站点编号",
    "agency": "机关名称",
    "level": "类型",
    "region": "地区",
    "start_urls": "网址",
    "allowed_domains": "允许域名",
    "deadline": "截止日期",
    "first_year": "起始年度",
    "obey_robots": "遵守robots",
    "enabled": "启用",
    "contact": "联系人",
    "phone": "联系电话",
}
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "站点编号", "站点id", "站点标识", "标识", "编号"),
    "agency": (
        "agency",
        "机关名称",
        "单位名称",
        "机构名称",
        "部门名称",
        "机关",
        "单位",
        "名称",
        "机关全称",
        "单位全称",
        "政府信息公开机关",
    ),
    "level": ("level", "层级", "类型", "级别", "机关类型", "单位类型", "机关层级", "类别"),
    "region": ("region", "地区", "行政区划", "区域", "所属地区", "所属区县", "区县"),
    "start_urls": (
        "start_urls",
        "start_url",
        "url",
        "网址",
        "网站地址",
        "网站网址",
        "网站",
        "门户网站",
        "门户网站地址",
        "起始网址",
        "年报栏目",
        "年报栏目网址",
        "栏目网址",
        "栏目地址",
        "年报网址",
        "信息公开网址",
        "链接",
    ),
    "allowed_domains": ("allowed_domains", "域名", "允许域名"),
    "deadline": ("deadline", "截止日期", "截止时间", "发布期限", "发布截止日期", "期限"),
    "first_year": ("first_year", "起始年度", "起始年份", "首个年度", "开始年度", "起始年"),
    "obey_robots": ("obey_robots", "遵守robots", "robots"),
    "enabled": ("enabled", "启用", "是否启用", "监测", "是否监测"),
    "contact": ("contact", "联系人", "联系人姓名", "负责人"),
    "phone": ("phone", "联系电话", "电话", "联系方式", "办公电话", "手机"),
}
# Columns lists often have that nianbao has no use for: skipped without a word.
IGNORED_HEADERS = {"序号", "备注", "说明", "排序", "顺序"}
LEVEL_WORDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "department",
            "部门",
            "政府部门",
            "工作部门",
            "市直部门",
            "区直部门",
            "县直部门",
            "市直单位",
            "区直单位",
            "县直单位",
            "委办局",
            "直属机构",
            "部门单位",
        ),
        "department",
    ),
    **dict.fromkeys(
        (
            "government",
            "政府",
            "人民政府",
            "本级政府",
            "区县政府",
            "县区政府",
            "市政府",
            "县政府",
            "区政府",
            "市级政府",
            "县级政府",
            "区级政府",
        ),
        "government",
    ),
    **dict.fromkeys(
        (
            "township",
            "乡镇",
            "乡",
            "镇",
            "街道",
            "街道办事处",
            "街道办",
            "乡镇街道",
            "乡镇（街道）",
            "乡镇(街道)",
            "乡镇人民政府",
        ),
        "township",
    ),
}
_TRUE = {"1", "true", "yes", "y", "是", "启用", "遵守", "on", "√"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "不遵守", "off", "×"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# 1月31日, 01-31, 1/31, 2025-02-20, 2025年2月20日, 2025/2/20 (the year, if any, is not the point).
_MONTH_DAY = re.compile(r"^(?:(?:\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?\s*(?:年度?)?$")
_SPLIT = re.compile(r"[\s,;，；、]+")
HEADER_SCAN_ROWS = 10  # the header row is looked for among this many first rows


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a sites file: where (row or entry), and what (column, value, expectation)."""

    where: str  # "第 7 行", "第 3 个站点（第 12 行）", "" for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.where}：{self.message}" if self.where else self.message


@dataclass
class Entry:
    """A row or YAML entry, before validation: its fields by key, and where it is."""

    where: str
    values: dict[str, Any]
    unknown: dict[str, Any] = field(default_factory=dict)  # YAML keys that are no field


@dataclass
class LoadedSite:
    site: Site
    where: str
    explicit_id: bool  # the file gave the id (else it was derived from the address or the name)
    given: frozenset[str] = (
        frozenset()
    )  # the fields the file has (a column, or a key); others stay as registered


@dataclass
class SitesFile:
    """What a sites file holds: the sites that are right, and every problem with the rest."""

    path: str
    sites: list[LoadedSite] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not problems: ignored columns, the header row found
    rows: int = 0  # entries read (good and bad)

    def report(self) -> str:
        """The problems, one per line, under a line naming the file."""
        lines = [f"{self.path}：发现 {len(self.problems)} 处问题："]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


# ---- validation of one entry ---------------------------------------------------------------------


class SiteEntry(BaseModel):
    """One site as a sites file gives it; validators accept the forms offices write."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = None
    agency: str
    level: Literal["department", "government", "township"] = "department"
    region: str | None = None
    start_urls: list[str] = []
    allowed_domains: list[str] = []
    deadline: str | None = None
    first_year: int | None = None
    obey_robots: bool = True
    enabled: bool = True
    contact: str | None = None
    phone: str | None = None

    @field_validator("id", "region", "contact", "phone", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():  # Excel keeps a phone number as a number
            value = int(value)
        if isinstance(value, int | float):
            value = str(value)
        return value or None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is None or value.isdigit():  # a serial number (序号/编号 1, 2, 3…) is no id
            return None
        if not _SLUG.match(value):
            raise ValueError("只能包含小写字母、数字和 - _ .（可留空，由网址生成）")
        return value

    @field_validator("agency", mode="before")
    @classmethod
    def _agency(cls, value: Any) -> Any:
        if value is None or not str(value).strip():
            raise ValueError("不能为空")
        return re.sub(r"\s+", "", str(value))

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if value is None or str(value).strip() == "":
            return "department"
        word = unicodedata.normalize("NFKC", str(value)).strip().lower().replace(" ", "")
        word = word.replace("(", "（").replace(")", "）")
        if word in LEVEL_WORDS:
            return LEVEL_WORDS[word]
        raise ValueError(
            "应为 部门、政府 或 乡镇（department、government、township）" + _did_you_mean(word, LEVEL_WORDS)
        )

    @field_validator("start_urls", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> list[str]:
        urls = []
        items = _items(value)
        for item in items:
            which = f"其中 {item!r} " if len(items) > 1 else ""
            url = unicodedata.normalize("NFKC", item).strip()
            if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
                if not re.match(r"^[\w-]+(\.[\w-]+)+(:\d+)?(/|$)", url):
                    raise ValueError(f"{which}不是网址（应为 http://… 或 www.…）")
                url = "http://" + url  # www.… as people write it
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{which}不是 http(s) 网址")
            urls.append(url)
        return urls

    @field_validator("allowed_domains", mode="before")
    @classmethod
    def _domains(cls, value: Any) -> list[str]:
        return [
            item.lower().removeprefix("http://").removeprefix("https://").strip("/") for item in _items(value)
        ]

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime | date):  # an Excel date cell: its month and day
            return f"{value.month:02d}-{value.day:02d}"
        text = unicodedata.normalize("NFKC", str(value)).strip()
        text = re.sub(r"\s+00:00(:00)?$", "", text)  # a date cell read as text
        match = _MONTH_DAY.match(text)
        if not match:
            raise ValueError("应为 月-日，如 01-31 或 1月31日")
        try:
            return parse_month_day(f"{match.group(1)}-{match.group(2)}")
        except ValueError:
            raise ValueError("不是每年都有的日期（月 1-12，日不超过当月天数，不能是 2月29日）") from None

    @field_validator("first_year", mode="before")
    @classmethod
    def _first_year(cls, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValueError("应为年份，如 2023")
        if isinstance(value, datetime | date):
            return value.year
        match = _YEAR.match(unicodedata.normalize("NFKC", str(value)).strip())
        if not match or not 2008 <= int(match.group(1)) <= 2100:
            raise ValueError("应为 2008 年（条例施行）以后的年份，如 2023")
        return int(match.group(1))

    @field_validator("obey_robots", "enabled", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        if value is None or value == "":
            return True
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("应为 是 或 否（true/false）")


def _items(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part for part in _SPLIT.split(str(value)) if part]


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"；是否是「{close[0]}」？" if close else ""


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


_PYDANTIC_WORDS = {
    "missing": "不能为空",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "bool_type": "应为 是 或 否（true/false）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "literal_error": "不是可选的值",
}


def validate_entry(entry: Entry) -> tuple[Site | None, bool, list[str]]:
    """The site of one entry, whether its id was given, and what is wrong with it (Chinese)."""
    problems = [f"键 {key!r} 无法识别" + _did_you_mean(key, LABELS) for key in entry.unknown]
    try:
        parsed = SiteEntry.model_validate(entry.values)
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            label = LABELS.get(key, key)
            if error["type"] == "extra_forbidden":  # defensive: unknown keys are sorted out before
                problems.append(f"键 {key!r} 无法识别" + _did_you_mean(key, LABELS))
                continue
            if error["type"] == "value_error":
                reason = str(error["ctx"]["error"])
            else:
                reason = _PYDANTIC_WORDS.get(error["type"], "值无效")
            value = entry.values.get(key)
            problems.append(
                f"{label}「{_show(value)}」{reason}" if value not in (None, "") else f"{label}{reason}"
            )
        return None, False, problems
    if problems:
        return None, False, problems
    data = parsed.model_dump()
    explicit = data["id"] is not None
    site_id = data.pop("id") or derived_id(parsed.agency, parsed.start_urls)
    return Site(id=site_id, **data), explicit, []


def derived_id(agency: str, start_urls: list[str]) -> str:
    """A stable id from the first address (host and a short hash), or from the name without one."""
    if start_urls:
        key = url_key(start_urls[0])
        host = (urlsplit(start_urls[0]).hostname or "site").removeprefix("www.")
        host = re.sub(r"\.(gov\.cn|com\.cn|org\.cn|cn|com|org|net)$", "", host)
    else:
        key, host = agency, "site"
    stem = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"
    return f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"


def url_key(url: str) -> str:
    """An address as compared: no scheme, no www., no trailing slash, host in lower case."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


# ---- reading the files ---------------------------------------------------------------------------


def read_sites(path: str | Path) -> SitesFile:
    """Read and validate a sites file: the good sites, and every problem with the rest.

    Raises ``SitesFileError`` only when the file as a whole cannot be read
    (missing, wrong type, not YAML, no header row).
    """
    name = str(path)
    suffix = Path(path).suffix.lower()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SitesFileError(name, f"无法读取文件（{exc.strerror}）") from exc
    result = SitesFile(name)
    if suffix in {".yaml", ".yml"}:
        entries = _yaml_entries(data, name)
    elif suffix == ".csv":
        entries = _table_entries(list(csv.reader(io.StringIO(_decode(data, name)))), name, result)
    elif suffix in {".xlsx", ".xlsm"}:
        entries = _xlsx_entries(data, name, result)
    else:
        raise SitesFileError(name, "不支持的文件类型，请使用 .yaml、.csv 或 .xlsx")
    result.rows = len(entries)
    _validate(entries, result)
    return result


def load_sites(path: str | Path) -> list[Site]:
    """Every site of a sites file; ``SitesFileError`` listing every problem when anything is wrong."""
    loaded = read_sites(path)
    if loaded.problems:
        raise SitesFileError(
            loaded.path, "\n".join(str(p) for p in loaded.problems), problems=loaded.problems
        )
    return [item.site for item in loaded.sites]


def _validate(entries: list[Entry], result: SitesFile) -> None:
    first_by: dict[tuple[str, str], str] = {}  # (what, key) → where it was first seen
    for entry in entries:
        site, explicit, problems = validate_entry(entry)
        if site is not None:
            keys = [("name", site.agency)]
            if explicit:
                keys.append(("id", site.id))
            if site.start_urls and not explicit:
                keys.append(("url", url_key(site.start_urls[0])))
            duplicate = next(((what, key) for what, key in keys if (what, key) in first_by), None)
            if duplicate:  # one reason is enough: the first (the name, then the id, then the address)
                problems.append(_duplicate(*duplicate, first_by[duplicate]))
        if problems:
            result.problems += [Problem(entry.where, p) for p in problems]
            continue
        assert site is not None
        for key in keys:
            first_by[key] = entry.where
        result.sites.append(LoadedSite(site, entry.where, explicit, frozenset(entry.values)))


def _duplicate(what: str, key: str, first: str) -> str:
    if what == "name":
        return f"与{first}重复（机关名称都是「{key}」）"
    if what == "id":
        return f"与{first}重复（站点编号都是「{key}」）"
    return f"网址与{first}相同（{key}）；两个机关确实共用一个栏目时，请在 站点编号 列为它们分别填写编号"


def _yaml_entries(data: bytes, name: str) -> list[Entry]:
    try:
        text = data.decode("utf-8-sig")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise SitesFileError(name, "无法识别文件编码（请另存为 UTF-8）") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        raise SitesFileError(name, f"不是有效的 YAML：{where}格式有误（缩进、冒号或引号）") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sites"), list):
        raise SitesFileError(name, "缺少顶层的 sites: 列表" + _top_level_hint(doc))
    unknown_top = [key for key in doc if key != "sites"]
    if unknown_top:
        raise SitesFileError(
            name,
            "；".join(
                f"顶层键 {k!r} 无法识别（只能有 sites:）" + _did_you_mean(str(k), ["sites"])
                for k in unknown_top
            ),
        )
    lines = _yaml_lines(root)
    entries = []
    for index, item in enumerate(doc["sites"], start=1):
        line = lines[index - 1] if index - 1 < len(lines) else None
        where = f"第 {index} 个站点" + (f"（第 {line} 行）" if line else "")
        if not isinstance(item, dict):
            entries.append(Entry(where, {}, {"（整项）": item}))
            continue
        values = {k: v for k, v in item.items() if k in LABELS}
        unknown = {str(k): v for k, v in item.items() if k not in LABELS}
        entries.append(Entry(where, values, unknown))
    return entries


def _top_level_hint(doc: Any) -> str:
    if isinstance(doc, dict):
        close = _did_you_mean(str(next(iter(doc), "")), ["sites"]) if doc else ""
        return close
    return ""


def _yaml_lines(root: Any) -> list[int]:
    """The line of each entry of the sites list, from the composed YAML nodes."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "sites" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SitesFileError(name, "无法识别文件编码（请另存为 UTF-8）")


def _xlsx_entries(data: bytes, name: str, result: SitesFile) -> list[Entry]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SitesFileError(name, f"不是有效的 Excel 文件（{type(exc).__name__}）") from exc
    try:
        sheets = [
            (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
            for sheet in book.worksheets
        ]
    finally:
        book.close()
    # The first sheet with a header row (an explanations sheet may come first).
    for title, rows in sheets:
        if _find_header(rows) is not None:
            if len(sheets) > 1:
                result.notes.append(f"读取工作表「{title}」")
            return _table_entries(rows, name, result)
    return _table_entries(sheets[0][1] if sheets else [], name, result)


def _cell_value(cell: Any) -> Any:
    """A cell as validation takes it: dates and numbers as they are, text stripped, blank as None."""
    if isinstance(cell, datetime | date | int | float) and not isinstance(cell, bool):
        return cell
    return _cell_text(cell) or None


def _cell_text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _table_entries(rows: list[list[Any]], name: str, result: SitesFile) -> list[Entry]:
    if not any(_cell_text(cell) for row in rows for cell in row):
        raise SitesFileError(name, "文件中没有数据")
    found = _find_header(rows)
    if found is None:
        raise SitesFileError(name, _no_header(rows))
    header_index, columns = found
    if header_index:
        result.notes.append(f"表头在第 {header_index + 1} 行（其上 {header_index} 行视为标题）")
    unknown = []
    for index, header in enumerate(rows[header_index]):
        text = _cell_text(header)
        if text and index not in columns and _clean(text) not in IGNORED_HEADERS:
            unknown.append((index, text))
    typos = [(text, close) for _, text in unknown if (close := _close_header(text))]
    if typos:
        raise SitesFileError(
            name,
            "；".join(
                f"第 {header_index + 1} 行的列「{text}」无法识别，是否是「{close}」？"
                for text, close in typos
            ),
        )
    if unknown:
        result.notes.append("未使用的列：" + "、".join(f"「{text}」" for _, text in unknown))
    entries = []
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(_cell_text(cell) for cell in row):
            continue
        values = {
            key: _cell_value(row[index] if index < len(row) else None) for index, key in columns.items()
        }
        entries.append(Entry(f"第 {number} 行", values))
    return entries


def _clean(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]", "", text)  # 网址（必填）
    return re.sub(r"[\s*：:]", "", text)


def _header_key(header: str) -> str | None:
    cleaned = _clean(header)
    for part in [cleaned, *re.split(r"[/、]", cleaned)]:  # 层级/类型
        for key, aliases in HEADER_ALIASES.items():
            if part in aliases:
                return key
    return None


def _close_header(header: str) -> str | None:
    names = [alias for aliases in HEADER_ALIASES.values() for alias in aliases if not alias.isascii()]
    close = difflib.get_close_matches(_clean(header), names, n=1, cutoff=0.6)
    return close[0] if close else None


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[int, str]] | None:
    """The first of the first rows that names the agency column, with its columns by key."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[int, str] = {}
        for position, cell in enumerate(row):
            key = _header_key(_cell_text(cell)) if _cell_text(cell) else None
            if key and key not in columns.values():
                columns[position] = key
        if "agency" in columns.values() and len(columns) >= 2:
            return index, columns
    return None


def _no_header(rows: list[list[Any]]) -> str:
    cells = [_cell_text(c) for row in rows[:HEADER_SCAN_ROWS] for c in row if _cell_text(c)]
    hints = [f"「{c}」是否是「{close}」？" for c in cells if len(c) <= 12 and (close := _close_header(c))]
    return f"前 {HEADER_SCAN_ROWS} 行中找不到表头：需要一行含「机关名称」（或 单位名称）和「网址」等列" + (
        "；" + "；".join(hints[:3]) if hints else ""
    )
