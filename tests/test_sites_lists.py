"""Setting up from the lists offices keep: a real-shaped Excel list, re-imports, the sites' lifecycle,
naming agencies on the command line, and the first run's expectations."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from monitor.model import CST
from nianbao.cli import cli
from storage.registry import site_history
from storage.sitefiles import read_sites
from storage.sites import get_site, list_sites
from tests.support.archive import open_archive


def supervisors_list(path: Path) -> Path:
    """The list a 政务公开办 keeps: a title and a note above the header, its own column names and words."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2025年监测名单"
    sheet.append(["郑县2024年度政府信息公开工作年度报告监测名单"])
    sheet.merge_cells("A1:I1")
    sheet.append(["填报单位：郑县政务公开办", None, None, None, "填报日期：2025年1月6日"])
    sheet.append([])
    sheet.append(
        ["序号", "单位名称", "层级/类型", "网站地址", "联系人", "联系电话", "截止日期", "起始年度", "备注"]
    )
    rows = [
        # 5: a county government, a www. address, a first year
        [
            1,
            "郑县人民政府",
            "区县政府",
            "www.zhengxian.gov.cn/xxgk/zfxxgknb/",
            "王敏",
            "0371-62345678",
            None,
            2021,
            "",
        ],
        # 6: a department, http address, a phone kept as a number, an Excel date cell as deadline
        [
            2,
            "郑县教育体育局",
            "市直部门",
            "http://jyj.zhengxian.gov.cn/nb/",
            "李强",
            13812345678,
            datetime(2025, 1, 31),
            None,
            "",
        ],
        # 7: a street office with its local deadline, as an Excel date
        [
            3,
            "城关街道办事处",
            "街道办事处",
            "www.zhengxian.gov.cn/cgjd/nb/",
            "赵丽",
            "0371-62345999",
            datetime(2025, 2, 20),
            None,
            "",
        ],
        # 8: a deadline that does not exist
        [4, "郑县市场监督管理局", "委办局", "www.zhengxian.gov.cn/scj/nb/", "", "", "02-30", None, ""],
        # 9: row 6 again
        [5, "郑县教育体育局", "市直部门", "http://jyj.zhengxian.gov.cn/nb/", "李强", "", None, None, "重复"],
        # 10: a type nobody knows, and an address that is no web address
        [6, "郑县卫生健康委员会", "事业单位", "ftp://wjw.zhengxian.gov.cn/", "", "", None, None, ""],
        # 11: a township without a deadline
        [7, "某乡人民政府", "乡镇", "www.mx.zhengxian.gov.cn/nb", "", "", None, None, ""],
        # 12: no name
        [8, None, "市直部门", "www.zhengxian.gov.cn/xx/nb/", "", "", None, None, ""],
        # 13: a year that is no year
        [9, "郑县财政局", "部门", "www.zhengxian.gov.cn/czj/nb/", "", "", None, "去年", ""],
    ]
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def run(tmp_path: Path):
    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, [*args, "--data", str(tmp_path / "data")], input=input)

    return invoke


def test_a_real_excel_list_imports_every_good_row_and_lists_every_problem(tmp_path: Path, run) -> None:
    path = supervisors_list(tmp_path / "监测名单.xlsx")
    done = run("sites", "import", str(path))
    out = done.output
    assert done.exit_code == 1, out  # something was left out
    assert (
        "表头在第 4 行" in out and "未使用的列：「备注」" not in out
    )  # 备注 and 序号 are skipped without a word
    problems = out.split("未导入")[1].split("新增")[0]
    assert "第 8 行：截止日期「02-30」不是每年都有的日期" in problems
    assert "第 9 行：与第 6 行重复（机关名称都是「郑县教育体育局」）" in problems
    assert "第 10 行：类型「事业单位」应为 部门、政府 或 乡镇" in problems
    assert "第 10 行：网址「ftp://wjw.zhengxian.gov.cn/」" in problems and "不是 http(s) 网址" in problems
    assert "第 12 行：机关名称不能为空" in problems
    assert "第 13 行：起始年度「去年」应为" in problems
    assert problems.count("  第 ") == 6  # five rows, one of them with two problems
    with open_archive(tmp_path / "data") as archive:
        sites = {site.agency: site for site in list_sites(archive.db)}
    assert set(sites) == {"郑县人民政府", "郑县教育体育局", "城关街道办事处", "某乡人民政府"}
    government = sites["郑县人民政府"]
    assert government.level == "government" and government.first_year == 2021
    assert government.start_urls == ["http://www.zhengxian.gov.cn/xxgk/zfxxgknb/"]
    assert (government.contact, government.phone) == ("王敏", "0371-62345678")
    education = sites["郑县教育体育局"]
    assert (education.level, education.deadline, education.phone) == ("department", "01-31", "13812345678")
    street = sites["城关街道办事处"]
    assert (street.level, street.deadline, street.held_to_deadline) == ("township", "02-20", True)
    town = sites["某乡人民政府"]
    assert not town.held_to_deadline and "不判断其年报是否逾期或缺失" in (town.deadline_note or "")
    assert "1 个乡镇（街道）没有截止日期" in out and "某乡人民政府" in out
    # The ids people see are short and stable: importing the same list again changes nothing.
    assert all(re.fullmatch(r"([a-z]+-)?zhengxian-[0-9a-f]{6}", site.id) for site in sites.values())
    again = run("sites", "import", str(path))
    assert "未变化 4 个站点" in again.output and "新增" not in again.output


