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
from tests.support.html import attr, classes, one

GOLDEN = Path(__file__).parent / "fixtures" / "digest" / "expected.json"


@pytest.fixture(scope="module")
def page(digest_world: Path) -> BeautifulSoup:
    return BeautifulSoup(html_for(digest_world, WEEK), "html.parser")


def html_for(data: Path, week: str) -> str:
    archive = open_archive(data)
    try:
        digest = build_digest(archive.db, resolve_period(week, now=TODAY))
    finally:
        archive.close()
    return render_html(digest)


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


# ---- the week and the headline ------------------------------------------------------------------


def test_week_covered(page: BeautifulSoup) -> None:
    week = text(page.select_one("#week"))
    assert "2024-W07" in week and "2024-02-12 至 2024-02-18" in week and "数据截至 2024-02-14" in week
    assert page.title is not None and "2024-W07" in page.title.get_text()
    assert page.html is not None and page.html["lang"] == "zh-CN"


def test_headline_figures(page: BeautifulSoup) -> None:
    assert figures(page) == {
        "monitored": 9,
        "checked": 6,  # unreachable, blocked and never-crawled sites are not checked
        "not_checked": 3,
        "reports": 5,
        "missing_or_late": 2,  # zxjt PUB.MISSING, jgsw PUB.LATE
        "open_errors": 7,
        "open_warnings": 1,
    }
    assert "本周新增 3" in text(page.select_one('[data-figure="reports"]'))


# ---- 需要处理 --------------------------------------------------------------------------------------


def test_open_findings_per_agency_by_severity(page: BeautifulSoup) -> None:
    section = page.select_one("#todo")
    assert section is not None and "需要处理（6 个机关）" in text(section.h2)
    agencies = [text(a.select_one("h3")) for a in section.select("article.agency")]
    # Most errors first; the blocked and the missing site have one error each, the warning-only site last.
    assert agencies[0] == "示例县交通运输局"
    assert agencies[-1] == "赣州经开区教体服务中心"
    assert set(agencies) == {
        "示例县交通运输局",
        "赣州经开区机关事务管理中心",
        "示例区文化和旅游局",
        "示例县卫生健康委员会",
        "郑县教育体育局",
        "赣州经开区教体服务中心",
    }
    for article in section.select("article.agency"):
        severities = [classes(one(li, ".tag"))[1] for li in article.select("li.finding")]
        order = {"sev-error": 0, "sev-warning": 1, "sev-info": 2}
        assert severities == sorted(severities, key=order.__getitem__)


def test_status_marks_new_open_for_n_weeks_and_reopened(page: BeautifulSoup) -> None:
    jgsw = one(page, '#todo article[data-site="jgsw"]')
    assert sorted(findings_of(jgsw)) == [("DATE.SIGNATURE_YEAR", "new"), ("PUB.LATE", "new")]
    assert "本周新发现" in text(jgsw)

    jtfw = one(page, '#todo article[data-site="jtfw"]')
    assert findings_of(jtfw) == [("DATE.SIGNATURE_MISSING", "open")]
    assert "已持续 3 周" in text(jtfw)
    assert "已持续 2 周" in text(page.select_one('#todo article[data-site="zxjt"]'))

    hostile = one(page, '#todo article[data-site="hostile"]')
    assert findings_of(hostile) == [("CALC.T4_TOTAL", "reopened")]
    assert "本周重新出现" in text(hostile)


def test_each_finding_has_message_evidence_and_report_link(page: BeautifulSoup) -> None:
    item = one(page, '#todo li[data-code="DATE.SIGNATURE_YEAR"]')
    assert "落款年份错误" in text(item)  # the rule's title
    assert "2023年1月29日" in text(item.select_one(".message")) or "2023-01-29" in text(
        item.select_one(".message")
    )
    evidence = {text(d.dt): text(d.dd) for d in item.select("dl.evidence div")}
    assert evidence  # labelled with EVIDENCE_LABELS, not raw keys
    assert all(not re.fullmatch(r"[a-z_]+", label) for label in evidence)
    link = one(item, "a.report-link")
    assert attr(link, "href") == "https://jgsw.example.gov.cn/zfxxgknb/2023/t20240125_1.html"
    assert text(link) == "打开报告"
    assert "《赣州经开区机关事务管理中心2023年政府信息公开工作年度报告》" in text(item)

    missing = one(page, '#todo li[data-code="PUB.MISSING"]')
    assert text(missing.select_one("a.report-link")) == "打开网站"


