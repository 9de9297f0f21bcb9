"""The sites registry: the YAML contract, supervisors' CSV/XLSX lists, saving and updating."""

from __future__ import annotations

from datetime import date

import pytest

from storage.errors import SitesFileError
from storage.sitefiles import load_sites
from storage.sites import Site, get_site, list_sites, save_sites
from tests.support.archive import ManualArchive

CONTRACT = """
sites:
  - id: gzjkq-jtfw                     # unique slug
    agency: 赣州经开区教体服务中心
    level: department                  # department | government | township
    start_urls: [https://example.gov.cn/zfxxgk/zfxxgknb/]
    allowed_domains: [example.gov.cn]  # optional; default: the start URLs' hosts
    deadline: "01-31"                  # optional month-day; default from level (township: none unless set)
    first_year: 2021                   # optional; reports expected from this year on
    obey_robots: true                  # optional
  - id: some-town
    agency: 某镇人民政府
    level: township
    start_urls: [https://www.town.gov.cn/nb/, https://xxgk.town.gov.cn/nb/]
"""


def test_yaml_contract(tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    first, town = load_sites(path)
    assert first == Site(
        id="gzjkq-jtfw",
        agency="赣州经开区教体服务中心",
        level="department",
        start_urls=["https://example.gov.cn/zfxxgk/zfxxgknb/"],
        allowed_domains=["example.gov.cn"],
        deadline="01-31",
        first_year=2021,
        obey_robots=True,
    )
    assert town.allowed_domains == ["www.town.gov.cn", "xxgk.town.gov.cn"]
    assert town.effective_deadline is None and town.deadline_for(2023) is None
    assert first.deadline_for(2023) == date(2024, 1, 31)
    assert Site("g", "某区人民政府", "government").deadline_for(2023) == date(2024, 3, 31)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sites: 3", "sites"),
        ("sites:\n  - id: a\n", "第 1 个站点（第 2 行）：机关名称不能为空"),
        ("sites:\n  - {id: a, agency: 甲, level: county}\n", "类型「county」应为"),
        ("sites:\n  - {id: A B, agency: 甲}\n", "站点编号"),
        ("sites:\n  - {id: a, agency: 甲, deadline: '13-40'}\n", "截止日期"),
        ("sites:\n  - {id: a, agency: 甲, start_urls: [ftp://x]}\n", "http"),
        ("sites:\n  - {id: a, agency: 甲}\n  - {id: a, agency: 乙}\n", "重复"),
        ("sites: [", "YAML"),
    ],
)
def test_yaml_errors_name_file_and_entry(tmp_path, text, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SitesFileError) as info:
        load_sites(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_csv_with_chinese_headers_in_gbk(tmp_path):
    path = tmp_path / "名单.csv"
    rows = [
        "编号,机关名称,层级,地区,网址,截止日期,起始年度,启用",
        "wbq-jyj,卫滨区教育局,部门,新乡市卫滨区,http://www.weibin.gov.cn/nb/,1月31日,2021,是",
        ",某镇人民政府,乡镇,,http://town.gov.cn/nb/ http://town.gov.cn/nb2/,2-20,,否",
    ]
    path.write_bytes("\n".join(rows).encode("gb18030"))
    first, town = load_sites(path)
    assert (first.id, first.level, first.region, first.deadline, first.first_year) == (
        "wbq-jyj",
        "department",
        "新乡市卫滨区",
        "01-31",
        2021,
    )
    assert town.level == "township" and town.deadline == "02-20" and not town.enabled
    assert town.start_urls == ["http://town.gov.cn/nb/", "http://town.gov.cn/nb2/"]
    assert town.id.startswith("town-")
    assert load_sites(path)[1].id == town.id  # stable: a second import updates the same row


def test_xlsx(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "agency", "level", "start_urls", "first_year", "obey_robots"])
    sheet.append(["zj-jyj", "湛江经济技术开发区教育局", "department", "https://zj.gov.cn/nb/", 2019, "false"])
    path = tmp_path / "sites.xlsx"
    book.save(path)
    (site,) = load_sites(path)
    assert (site.id, site.first_year, site.obey_robots) == ("zj-jyj", 2019, False)


def test_unsupported_or_missing_file(tmp_path):
    with pytest.raises(SitesFileError, match="不支持"):
        (tmp_path / "x.txt").write_text("x")
        load_sites(tmp_path / "x.txt")
    with pytest.raises(SitesFileError, match="无法读取"):
        load_sites(tmp_path / "missing.yaml")


def test_save_adds_updates_and_keeps(archive: ManualArchive) -> None:
    site = Site("a", "甲局", start_urls=["https://a.gov.cn/"])
    assert save_sites(archive.db, [site], now=archive.now()).added == ["a"]
    archive.clock.advance(days=1)
    assert save_sites(archive.db, [site], now=archive.now()).unchanged == ["a"]
    site.deadline = "02-20"
    assert save_sites(archive.db, [site], now=archive.now(), source="b.yaml").updated == ["a"]
    assert get_site(archive.db, "a") == site
    (row,) = archive.db.query("SELECT added_at, updated_at, source, start_urls FROM sites")
    assert row["added_at"] < row["updated_at"] and row["source"] == "b.yaml"
    assert row["start_urls"] == '["https://a.gov.cn/"]'  # readable JSON in the shell
    assert [s.id for s in list_sites(archive.db)] == ["a"]
