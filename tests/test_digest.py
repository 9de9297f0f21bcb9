"""The weekly digest on a fixture archive (tests/support/digest_world.py), checked by parsing the HTML.

Every part the issue lists is asserted: the week and headline figures, 需要处理
per agency with status marks, 本周已整改, 未能检查, 临近截止, counts per rule
code, the inline SVG chart, and that text from crawled pages stays text.
A golden summary (tests/fixtures/digest/expected.json) pins the whole page;
regenerate it with NIANBAO_UPDATE_GOLDEN=1 after a deliberate change.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from nianbao.digest import build_digest, render_html, resolve_period
from nianbao.digest.weeks import Week
from tests.support.archive import ManualArchive, add_site, open_archive
from tests.support.cli import Cli
from tests.support.digest_world import HOSTILE_ERROR, HOSTILE_QUOTE, HOSTILE_TITLE, TODAY, WEEK
from tests.support.html import attr, one
from tests.support.paths import FIXTURES

GOLDEN = FIXTURES / "digest" / "expected.json"


@pytest.fixture(scope="module")
def world(digest_world: Path) -> Path:
    return digest_world


@pytest.fixture(scope="module")
def page(world: Path) -> BeautifulSoup:
    return BeautifulSoup(html_for(world, WEEK), "html.parser")


def html_for(data: Path, week: str) -> str:
    archive = open_archive(data)
    try:
        return render_html(build_digest(archive.db, resolve_period(week, now=TODAY)))
    finally:
        archive.close()


def text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ", strip=True).split())


def figures(soup: BeautifulSoup) -> dict[str, int]:
    return {
        attr(f, "data-figure"): int(text(f.select_one(".value")))
        for f in soup.select("#headline [data-figure]")
    }


def findings_of(node: Tag) -> list[tuple[str, str]]:
    return [(attr(li, "data-code"), attr(li, "data-status")) for li in node.select("li.finding")]


def detail(soup: BeautifulSoup, site: str) -> Tag:
    node = one(soup, f'#details details[data-site="{site}"]')
    assert node is not None, site
    return node


# ---- the week and the headline ------------------------------------------------------------------


def test_week_covered(page: BeautifulSoup) -> None:
    week = text(page.select_one("#week"))
    assert "2024-W07" in week and "2024-02-12 至 2024-02-18" in week and "数据截至 2024-02-14" in week
    assert "审查 2023 年度报告" in week
    assert page.title is not None and "2024-W07" in page.title.get_text()
    assert page.html is not None and page.html["lang"] == "zh-CN"


def test_headline_figures_link_to_the_rows_behind_them(page: BeautifulSoup) -> None:
    assert figures(page) == {
        "monitored": 9,
        "missing": 1,  # zxjt
        "late": 1,  # jgsw
        "not_checked": 3,  # unreachable, blocked and never-crawled sites are not checked
        "open_errors": 7,
        "open_warnings": 1,
        "reports": 5,
        "dismissed": 0,
    }
    for key, anchor in {
        "missing": "#call-missing",
        "late": "#call-late",
        "not_checked": "#call-unchecked",
        "open_errors": "#call-errors",
        "open_warnings": "#call-warnings",
    }.items():
        link = one(page, f'#headline [data-figure="{key}"]')
        assert link.name == "a" and attr(link, "href") == anchor
        assert page.select_one(anchor) is not None, anchor
    assert text(page.select_one('[data-figure="late"] .change')) == "较上周+1"
    assert text(page.select_one('[data-figure="missing"] .change')) == "较上周−1"  # jgsw published, late


# ---- whom to call --------------------------------------------------------------------------------


def test_whom_to_call_is_ordered_by_gravity(page: BeautifulSoup) -> None:
    section = one(page, "#call")
    assert "需要联系的机关（7 个）" in text(section.h2)
    rows = [(attr(tr, "data-site"), attr(tr, "data-state")) for tr in section.select("tr[data-site]")]
    assert rows == [
        ("zxjt", "missing"),
        ("jgsw", "late"),
        ("unreach", "unchecked"),  # two open errors: before the blocked site's one
        ("blocked", "unchecked"),
        ("never", "unchecked"),
        ("hostile", "errors"),
        ("jtfw", "warnings"),
    ]
    zxjt = [text(td) for td in section.select('tr[data-site="zxjt"] td')]
    assert zxjt[0].startswith("郑县教育体育局") and zxjt[2] == "部门" and zxjt[3] == "未发布（2023 年度）"
    assert zxjt[6] == "2024-02-05"  # missing since the first crawl after the deadline
    jgsw = text(section.select_one('tr[data-site="jgsw"]'))
    assert "逾期发布（2023 年度，逾期 6 天）" in jgsw
    unreach = [text(td) for td in section.select('tr[data-site="unreach"] td')]
    assert unreach[3] == "未能检查：网站无法访问" and unreach[6] == "2024-02-12"
    link = one(section, 'tr[data-site="zxjt"] td.agency a')
    assert attr(link, "href") == "agencies/zxjt.html"


def test_roll_ups_by_region_and_level(page: BeautifulSoup) -> None:
    levels = {
        attr(tr, "data-key"): [text(td) for td in tr.select("td")] for tr in page.select("#levels tbody tr")
    }
    # 机关, 已到期, 按时发布, 按时率, 逾期, 未发布, 未能检查, 未解决错误
    assert levels["department"][1:9] == ["8", "8", "4", "50%", "1", "1", "3", "7"]
    assert levels["government"][1:9] == ["1", "0", "0", "—", "0", "0", "0", "0"]  # not due yet
    regions = page.select("#regions tbody tr")
    assert len(regions) == 1 and "（未填地区）" in text(regions[0])


# ---- details -------------------------------------------------------------------------------------


def test_details_are_collapsible_per_agency(page: BeautifulSoup) -> None:
    blocks = page.select("#details details.agency")
    assert [attr(b, "data-site") for b in blocks] == [
        "zxjt",
        "jgsw",
        "unreach",
        "blocked",
        "never",
        "hostile",
        "jtfw",
    ]
    assert all(not b.has_attr("open") for b in blocks)
    assert page.find("script") is None  # collapsing needs no script


def test_status_marks_new_open_for_n_weeks_and_reopened(page: BeautifulSoup) -> None:
    assert sorted(findings_of(detail(page, "jgsw"))) == [("DATE.SIGNATURE_YEAR", "new"), ("PUB.LATE", "new")]
    assert "本周新发现" in text(detail(page, "jgsw"))
    assert findings_of(detail(page, "jtfw")) == [("DATE.SIGNATURE_MISSING", "open")]
    assert "已持续 3 周" in text(detail(page, "jtfw"))
    assert "已持续 2 周" in text(detail(page, "zxjt"))
    assert findings_of(detail(page, "hostile")) == [("CALC.T4_TOTAL", "reopened")]
    assert "本周重新出现" in text(detail(page, "hostile"))


def test_each_finding_has_evidence_in_chinese_and_both_links(page: BeautifulSoup) -> None:
    item = one(page, '#details li[data-code="DATE.SIGNATURE_YEAR"]')
    assert "落款年份错误" in text(item)
    evidence = {text(d.dt): text(d.dd) for d in item.select("dl.evidence div")}
    assert evidence["原文"] == "2023年1月29日" and evidence["落款日期"] == "2023-01-29"
    assert "行号" not in evidence and all(not re.fullmatch(r"[a-z_]+", label) for label in evidence)
    stored = one(item, "a.stored-link")
    assert re.fullmatch(r"docs/[0-9a-f]{16}\.txt", attr(stored, "href")) and text(stored) == "打开存档副本"
    live = one(item, "a.live-link")
    assert (
        attr(live, "href") == "https://jgsw.example.gov.cn/zfxxgknb/2023/t20240125_1.html"
        and text(live) == "原网址"
    )
    assert "《赣州经开区机关事务管理中心2023年政府信息公开工作年度报告》" in text(item)

    late = one(page, '#details li[data-code="PUB.LATE"]')
    assert {text(d.dt): text(d.dd) for d in late.select("dl.evidence div")}[
        "发布日期来源"
    ] == "网页正文标注的“发布时间”"
    missing = one(page, '#details li[data-code="PUB.MISSING"]')
    assert (
        text(missing.select_one("a.live-link")) == "打开网站栏目"
        and missing.select_one("a.stored-link") is None
    )


def test_no_line_numbers_raw_keys_or_iso_timestamps_anywhere(page: BeautifulSoup) -> None:
    body = text(page.body)
    assert "行号" not in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", body)
    labels = {text(dt) for dt in page.select("dl.evidence dt")}
    assert labels and not [label for label in labels if re.fullmatch(r"[A-Za-z_]+", label)]


def test_unchecked_agency_keeps_its_old_findings_with_a_notice(page: BeautifulSoup) -> None:
    unreach = detail(page, "unreach")
    assert ("CALC.T3_BALANCE", "open") in findings_of(unreach)
    notice = text(unreach.select_one(".notice"))
    assert "本周未能检查该网站（网站无法访问）" in notice and "最近一次成功检查：2024-02-05" in notice
    assert "从未" in text(detail(page, "blocked").select_one(".notice"))


# ---- 本周已整改, 临近截止 ---------------------------------------------------------------------------


def test_resolved_this_week(page: BeautifulSoup) -> None:
    section = one(page, "#resolved")
    assert "本周已整改（2）" in text(section.h2)
    resolved = {(attr(li, "data-code"), attr(li, "data-status")) for li in section.select("li.finding")}
    assert resolved == {("PUB.MISSING", "resolved"), ("DATE.SIGNATURE_MISSING", "resolved")}
    assert "卫滨区教育局" in text(section) and "赣州经开区机关事务管理中心" in text(section)
    assert "本周已整改（2024-02-12）" in text(section)
    assert page.select_one('#details details[data-site="wbjy"]') is None


def test_upcoming_deadlines_with_days_left(page: BeautifulSoup) -> None:
    section = one(page, "#upcoming")
    rows = [[text(td) for td in tr.select("td")] for tr in section.select("tbody tr")]
    assert rows == [["示例区人民政府 政府", "—", "2023", "2024-03-31", "46"]]


# ---- counts and chart ----------------------------------------------------------------------------


def test_counts_per_rule_code(page: BeautifulSoup) -> None:
    rows = {
        attr(tr, "data-code"): [text(td) for td in tr.select("td.num")]
        for tr in page.select("#codes tbody tr")
    }
    # 未解决, 本周新增, 本周整改, 已确认, 已排除, 误报率
    assert rows == {
        "CALC.T3_BALANCE": ["1", "0", "0", "0", "0", "—"],
        "CALC.T4_TOTAL": ["1", "1", "0", "0", "0", "—"],
        "CRAWL.BLOCKED": ["1", "0", "0", "0", "0", "—"],
        "CRAWL.UNREACHABLE": ["1", "1", "0", "0", "0", "—"],
        "DATE.SIGNATURE_YEAR": ["1", "1", "0", "0", "0", "—"],
        "PUB.LATE": ["1", "1", "0", "0", "0", "—"],
        "PUB.MISSING": ["1", "0", "1", "0", "0", "—"],
        "DATE.SIGNATURE_MISSING": ["1", "0", "1", "0", "0", "—"],
    }
    assert "逾期发布" in text(page.select_one('#codes tr[data-code="PUB.LATE"]'))


def test_inline_svg_chart_of_open_errors_per_week(page: BeautifulSoup) -> None:
    svg = one(page, "#history svg")
    assert svg is not None and svg.get("role") == "img"
    bars = {attr(g, "data-week"): int(text(g.select("text")[0])) for g in svg.select("g[data-week]")}
    assert len(bars) == 12
    assert list(bars)[-3:] == ["2024-W05", "2024-W06", "2024-W07"]
    assert [bars["2024-W05"], bars["2024-W06"], bars["2024-W07"]] == [3, 4, 7]
    heights = {
        attr(g, "data-week"): float(attr(one(g, "rect"), "height")) for g in svg.select("g[data-week]")
    }
    assert heights["2024-W07"] > heights["2024-W06"] > heights["2024-W05"] > 0 == heights["2024-W04"]


# ---- safety and self-containment -----------------------------------------------------------------


def test_hostile_text_from_crawled_pages_is_escaped(page: BeautifulSoup) -> None:
    assert page.find("script") is None
    assert page.find("img") is None
    assert page.find("b") is None
    assert not [tag for tag in page.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    body = text(page.body)
    assert HOSTILE_TITLE in body  # shown as text, whole
    assert HOSTILE_QUOTE in body
    assert HOSTILE_ERROR in body
    # A javascript: URL from a crawled page is never a link.
    assert not [
        a
        for a in page.find_all("a")
        if not attr(a, "href").startswith(("#", "http://", "https://", "docs/", "agencies/"))
    ]
    hostile = detail(page, "hostile")
    assert hostile.select_one("a.live-link") is None or attr(one(hostile, "a.live-link"), "href").startswith(
        "https://"
    )
    assert hostile.select_one("a.stored-link") is not None  # the stored copy stands in for the unusable URL


def test_raw_html_escapes_the_hostile_strings(world: Path) -> None:
    html = html_for(world, WEEK)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_self_contained_page(page: BeautifulSoup) -> None:
    assert page.find("link") is None and page.find("iframe") is None
    assert [s for s in page.find_all(src=True)] == []
    style = "".join(s.get_text() for s in page.find_all("style"))
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    assert page.find("meta", attrs={"name": "viewport"}) is not None
    assert "@media print" in style


# ---- the same archive seen at another moment -----------------------------------------------------


def test_a_past_week_is_shown_as_it_was(world: Path) -> None:
    soup = BeautifulSoup(html_for(world, "2024-W06"), "html.parser")
    assert "数据截至 2024-02-11" in text(soup.select_one("#week"))
    assert figures(soup)["open_errors"] == 4
    resolved = {(attr(li, "data-code")) for li in soup.select("#resolved li.finding")}
    assert resolved == {"CALC.T4_TOTAL"}  # fixed in W06, reopened only in W07
    assert findings_of(detail(soup, "jgsw")) == [("PUB.MISSING", "new")]
    assert attr(one(soup, '#call tr[data-site="unreach"]'), "data-state") == "errors"  # reachable that week
    assert soup.select_one('#upcoming tr[data-site="jgsw"]') is None  # its deadline had passed


def test_nothing_checked_is_never_no_problems(archive: ManualArchive) -> None:
    add_site(archive, "a", "甲局")
    digest = build_digest(archive.db, resolve_period(None, date(2024, 2, 14)))
    soup = BeautifulSoup(render_html(digest), "html.parser")
    assert figures(soup)["not_checked"] == 1
    assert [attr(tr, "data-state") for tr in soup.select("#call tr[data-site]")] == ["unchecked"]
    assert soup.select_one("#call .empty") is None


# ---- weeks ---------------------------------------------------------------------------------------


def test_weeks_and_periods() -> None:
    week = Week.parse("2025-W01")
    assert (week.monday, week.sunday) == (date(2024, 12, 30), date(2025, 1, 5))
    assert Week.parse("2025w7").label == "2025-W07"
    with pytest.raises(ValueError, match="没有第 53 周"):
        Week.parse("2025-W53")
    with pytest.raises(ValueError, match="YYYY-Www"):
        Week.parse("2025-07")
    assert resolve_period("2024-W07", now=date(2024, 2, 14)).today == date(2024, 2, 14)
    assert resolve_period("2024-W07", now=date(2024, 3, 1)).today == date(2024, 2, 18)
    period = resolve_period(None, date(2024, 2, 14))
    assert (period.start, period.cutoff) == ("2024-02-12T00:00:00+08:00", "2024-02-15T00:00:00+08:00")


# ---- the command ---------------------------------------------------------------------------------


def test_cli_writes_the_digest_and_prints_its_path(world: Path, tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "out"
    result = cli("digest", "--data", world, "--today", "2024-02-14", "--out", out, "--xlsx", "--csv")
    assert result.exit_code == 0, result.output
    paths = result.output.split()
    assert paths == [str(out / f"digest-{WEEK}.{ext}") for ext in ("html", "xlsx", "csv")]
    assert all(Path(p).stat().st_size > 0 for p in paths)
    soup = BeautifulSoup(Path(paths[0]).read_text(encoding="utf-8"), "html.parser")
    assert figures(soup)["monitored"] == 9


def test_cli_errors(world: Path, tmp_path: Path, cli: Cli) -> None:
    both = cli("digest", "--data", world, "--week", WEEK, "--today", "2024-02-14")
    assert both.exit_code == 2 and "只能指定一个" in both.output
    bad = cli("digest", "--data", world, "--week", "2024-07")
    assert bad.exit_code == 2 and "YYYY-Www" in bad.output
    missing = cli("digest", "--data", tmp_path / "nothing")
    assert missing.exit_code == 2 and "数据库不存在" in missing.output
    assert not (tmp_path / "nothing").exists()
    mail = cli("digest", "--data", world, "--out", tmp_path, "--mail")
    assert mail.exit_code == 2 and "--config" in mail.output


# ---- golden --------------------------------------------------------------------------------------


def summary(soup: BeautifulSoup) -> dict[str, Any]:
    """The page reduced to what a supervisor reads, section by section."""
    return {
        "week": text(soup.select_one("#week")),
        "figures": figures(soup),
        "call": [text(tr) for tr in soup.select("#call tr[data-site]")],
        "regions": [text(tr) for tr in soup.select("#regions tbody tr")],
        "levels": [text(tr) for tr in soup.select("#levels tbody tr")],
        "details": {
            attr(d, "data-site"): [
                {
                    "code": attr(li, "data-code"),
                    "status": text(li.select_one(".tags .tag:nth-of-type(2)")),
                    "message": text(li.select_one(".message")),
                    "evidence": [text(div) for div in li.select("dl.evidence div")],
                }
                for li in d.select("li.finding")
            ]
            for d in soup.select("#details details.agency")
        },
        "resolved": [text(li.select_one(".message")) for li in soup.select("#resolved li.finding")],
        "upcoming": [text(tr) for tr in soup.select("#upcoming tbody tr")],
        "codes": [text(tr) for tr in soup.select("#codes tbody tr")],
        "chart": text(soup.select_one("#history p")),
    }


def test_golden_summary(page: BeautifulSoup) -> None:
    got = summary(page)
    if os.environ.get("NIANBAO_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