def test_the_first_year_defaults_to_the_latest_one_past_its_deadline(tmp_path: Path, run) -> None:
    path = supervisors_list(tmp_path / "监测名单.xlsx")
    done = run("sites", "import", str(path))
    with open_archive(tmp_path / "data") as archive:
        education = next(s for s in list_sites(archive.db) if s.agency == "郑县教育体育局")
    today = datetime.now(CST).date()  # the command's clock
    # A department is due by 01-31: the latest report year past its deadline is last year's.
    expected = today.year - 1 if (today.month, today.day) > (1, 31) else today.year - 2
    assert education.first_year == expected
    assert f"从 {expected} 年度报告查起" in done.output


def test_a_yaml_typo_is_named_with_what_was_meant(tmp_path: Path, run) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n"
        "  - agency: 郑县人民政府\n    levle: government\n    start_urls: [http://www.zhengxian.gov.cn/nb/]\n"
        "  - agency: 郑县教育体育局\n    start_urls: [http://jyj.zhengxian.gov.cn/nb/]\n",
        encoding="utf-8",
    )
    done = run("sites", "import", str(path))
    assert done.exit_code == 1
    assert "第 1 个站点（第 2 行）：键 'levle' 无法识别；是否是「level」？" in done.output
    with open_archive(tmp_path / "data") as archive:
        assert [s.agency for s in list_sites(archive.db)] == ["郑县教育体育局"]


def test_header_typos_and_missing_headers_are_named(tmp_path: Path) -> None:
    from storage.errors import SitesFileError

    typo = tmp_path / "a.csv"
    typo.write_text("单位名称,网址,截至日期\n郑县教育局,www.a.gov.cn,01-31\n", encoding="utf-8")
    with pytest.raises(SitesFileError, match="列「截至日期」无法识别，是否是「截止日期」"):
        read_sites(typo)
    nothing = tmp_path / "b.csv"
    nothing.write_text("单位,地扯\n郑县教育局,www.a.gov.cn\n", encoding="utf-8")
    with pytest.raises(SitesFileError, match="找不到表头"):
        read_sites(nothing)


def test_template_writes_a_list_that_imports(tmp_path: Path, run) -> None:
    def template(path: Path):
        return CliRunner().invoke(cli, ["sites", "template", str(path)])

    path = tmp_path / "空白名单.xlsx"
    assert template(path).exit_code == 0
    book = openpyxl.load_workbook(path)
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[:4] == ["机关名称", "类型", "地区", "网址"] and "联系人" in header and "截止日期" in header
    assert book.sheetnames == ["监测名单", "填写说明"]
    book.worksheets[0].append(["郑县教育体育局", "部门", "郑县", "www.zhengxian.gov.cn/jyj/nb/", "李强"])
    book.save(path)
    done = run("sites", "import", str(path))
    assert done.exit_code == 0 and "新增 1 个站点" in done.output
    assert template(path).exit_code == 2  # never overwrites a filled list
    for name in ("空白.csv", "空白.yaml"):
        assert template(tmp_path / name).exit_code == 0
        assert read_sites(tmp_path / name).problems == []


