"""Many reports from the five seeds: each rewritten for another agency and year.

For the batch, crash and concurrency tests (``make_batch`` and the writer
``python -m tests.support.batch_ingest``) and for the archive benchmark.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from storage.archive import Archive
from storage.sites import Site, save_sites
from tests.support.archive import seed_bytes

SEED_YEARS = {"000": 2023, "001": 2023, "002": 2023, "003": 2020, "004": 2021}
SEED_AGENCIES = {
    "000": ("赣州经济技术开发区教体服务中心", "赣州经开区教体服务中心"),
    "001": ("赣州经济技术开发区机关事务管理中心", "赣州经开区机关事务管理中心"),
    "002": ("卫滨区教育局",),
    "003": ("湛江经济技术开发区教育局",),
    "004": ("郑县教育体育局",),
}
REGIONS = tuple(
    [
        "东湖",
        "西湖",
        "青山",
        "红谷滩",
        "新建",
        "安义",
        "进贤",
        "昌江",
        "浮梁",
        "湘东",
        "芦溪",
        "濂溪",
        "浔阳",
        "柴桑",
        "武宁",
        "修水",
        "永修",
        "德安",
        "渝水",
        "分宜",
        "月湖",
        "余江",
        "章贡",
        "南康",
        "赣县",
        "信丰",
        "大余",
        "上犹",
        "崇义",
        "安远",
        "龙南",
        "定南",
        "全南",
        "宁都",
        "于都",
        "兴国",
        "会昌",
        "寻乌",
        "石城",
        "瑞金",
        "吉州",
        "青原",
        "吉安",
        "吉水",
        "峡江",
        "新干",
        "永丰",
        "泰和",
        "遂川",
        "万安",
    ]
)
DEPARTMENTS = tuple(
    [
        "教育局",
        "卫生健康委员会",
        "财政局",
        "民政局",
        "司法局",
        "人力资源和社会保障局",
        "自然资源局",
        "生态环境局",
        "住房和城乡建设局",
        "交通运输局",
        "水利局",
        "农业农村局",
        "商务局",
        "文化广电新闻出版旅游局",
        "退役军人事务局",
        "应急管理局",
        "审计局",
        "市场监督管理局",
        "统计局",
        "医疗保障局",
    ]
)


def variant(prefix: str, agency: str, year: int) -> bytes:
    """A seed report rewritten for another agency and year (benchmarks, batch tests)."""
    text = seed_bytes(prefix).decode("utf-8")
    for name in SEED_AGENCIES[prefix]:
        text = text.replace(name, agency)
    delta = year - SEED_YEARS[prefix]
    base = SEED_YEARS[prefix]

    def shift(match: re.Match[str]) -> str:
        value = int(match.group(1))
        return str(value + delta) if base - 1 <= value <= base + 1 else match.group(1)

    # Document numbers such as 国办函〔2020〕109号 keep their year.
    text = re.sub(r"(20\d\d)(?!〕)", shift, text)
    return text.encode("utf-8")


def variant_agency(index: int) -> str:
    region = REGIONS[index % len(REGIONS)]
    department = DEPARTMENTS[(index // len(REGIONS)) % len(DEPARTMENTS)]
    return f"{region}区{department}"


def make_batch(tmp_path: Path, *, sites: int = 40, years: int = 5) -> tuple[Path, Path, list[str]]:
    """An archive with ``sites`` registered and a manifest of sites x years report files for it.

    Returns (data dir, manifest path, file names); the manifest's lines are ``site_id<TAB>path``.
    """
    data, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    lines, names, registered = [], [], []
    for s in range(sites):
        site_id, agency = f"site-{s:03d}", variant_agency(s)
        registered.append(Site(site_id, agency, start_urls=[f"https://s{s}.gov.cn/nb/"]))
        for y in range(years):
            name = f"{site_id}-{2019 + y}.txt"
            (files / name).write_bytes(variant(f"00{(s + y) % 5}", agency, 2019 + y))
            lines.append(f"{site_id}\t{files / name}")
            names.append(name)
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    with Archive.open(data) as archive:
        save_sites(archive.db, registered, now=archive.now())
    return data, manifest, names


def batch_command(data: Path, manifest: Path) -> list[str]:
    """The writer that ingests a manifest's files, printing "OK <name> <status>" after each commit."""
    return [sys.executable, "-m", "tests.support.batch_ingest", str(data), str(manifest)]