def test_unchecked_agency_keeps_its_old_findings_with_a_notice(page: BeautifulSoup) -> None:
    unreach = one(page, '#todo article[data-site="unreach"]')
    assert ("CALC.T3_BALANCE", "open") in findings_of(unreach)
    assert "本周未能检查该网站（网站无法访问）" in text(unreach.select_one(".notice"))


# ---- 本周已整改, 未能检查, 临近截止 ---------------------------------------------------------------------


def test_resolved_this_week(page: BeautifulSoup) -> None:
    section = one(page, "#resolved")
    assert "本周已整改（2）" in text(section.h2)
    resolved = {(attr(li, "data-code"), attr(li, "data-status")) for li in section.select("li.finding")}
    assert resolved == {("PUB.MISSING", "resolved"), ("DATE.SIGNATURE_MISSING", "resolved")}
    assert "卫滨区教育局" in text(section) and "赣州经开区机关事务管理中心" in text(section)
    assert "本周已整改（2024-02-12）" in text(section)
    # Resolved findings are not among the open ones.
    assert page.select_one('#todo article[data-site="wbjy"]') is None


def test_sites_that_could_not_be_checked_and_why(page: BeautifulSoup) -> None:
    section = one(page, "#unchecked")
    assert "未能检查（3 个网站）" in text(section.h2)
    assert "不计入“未发现问题”" in text(section)
    rows = {attr(tr, "data-site"): text(tr) for tr in section.select("tr[data-site]")}
    assert set(rows) == {"unreach", "blocked", "never"}
    assert "网站无法访问" in rows["unreach"] and "lookup failed" in rows["unreach"]
    assert "2024-02-05" in rows["unreach"]  # its last successful check
    assert "网站拒绝访问" in rows["blocked"] and "HTTP 412" in rows["blocked"] and "从未" in rows["blocked"]
    assert "尚无抓取记录" in rows["never"]


def test_upcoming_deadlines_with_days_left(page: BeautifulSoup) -> None:
    section = one(page, "#upcoming")
    rows = [[text(td) for td in tr.select("td")] for tr in section.select("tbody tr")]
    assert rows == [["示例区人民政府 政府", "2023", "2024-03-31", "46"]]


# ---- counts and chart ----------------------------------------------------------------------------


def test_counts_per_rule_code(page: BeautifulSoup) -> None:
    rows = {
        attr(tr, "data-code"): [int(text(td)) for td in tr.select("td.num")]
        for tr in page.select("#codes tbody tr")
    }
    assert rows == {
        "CALC.T3_BALANCE": [1, 0, 0],
        "CALC.T4_TOTAL": [1, 1, 0],
        "CRAWL.BLOCKED": [1, 0, 0],
        "CRAWL.UNREACHABLE": [1, 1, 0],
        "DATE.SIGNATURE_YEAR": [1, 1, 0],
        "PUB.LATE": [1, 1, 0],
        "PUB.MISSING": [1, 0, 1],
        "DATE.SIGNATURE_MISSING": [1, 0, 1],
    }
    assert "逾期发布" in text(page.select_one('#codes tr[data-code="PUB.LATE"]'))
    assert "未发布年报" in text(page.select_one('#codes tr[data-code="PUB.MISSING"]'))


def test_inline_svg_chart_of_open_errors_per_week(page: BeautifulSoup) -> None:
    svg = page.select_one("#history svg")
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
    assert not [a for a in page.select("a") if not attr(a, "href").startswith(("#", "http://", "https://"))]
    assert "（无链接）" in text(page.select_one('#todo article[data-site="hostile"]'))


