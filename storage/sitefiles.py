"""Reading sites files: the YAML contract, and the CSV/XLSX lists supervisors keep.

Spreadsheet headers may be the YAML keys or their usual Chinese names
(机关名称, 层级, 网址, …); levels may be written 部门 / 政府 / 乡镇. A row
without an id gets a stable one made from its host and agency, so importing
the same list again updates rather than duplicates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from storage.errors import SitesFileError
from storage.sites import LEVELS, Site

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "标识", "站点编号", "站点id"),
    "agency": ("agency", "机关名称", "单位名称", "机关", "单位", "名称", "部门名称"),
    "level": ("level", "层级", "级别", "类型", "机关类型"),
    "region": ("region", "地区", "行政区划", "区域", "所属地区"),
    "start_urls": ("start_urls", "start_url", "网址", "起始网址", "年报栏目", "栏目网址", "链接", "url"),
    "allowed_domains": ("allowed_domains", "域名", "允许域名"),
    "deadline": ("deadline", "截止日期", "发布期限", "期限"),
    "first_year": ("first_year", "起始年度", "首个年度", "起始年份"),
    "obey_robots": ("obey_robots", "遵守robots", "robots"),
    "enabled": ("enabled", "启用", "是否启用", "监测"),
}
LEVEL_WORDS: dict[str, str] = {
    "部门": "department",
    "政府部门": "department",
    "department": "department",
    "政府": "government",
    "人民政府": "government",
    "government": "government",
    "乡镇": "township",
    "街道": "township",
    "乡镇街道": "township",
    "乡镇（街道）": "township",
    "township": "township",
}
_TRUE = {"1", "true", "yes", "y", "是", "启用", "遵守", "on"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "不遵守", "off"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/月.](\d{1,2})日?$")


def load_sites(path: str | Path) -> list[Site]:
    """Read a sites file by its extension: .yaml/.yml, .csv, .xlsx/.xlsm."""
    name = str(path)
    suffix = Path(path).suffix.lower()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SitesFileError(name, f"无法读取文件（{exc.strerror}）") from exc
    if suffix in {".yaml", ".yml"}:
        entries = _yaml_entries(data, name)
    elif suffix == ".csv":
        entries = _csv_entries(data, name)
    elif suffix in {".xlsx", ".xlsm"}:
        entries = _xlsx_entries(data, name)
    else:
        raise SitesFileError(name, "不支持的文件类型，请使用 .yaml、.csv 或 .xlsx")
    sites = [_site(entry, name, where) for where, entry in entries]
    seen: set[str] = set()
    for site in sites:
        if site.id in seen:
            raise SitesFileError(name, f"站点编号 {site.id} 重复")
        seen.add(site.id)
    return sites


def _yaml_entries(data: bytes, name: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        doc = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SitesFileError(name, f"不是有效的 YAML（{exc}）") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("sites"), list):
        raise SitesFileError(name, "缺少顶层的 sites: 列表")
    entries = []
    for index, entry in enumerate(doc["sites"], start=1):
        if not isinstance(entry, dict):
            raise SitesFileError(name, f"第 {index} 个站点不是键值映射")
        entries.append((f"第 {index} 个站点", entry))
    return entries


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SitesFileError(name, "无法识别文件编码（请另存为 UTF-8）")


def _csv_entries(data: bytes, name: str) -> list[tuple[str, dict[str, Any]]]:
    rows = list(csv.reader(io.StringIO(_decode(data, name))))
    return _table_entries(rows, name)


def _xlsx_entries(data: bytes, name: str) -> list[tuple[str, dict[str, Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SitesFileError(name, f"不是有效的 Excel 文件（{exc}）") from exc
    sheet = book.worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _table_entries(rows, name)


def _table_entries(rows: list[list[str]], name: str) -> list[tuple[str, dict[str, Any]]]:
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise SitesFileError(name, "文件中没有数据")
    columns: dict[int, str] = {}
    for index, header in enumerate(rows[0]):
        key = _header_key(header)
        if key:
            columns[index] = key
    if "agency" not in columns.values():
        raise SitesFileError(name, "表头中找不到机关名称列（agency / 机关名称）")
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        entry = {
            key: row[index].strip()
            for index, key in columns.items()
            if index < len(row) and row[index].strip()
        }
        entries.append((f"第 {number} 行", entry))
    return entries


def _header_key(header: str) -> str | None:
    cleaned = header.strip().lower().replace(" ", "")
    for key, aliases in HEADER_ALIASES.items():
        if cleaned in aliases:
            return key
    return None


def _site(entry: dict[str, Any], name: str, where: str) -> Site:
    def fail(problem: str) -> SitesFileError:
        return SitesFileError(name, f"{where}：{problem}")

    agency = str(entry.get("agency") or "").strip()
    if not agency:
        raise fail("缺少机关名称（agency）")
    level = LEVEL_WORDS.get(str(entry.get("level") or "department").strip().lower())
    if level not in LEVELS:
        raise fail(
            f"层级 {entry.get('level')!r} 无效，应为 department、government 或 township（部门/政府/乡镇）"
        )
    start_urls = _list(entry.get("start_urls"))
    for url in start_urls:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise fail(f"网址 {url!r} 不是 http(s) 地址")
    site_id = str(entry.get("id") or "").strip() or _derived_id(agency, start_urls)
    if not _SLUG.match(site_id):
        raise fail(f"站点编号 {site_id!r} 只能包含小写字母、数字和 - _ .")
    return Site(
        id=site_id,
        agency=agency,
        level=level,
        start_urls=start_urls,
        allowed_domains=_list(entry.get("allowed_domains")),
        region=str(entry["region"]).strip() if entry.get("region") else None,
        deadline=_deadline(entry.get("deadline"), fail),
        first_year=_year(entry.get("first_year"), fail),
        obey_robots=_bool(entry.get("obey_robots"), True, fail),
        enabled=_bool(entry.get("enabled"), True, fail),
    )


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part for part in re.split(r"[\s,;，；、]+", str(value)) if part]


def _deadline(value: Any, fail: Any) -> str | None:
    if value is None or value == "":
        return None
    match = _MONTH_DAY.match(str(value).strip())
    if not match:
        raise fail(f'截止日期 {value!r} 应为 月-日，如 "01-31"')
    month, day = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise fail(f"截止日期 {value!r} 不是有效的月-日")
    return f"{month:02d}-{day:02d}"


def _year(value: Any, fail: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(float(str(value)))
    except ValueError:
        raise fail(f"起始年度 {value!r} 不是年份") from None
    if not 2000 <= year <= 2100:
        raise fail(f"起始年度 {value!r} 不是年份")
    return year


def _bool(value: Any, default: bool, fail: Any) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise fail(f"{value!r} 应为 是/否（true/false）")


def _derived_id(agency: str, start_urls: list[str]) -> str:
    host = urlsplit(start_urls[0]).hostname if start_urls else None
    stem = re.sub(r"[^a-z0-9]+", "-", (host or "site").removeprefix("www.").lower()).strip("-")
    return f"{stem}-{hashlib.sha1(agency.encode()).hexdigest()[:6]}"
