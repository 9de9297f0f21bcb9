"""Crawl and check read a portal page alike: one reader (monitor/portal/page.py), one date precedence.

Every HTML page the test suite holds is read the way the crawler reads a detail page (Scrapy decodes
it, ``parse_detail`` reads it) and the way ``nianbao check`` reads a file (the HTML reader, then the
extractor); both must find the same title, the same image-only verdict and the same publication date.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from monitor.check import read_report
from monitor.errors import UnreadableInput
from monitor.model import CheckOptions
from monitor.portal.dates import choose_publication
from monitor.portal.page import parse_detail
from monitor.readers import read_document, sniff_format
from tests.support.cli import Cli
from tests.support.paths import FIXTURES

PAGES = sorted(
    p
    for folder in ("portals", "real", "readers", "renderings", "shapes", "variants")
    for p in (FIXTURES / folder).rglob("*")
    if p.suffix in {".html", ".shtml", ".htm"} and sniff_format(p.read_bytes(), p.name) == "html"
)


# Pages whose charset only the HTTP header declares, as their portal served them.
HEADERS = {"gb18030_header.html": "text/html; charset=GB18030"}


def content_type(path: Path) -> str:
    return HEADERS.get(path.name, "text/html")


def crawled(path: Path, year: int | None) -> tuple[str | None, bool, date | None, str | None]:
    """The spider's reading of the page; the intake then dates it for the year the report states."""
    url = "http://portal.example.gov.cn/" + path.name
    response = HtmlResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type(path)})
    page = parse_detail(response.text, url)
    chosen = choose_publication(page.dates, None, year)
    return page.title, page.image_only, chosen.date if chosen else None, chosen.source if chosen else None


def checked(path: Path) -> tuple[tuple[str | None, bool, date | None, str | None], int | None]:
    """``nianbao check``'s reading of the file, and the year the report states."""
    doc = read_document(path.read_bytes(), path.name, content_type(path))
    try:
        report = read_report(path.read_bytes(), path.name, CheckOptions(), content_type(path))
    except UnreadableInput:  # not a report (a list page): compare what the page itself says
        chosen = choose_publication(doc.dates)
        found = (chosen.date, chosen.source) if chosen else (None, None)
        return (doc.meta.get("title"), doc.image_only, *found), None
    read = (doc.meta.get("title"), report.image_only, report.published, report.published_source)
    return read, report.year


def test_the_suite_holds_many_portal_pages() -> None:
    assert len(PAGES) >= 40


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_crawl_and_check_read_a_page_alike(path: Path) -> None:
    by_check, year = checked(path)
    assert crawled(path, year) == by_check


def test_pubdate_meta_and_a_weaker_header_date_give_one_answer(tmp_path: Path, cli: Cli) -> None:
    """The issue's case: PubDate 2024-02-05 and a header 日期：2024-01-20 — crawl and check both take the meta."""
    page = (
        '<html><head><meta name="PubDate" content="2024-02-05"><title>某局2023年政府信息公开工作年度报告</title>'
        "</head><body><div class='info'>日期：2024-01-20 来源：某局</div><div class='TRS_Editor'>"
        "<p>某局2023年政府信息公开工作年度报告</p><p>一、总体情况</p><p>本局认真落实条例。</p></div></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    by_check, year = checked(path)
    assert year == 2023 and by_check[2:] == (date(2024, 2, 5), "meta:PubDate")
    assert crawled(path, year)[2:] == (date(2024, 2, 5), "meta:PubDate")
    out = cli("check", path, "--json").output
    assert '"published": "2024-02-05"' in out and "PUB.LATE" in out