def test_raw_html_escapes_the_hostile_strings(digest_world: Path) -> None:
    html = html_for(digest_world, WEEK)
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


def test_a_past_week_is_shown_as_it_was(digest_world: Path) -> None:
    soup = BeautifulSoup(html_for(digest_world, "2024-W06"), "html.parser")
    assert "数据截至 2024-02-11" in text(soup.select_one("#week"))
    assert figures(soup)["open_errors"] == 4
    resolved = {attr(li, "data-code") for li in soup.select("#resolved li.finding")}
    assert resolved == {"CALC.T4_TOTAL"}  # fixed in W06, reopened only in W07
    assert findings_of(one(soup, '#todo article[data-site="jgsw"]')) == [("PUB.MISSING", "new")]
    assert soup.select_one('#unchecked tr[data-site="unreach"]') is None  # reachable that week
    jgsw_upcoming = soup.select_one('#upcoming tr[data-site="jgsw"]')
    assert jgsw_upcoming is None  # its deadline had passed


def test_nothing_checked_is_never_no_problems(archive: ManualArchive) -> None:
    add_site(archive, "a", "甲局")
    digest = build_digest(archive.db, resolve_period(None, date(2024, 2, 14)))
    soup = BeautifulSoup(render_html(digest), "html.parser")
    assert figures(soup)["checked"] == 0 and figures(soup)["not_checked"] == 1
    assert "不能据此认为没有问题" in text(soup.select_one("#todo"))
    assert soup.select_one("#todo .empty") is None


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


def test_cli_writes_the_digest_and_prints_its_path(digest_world: Path, tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "out"
    result = cli("digest", "--data", digest_world, "--today", "2024-02-14", "--out", out, "--xlsx", "--csv")
    assert result.exit_code == 0, result.output
    paths = result.output.split()
    assert paths == [str(out / f"digest-{WEEK}.{ext}") for ext in ("html", "xlsx", "csv")]
    assert all(Path(p).stat().st_size > 0 for p in paths)
    soup = BeautifulSoup(Path(paths[0]).read_text(encoding="utf-8"), "html.parser")
    assert figures(soup)["monitored"] == 9


def test_cli_errors(digest_world: Path, tmp_path: Path, cli: Cli) -> None:
    both = cli("digest", "--data", digest_world, "--week", WEEK, "--today", "2024-02-14")
    assert both.exit_code == 2 and "只能指定一个" in both.output
    bad = cli("digest", "--data", digest_world, "--week", "2024-07")
    assert bad.exit_code == 2 and "YYYY-Www" in bad.output
    missing = cli("digest", "--data", tmp_path / "nothing")
    assert missing.exit_code == 2 and "数据库不存在" in missing.output
    assert not (tmp_path / "nothing").exists()
    mail = cli("digest", "--data", digest_world, "--out", tmp_path, "--mail")

    assert mail.exit_code == 2 and "--config" in mail.output


# ---- golden --------------------------------------------------------------------------------------


def summary(soup: BeautifulSoup) -> dict[str, Any]:
    """The page reduced to what a supervisor reads, section by section."""
    return {
        "week": text(soup.select_one("#week")),
        "figures": figures(soup),
        "todo": {
            a["data-site"]: [
                {
                    "code": li["data-code"],
                    "status": text(li.select_one(".tags .tag:nth-of-type(2)")),
                    "message": text(li.select_one(".message")),
                }
                for li in a.select("li.finding")
            ]
            for a in soup.select("#todo article.agency")
        },
        "resolved": [text(li.select_one(".message")) for li in soup.select("#resolved li.finding")],
        "unchecked": [text(tr) for tr in soup.select("#unchecked tbody tr")],
        "upcoming": [text(tr) for tr in soup.select("#upcoming tbody tr")],
        "codes": [text(tr) for tr in soup.select("#codes tbody tr")],
        "chart": text(soup.select_one("#history p")),
    }


def test_golden_summary(page: BeautifulSoup) -> None:
    got = summary(page)
    if os.environ.get("NIANBAO_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