def _list(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("单位名称,网址\n" + "".join(f"{name},{url}\n" for name, url in rows), encoding="utf-8")
    return path


def test_reimport_shows_changes_and_a_renamed_agency_stays_one_site(tmp_path: Path, run) -> None:
    path = _list(
        tmp_path / "名单.csv",
        [("郑县教育局", "www.zhengxian.gov.cn/jyj/"), ("郑县文化局", "www.zhengxian.gov.cn/whj/")],
    )
    assert run("sites", "import", str(path)).exit_code == 0
    with open_archive(tmp_path / "data") as archive:
        (education,) = [s for s in list_sites(archive.db) if s.agency == "郑县教育局"]
    # The reorganisation: the bureau is renamed, the culture bureau is merged away.
    _list(path, [("郑县教育体育局", "www.zhengxian.gov.cn/jyj/")])
    dry = run("sites", "import", str(path), "--dry-run")
    assert dry.exit_code == 0
    assert (
        f"将更新 1 个站点：\n  ~ 郑县教育局（{education.id}）：机关名称 郑县教育局 → 郑县教育体育局"
        in dry.output
    )
    assert "名单中已没有 1 个站点，将停用" in dry.output and "郑县文化局" in dry.output
    assert "试运行：未做任何更改" in dry.output
    with open_archive(tmp_path / "data") as archive:
        before = get_site(archive.db, education.id)
        assert before is not None and before.agency == "郑县教育局"  # nothing applied
    done = run("sites", "import", str(path))
    assert "已更新 1 个站点" in done.output
    with open_archive(tmp_path / "data") as archive:
        sites = list_sites(archive.db)
        assert len(sites) == 2  # no second site for the same address
        renamed = get_site(archive.db, education.id)
        assert renamed is not None and renamed.agency == "郑县教育体育局" and renamed.enabled
        assert not next(s for s in sites if s.agency == "郑县文化局").enabled
        events = [e["event"] for e in site_history(archive.db, education.id)]
        assert events == ["added", "changed"]


def test_lifecycle_by_name(tmp_path: Path, run) -> None:
    path = _list(
        tmp_path / "名单.csv",
        [("郑县教育体育局", "www.zhengxian.gov.cn/jyj/"), ("郑县教育考试中心", "www.zhengxian.gov.cn/ksz/")],
    )
    run("sites", "import", str(path))
    ambiguous = run("sites", "disable", "教育")
    assert ambiguous.exit_code == 2 and "对应 2 个站点" in ambiguous.output
    unknown = run("sites", "disable", "郑县教体局")
    assert unknown.exit_code == 2 and "未登记；是否是：郑县教育体育局" in unknown.output
    assert "已停用 郑县教育体育局" in run("sites", "disable", "教育体育").output
    assert "已启用 郑县教育体育局" in run("sites", "enable", "郑县教育体育局").output
    assert "已改名：郑县教育体育局 → 郑县教育局" in run("sites", "rename", "教育体育局", "郑县教育局").output
    # remove asks first; answering no keeps everything
    kept = run("sites", "remove", "郑县教育局", input="n\n")
    assert kept.exit_code == 1 and "将删除 郑县教育局" in kept.output and "已取消" in kept.output
    with open_archive(tmp_path / "data") as archive:
        (site,) = [s for s in list_sites(archive.db) if s.agency == "郑县教育局"]
    gone = run("sites", "remove", "郑县教育局", "--yes")
    assert gone.exit_code == 0 and "已删除 郑县教育局" in gone.output
    with open_archive(tmp_path / "data") as archive:
        assert get_site(archive.db, site.id) is None
        history = [e["event"] for e in site_history(archive.db, site.id)]
    assert history == ["added", "disabled", "enabled", "renamed", "removed"]


def test_findings_name_sites_and_codes_or_say_what_is_wrong(tmp_path: Path, run) -> None:
    from tests.support.archive import seed_path

    run(
        "sites",
        "import",
        str(_list(tmp_path / "名单.csv", [("郑县教育体育局", "www.zhengxian.gov.cn/jyj/")])),
    )
    ingest = run("ingest", str(seed_path("004")), "--site", "郑县教育体育局", "--published", "2022-01-20")
    assert ingest.exit_code == 0, ingest.output
    by_name = run("findings", "--site", "教育体育局", "--json")
    assert by_name.exit_code == 0 and by_name.output.strip()
    assert {json.loads(line)["agency"] for line in by_name.output.splitlines()} == {"郑县教育体育局"}
    nope = run("findings", "--code", "NOPE")
    assert (
        nope.exit_code == 2 and "没有问题代码 NOPE" in nope.output and "没有符合条件的问题" not in nope.output
    )
    typo = run("findings", "--code", "PUB.MISING")
    assert "是否是：PUB.MISSING" in typo.output
    assert run("findings", "--code", "calc.").exit_code == 0  # a family, in any case
    unknown = run("findings", "--site", "郑县交通局")
    assert unknown.exit_code == 2 and "站点 郑县交通局 未登记" in unknown.output
