"""The crawler's pure parts, offline: titles, dates, URLs, detection, list adapters, detail pages.

Fixture pages come from tests/fixtures/portals/ (written by tests/support/mockportal/build.py),
read exactly as the spider reads them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crawler import adapters
from crawler.adapters import hanweb
from crawler.adapters.base import MAX_PAGES, pager_links, trs_pages
from crawler.detect import classify_failure, detect_family
from crawler.urls import canonical, domain_allowed, is_wap_copy, looks_like_column, looks_like_detail
from monitor.model import DateSeen
from monitor.portal.dates import choose_publication, date_from_timestamp, date_from_url, parse_date
from monitor.portal.links import extension
from monitor.portal.page import parse_detail, parse_html
from monitor.portal.titles import classify_title, is_column_name, is_subcolumn_name, title_year
from tests.support.checks import present
from tests.support.paths import FIXTURES


def dates_from_detail(html_text: str, url: str = "") -> list[DateSeen]:
    return parse_detail(html_text, url).dates


PORTALS = FIXTURES / "portals"


def text(rel: str, encoding: str = "utf-8") -> str:
    return (PORTALS / rel).read_bytes().decode(encoding)


# ---- titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind", "year"),
    [
        ("赣州经开区教体服务中心2023年政府信息公开工作年度报告", "report", 2023),
        ("青山市教育局 2023 年政府信息公开工作年度报告", "report", 2023),
        ("关于2023年度政府信息公开工作的报告", "report", 2023),
        ("2022年度政府信息公开年报", "report", 2022),
        ("二〇二三年政府信息公开工作年度报告", "report", 2023),
        ("青山区退役军人事务局2023年政府信息公开工作年度报告（图片版）", "report", 2023),
        ("青山市教育局2023年政府信息公开工作年度报告解读", "interpretation", 2023),
        ("图解：青山市2022年政府信息公开工作年度报告", "interpretation", 2022),
        ("一图读懂2023年政府信息公开工作年度报告", "interpretation", 2023),
        ("关于做好2023年政府信息公开工作年度报告编制和发布工作的通知", "other", 2023),
        ("青山市2023年政务公开工作要点", "other", 2023),
        ("政府信息公开指南（2024年修订）", "other", 2024),
        ("青山市召开政务公开工作推进会", "other", None),
    ],
)
def test_titles(title: str, kind: str, year: int | None) -> None:
    info = classify_title(title)
    assert (info.kind, info.year) == (kind, year)


def test_image_edition_and_column_names() -> None:
    assert classify_title("某局2022年政府信息公开工作年度报告（图片版）").image_edition
    assert not classify_title("某局2022年政府信息公开工作年度报告").image_edition
    assert is_column_name("政府信息公开年报") and is_column_name("年度报告")
    assert not is_column_name("青山市教育局2023年政府信息公开工作年度报告")
    assert (
        is_subcolumn_name("2023年")
        and is_subcolumn_name("部门年报")
        and is_subcolumn_name("乡镇（街道）年报")
    )
    assert not is_subcolumn_name("青山市召开政务公开工作推进会")
    assert title_year("关于2021年度政府信息公开工作的报告（2022年1月发布）") == 2021


# ---- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-29 10:19", date(2024, 1, 29)),
        ("2026-\n01-\n23", date(2026, 1, 23)),  # Hanweb splits list dates across lines
        ("2024年1月25日", date(2024, 1, 25)),
        ("[2024-09-12]", date(2024, 9, 12)),
        ("2026/09/11", date(2026, 9, 11)),
        ("索引号：xgz/2026-00001", None),
        ("2024-13-01", None),
    ],
)
def test_parse_date(raw: str, expected: date | None) -> None:
    assert parse_date(raw) == expected


def test_dates_from_urls() -> None:
    assert present(date_from_url("http://x.gov.cn/zfxxgknb/202401/t20240129_1926722.shtml")).date == date(
        2024, 1, 29
    )
    assert present(date_from_url("http://x.gov.cn/art/2024/1/22/art_1229232901_88123.html")).date == date(
        2024, 1, 22
    )
    assert present(date_from_url("http://x.gov.cn/columns/ab/202301/30/uuid.html")).date == date(2023, 1, 30)
    assert present(date_from_url("https://shanghai.gov.cn/nw12344/20230331/4a03b5fa.html")).date == date(
        2023, 3, 31
    )
    assert present(date_from_url("https://x.gov.cn/cms/html/npszf/2013-01-25/1779102018.html")).date == date(
        2013, 1, 25
    )
    assert date_from_url("http://x.gov.cn/c100122/202401/c04_163476.shtml") is None  # a month is not a date
    assert date_from_timestamp(1705975200) == date(2024, 1, 23)  # gkmlpt create_time, read in China time
    assert date_from_timestamp(1705975200000) == date(2024, 1, 23)


@pytest.mark.parametrize(
    ("header", "source", "day"),
    [
        ("来源:原创 发布时间:2023-01-31 13:24 浏览次数:次", "text:发布时间", date(2023, 1, 31)),
        ("日期:2023-01-11 来源:五常市人民政府 访问量: 字号:", "text:日期", date(2023, 1, 11)),
        ("时间:2024-01-22 17:28 来源:杭州市卫生健康委员会 浏览次数:", "text:日期", date(2024, 1, 22)),
        ("文章来源:办公室 | 添加时间:2024-01-25 |", "text:日期", date(2024, 1, 25)),
        ("发表日期:2024-01-26 15:35:23 发布机构:政务服务管理局", "text:发布时间", date(2024, 1, 26)),
        ("发布机构:兴国镇 索引号:xgz/2026-00001 时间:2026-01-20 作者:", "text:日期", date(2026, 1, 20)),
    ],
)
def test_detail_header_lines(header: str, source: str, day: date) -> None:
    """The header lines of portals.md §2, as stored."""
    found = dates_from_detail(f"<html><body><div>{header}</div><p>正文</p></body></html>")
    assert [(e.source, e.date) for e in found] == [(source, day)]


def test_signing_dates_are_not_publication_dates() -> None:
    page = "<html><body><table><tr><td>成文日期：</td><td>2024-01-10</td></tr></table></body></html>"
    assert dates_from_detail(page) == []


def test_precedence_keeps_all_evidence() -> None:
    evidence = [
        DateSeen("url", date(2024, 1, 26), "t20240126"),
        DateSeen("list", date(2024, 1, 29), "2024-01-29"),
        DateSeen("meta:Maketime", date(2024, 1, 25), "Maketime"),
        DateSeen("meta:PubDate", date(2024, 1, 29), "PubDate"),
        DateSeen("text:发布时间", date(2024, 1, 30), "发布时间"),
    ]
    assert present(choose_publication(evidence)).source == "text:发布时间"
    assert present(choose_publication(evidence[:3])).source == "meta:Maketime"
    assert present(choose_publication(evidence[:2])).source == "list"
    # A date after "today" is impossible and ignored.
    assert present(choose_publication(evidence, today=date(2024, 1, 29))).source == "meta:PubDate"
    assert choose_publication([]) is None


# ---- URLs and detection -----------------------------------------------------------------------


def test_urls() -> None:
    wap = "http://cqqj.gov.cn/zwgk_159/zfxxgknb/qzfxxgknb/202403/t20240327_13086081_wap.html"
    assert is_wap_copy(wap)
    assert canonical(wap) == canonical(wap.replace("_wap", "")) == canonical(wap.replace("http:", "https:"))
    assert canonical("http://x.gov.cn/gkmlpt/content/1/1234/mpost_1234567.html") == canonical(
        "http://x.gov.cn/gkmlpt/content/1/1234/post_1234567.html"
    )
    assert domain_allowed("www.hangzhou.gov.cn", ["hangzhou.gov.cn"])
    assert not domain_allowed("brianwinch.com", ["hangzhou.gov.cn"])
    assert not domain_allowed("evilhangzhou.gov.cn", ["hangzhou.gov.cn"])
    assert extension("http://x/module/download/downfile.jsp?classid=0&filename=abc.pdf&showname=x") == "pdf"
    for url in (
        "http://xxgk.sxgp.gov.cn/gzbm/zfbgs/zfxxgknb/202401/t20240129_1926722.shtml",
        "http://wsjkw.hangzhou.gov.cn/art/2024/1/22/art_1229232901_88123.html",
        "https://www.gz.gov.cn/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2023n/content/post_9469010.html",
        "https://wsjsj.weinan.gov.cn/zfxxgk/zfxxgknb/1744277306953564161.html",
        "https://www.zhouzhi.gov.cn/xxgk/zfxxgknb/bmxxgknb/61e7bc45f8fd1c0bdc7acf3c.html",
        "https://www.xyq.gov.cn/xyq/c100122/202401/c04_163476.shtml",
        "http://www.qinan.gov.cn/info/14423/1395492.htm",
    ):
        assert looks_like_detail(url), url
    assert looks_like_column("http://www.nbjb.gov.cn/col/col1229214366/index.html")
    assert looks_like_column("https://rsj.km.gov.cn/zfxxgk/zfxxgknb/")
    assert looks_like_column("https://x.gov.cn/zfxxgknb/index_2.shtml")


def test_family_detection_from_the_page() -> None:
    assert (
        detect_family("http://h/zfxxgk/zfxxgknb/index.shtml", text("trs/zfxxgk/zfxxgknb/index.shtml"))
        == "trs"
    )
    assert (
        detect_family("http://h/col/col1/index.html", text("hanweb/col/col1229000001/index.html")) == "hanweb"
    )
    assert detect_family("http://h/gkmlpt/index", text("gkmlpt/gkmlpt/index")) == "gkmlpt"
    assert (
        detect_family("http://h/zfxxgk/zfxxgknb/index.html", text("jiyue/zfxxgk/zfxxgknb/index.html"))
        == "jiyue"
    )
    assert detect_family("http://h/", "<html><body><a href='/a.html'>a</a></body></html>") == "generic"


def test_challenges_and_soft_404s() -> None:
    ruishu = (PORTALS / "traps" / "ruishu412.html").read_bytes()
    verdict = classify_failure(412, ruishu, "http://h/")
    assert verdict is not None and (verdict.code, verdict.kind) == ("CRAWL.BLOCKED", "ruishu")
    assert "$_ts" in verdict.evidence["quote"]
    jsl = (PORTALS / "traps" / "jsl521.html").read_bytes()
    assert present(classify_failure(521, jsl, "http://h/")).kind == "jiasule"
    assert (
        present(classify_failure(403, (PORTALS / "traps" / "wall403.html").read_bytes(), "u")).code
        == "CRAWL.BLOCKED"
    )
    assert present(classify_failure(429, b"", "u")).code == "CRAWL.BLOCKED"
    assert present(classify_failure(200, ruishu, "u")).kind == "ruishu"  # a 200 shell with $_ts and no text
    assert (
        present(classify_failure(200, (PORTALS / "traps" / "soft404.html").read_bytes(), "u")).kind
        == "soft404"
    )
    assert present(classify_failure(404, b"", "u")).kind == "http404"
    assert present(classify_failure(503, b"", "u")).code == "CRAWL.UNREACHABLE"
    page = (PORTALS / "trs" / "zfxxgk" / "zfxxgknb" / "index.shtml").read_bytes()
    assert classify_failure(200, page, "u") is None
    assert classify_failure(200, b"<html><body>t20240404_1.html</body></html>", "u") is None


# ---- list adapters ----------------------------------------------------------------------------


def test_trs_list_and_create_page_html() -> None:
    url = "http://h/zfxxgk/zfxxgknb/index.shtml"
    listing = adapters.parse(
        url, text("trs/zfxxgk/zfxxgknb/index.shtml"), params={"scope": "http://h/zfxxgk/zfxxgknb/"}
    )
    assert listing.family == "trs"
    assert [f.url for f in listing.fetches] == [
        "http://h/zfxxgk/zfxxgknb/index_1.shtml",
        "http://h/zfxxgk/zfxxgknb/index_2.shtml",
    ]
    titles = {e.title: e for e in listing.entries}
    interp = titles["青山市教育局2023年政府信息公开工作年度报告解读"]
    assert interp.list_date == date(2024, 1, 30)
    assert any(is_wap_copy(e.url) for e in listing.entries)
    assert listing.column_hint and listing.dated_items >= 6


@pytest.mark.parametrize(
    ("call", "pages"),
    [
        ('createPageHTML(3, 0, "index", "shtml");', ["index.shtml", "index_1.shtml", "index_2.shtml"]),
        (
            "createPageHTML('page_div',5,1,'fg','shtml',89);",
            ["fg.shtml", "fg_1.shtml", "fg_2.shtml", "fg_3.shtml", "fg_4.shtml"],
        ),
        (
            'pageControl(4, 2, "index", "shtml", 10, \'pages-nav\');',
            ["index.shtml", "index_1.shtml", "index_2.shtml", "index_3.shtml"],
        ),
        ("var countPage = 2;", ["index.html", "index_1.html"]),
    ],
)
def test_trs_pagination_variants(call: str, pages: list[str]) -> None:
    got = trs_pages("http://h/col/index.html", f"<script>{call}</script>")
    assert got == [f"http://h/col/{p}" for p in pages]


def test_generic_pager_links() -> None:
    html = (
        '<div><a href="index_1.html">2</a><a href="index_1.html">下一页</a><a href="index_12.html">尾页</a>'
        '<a href="/other/">其他</a></div>'
    )
    pages = pager_links("http://h/col/index.html", parse_html(html), html)
    assert "http://h/col/index_12.html" in pages and "http://h/col/index_5.html" in pages
    assert "http://h/other/" not in pages
    html = '<a href="list.jsp?pageNo=2">2</a><a href="list.jsp?pageNo=4">末页</a>'
    assert pager_links("http://h/list.jsp?pageNo=1", parse_html(html), html) == [
        f"http://h/list.jsp?pageNo={n}" for n in (1, 2, 3, 4)
    ]


def test_page_counts_of_thousands_of_digits_are_no_count() -> None:
    """A hostile list page's page count is not int()-ed (Python refuses more than 4,300 digits)."""
    nines = "9" * 5000
    url = "http://h/col/index.html"
    for call in (
        f'createPageHTML({nines}, 0, "index", "html");',
        f'pageControl({nines}, 0, "index", "html");',
        f"var countPage = {nines};",
    ):
        assert trs_pages(url, f"<script>{call}</script>") == []
    html = (
        f'<a href="index_{nines}.html">下一页</a><a href="list.jsp?pageNo={nines}">末页</a><p>共{nines}页</p>'
    )
    assert len(pager_links(url, parse_html(html), html)) <= 2
    for page in (
        f"<script>var jpage = {{perPage: {nines}, totalRecord: {nines}, groupSize: {nines}}};</script>"
        "<datastore><totalrecord>" + nines + "</totalrecord></datastore>",
        f"<script>listModel({{ prepage: {nines}, recordCount: {nines}, maxStaticIndex: {nines} }})</script>",
        f"<script>var pageCount = {nines}; siteId: '1', pageSize: {nines}</script>",
    ):
        adapters.parse(url, page, params={"scope": "http://h/col/"})  # no exception


GK = "http://h/yjzjj/gkmlpt/api/all/5?page=1&sid=2"
GK_PARAMS = {"page_url": "http://h/yjzjj/gkmlpt/index#5", "cat": "5", "sid": "2", "page": 1, "scope": None}
TRS_API = "https://h/fjdzapp/search"
TRS_MODEL = {
    "max_static": 1,
    "prepage": 10,
    "record_count": 30,
    "channelid": "1",
    "classsql": "",
    "sortfield": "",
}
TRS_PARAMS = {"column_url": "https://h/zfxxgk/", "list_model": {**TRS_MODEL, "last_planned": 2}, "page": 3}
UNIT_PARAMS = {"column_url": "https://h/col/col9/index.html", "api": "/unit", "query_data": "", "page": 1}
NINES = "9" * 400


@pytest.mark.parametrize(
    ("url", "answer", "kind", "params"),
    [
        # Broken or hostile answers of the JSON list services: wrong types, absurd numbers, deep nesting.
        (GK, answer, "gkmlpt_api", GK_PARAMS)
        for answer in (
            "null",
            "[]",
            "[" * 100_000,
            '{"articles": "x"}',
            '{"articles": [null, 1, {"title": "x", "url": 5}]}',
            '{"total": "abc", "articles": [{"title": "x"}]}',
            '{"total": Infinity, "articles": [{"title": "x"}]}',
            '{"total": NaN, "articles": [{"title": "x"}]}',
            '{"total": ' + NINES + ', "articles": [{"title": "x"}]}',
            '{"total": {"a": 1}, "articles": [{"title": "x"}]}',
            '{"articles": [{"title": "x", "url": "/a.html", "create_time": ' + NINES + "}]}",
            '{"articles": [{"title": "x", "url": "/a.html", "create_time": "nan"}]}',
            '{"articles": [{"title": "x", "url": "/a.html", "create_time": 1e18}]}',
        )
    ]
    + [
        (TRS_API, answer, "trs_api", TRS_PARAMS)
        for answer in (
            "[" * 100_000,
            '{"pageCount": "NaN"}',
            '{"pageCount": Infinity}',
            '{"data": 5}',
            '{"data": [{"doctitle": "x", "chnldocurl": ["/a.html"]}]}',
            '{"data": [{"doctitle": "x", "chnldocurl": "/a", "docreltime": 1e20}]}',
            '{"data": [{"doctitle": "&#' + "9" * 5000 + ';", "chnldocurl": "/a"}]}',
        )
    ]
    + [
        ("https://h/unit", answer, "unitbuild", UNIT_PARAMS)
        for answer in ("[" * 100_000, '{"data": {"html": 1.5}}', '{"data": {"html": ["<a>"]}}')
    ]
    + [
        # Page markup real portals do print: a comment between a link and its date, full-width
        # punctuation in a host, a bracket that is no IPv6 address, JSON query data that is not.
        ("http://h/col/index.html", page, None, None)
        for page in (
            '<ul><li><a href="/t20240101_1.html">某局2023年政府信息公开工作年度报告</a><!--date-->'
            "<span>2024-01-02</span></li></ul>",
            '<a href="a.html">x</a><?php echo 1 ?>',
            '<a href="http://www.gov.cn：8080/a.html">x</a><a href="http://[::1">y</a><a href="http://[v1]/">z</a>',
            '<script src="unitbuild.js" url="http://[x"></script>',
            '<script src="unitbuild.js" url="/u" queryData=\'' + "[" * 100_000 + "'></script>",
            '<script src="unitbuild.js" url="/u" queryData=\'{"a":"\\ud800"}\'></script>',
        )
    ],
)
def test_broken_answers_are_no_crash(
    url: str, answer: str, kind: str | None, params: dict[str, Any] | None
) -> None:
    """What a broken or hostile portal serves is read for what it holds, never an exception (which
    would lose the whole list page)."""
    if kind is None:
        adapters.parse(url, answer, params={"scope": "http://h/col/"})
    else:
        adapters.parse(url, answer, kind, {**(params or {}), "scope": None})


def test_unclosed_datastores_and_records_are_read_in_one_pass() -> None:
    """A lazy <record>(.*?)</record> retried every unclosed opening to the end: minutes for a page
    like these (the suite's time limit fails it); one pass reads them at once."""
    proxy = {"column_url": "http://h/col/", "proxy": "/p", "end": 3, "step": 3, "per_page": 3, "total": 5}
    assert not adapters.parse("http://h/p", "<record>" * 200_000, "hanweb_proxy", proxy).entries
    page = "<datastore>" * 200_000 + "<script>jpage</script>"
    assert not adapters.parse("http://h/col/col1/index.html", page, params={"scope": "http://h/col/"}).entries
    records = "".join(
        f"<record><![CDATA[<a href='/art/2024/1/2{n}/art_1_{n}.html'>某局2023年政府信息公开工作年度报告</a>]]></record>"
        for n in range(3)
    )
    answer = f"<datastore><totalrecord>3</totalrecord><recordset>{records}<RECORD> x </recordset></datastore>"
    assert len(adapters.parse("http://h/p", answer, "hanweb_proxy", proxy).entries) == 3


@pytest.mark.slow
def test_a_list_of_sixty_thousand_links_in_one_element_is_read() -> None:
    """Each link looked for its date in its row's whole text: hours for such a page (the suite's time
    limit fails it); a row's text is read only while it is short enough to be a row."""
    page = "<div>" + "".join(
        f'<a href="/t20240102_{n}.html">某局2023年政府信息公开工作年度报告{n}</a>' for n in range(60_000)
    )
    listing = adapters.parse("http://h/col/index.html", page + "</div>", params={"scope": "http://h/"})
    assert len(listing.entries) == 60_000
    # Image links have no text to stop at: the row is set aside by its size in elements.
    images = "".join(f"<a href='/a/{n}.html' title='t{n}'><img src='/i/{n}.jpg'></a>" for n in range(20_000))
    adapters.parse("http://h/col/index.html", f"<div>{images}</div>", params={"scope": "http://h/"})


def test_a_pager_of_two_thousand_numbered_links_stays_within_the_cap() -> None:
    page = "".join(f'<a href="index_{n}.html">{n}</a>' for n in range(1, 2_000))
    fetches = adapters.parse("http://h/col/index.html", page, params={"scope": "http://h/"}).fetches
    assert 100 < len(fetches) <= MAX_PAGES


def test_a_lone_surrogate_in_a_json_url_is_replaced() -> None:
    answer = '{"data":[{"doctitle":"某局2023年政府信息公开工作年度报告","chnldocurl":"/t20240101_1.htm?a=\\ud800"}]}'
    (entry,) = adapters.parse(TRS_API, answer, "trs_api", {**TRS_PARAMS, "scope": None}).entries
    assert entry.url == "https://h/t20240101_1.htm?a=?" and canonical(entry.url)


def test_a_hanweb_proxy_address_python_refuses_is_read_as_a_browser_reads_it() -> None:
    column = "http://h/col/col1/index.html"
    page = "<script>var jpage; proxyUrl:'http://www.gov.cn：8080/p.jsp'</script>"
    (fetch,) = hanweb.parse_list(column, page, {"scope": "http://h/col/"}).fetches
    assert fetch.url.startswith("http://www.gov.cn:8080/p.jsp?startrecord=1")
    (fetch,) = hanweb.parse_list(column, "<script>var jpage; proxyUrl:'http://[x'</script>", {}).fetches
    assert fetch.url.startswith("http://h/module/web/jpage/dataproxy.jsp?")  # the platform's usual one


@pytest.mark.parametrize("control", ["\x01", "\x0b", "\x0c", "\x1f", "\ufffe"])
def test_a_control_character_after_the_body_is_no_parse_error(control: str) -> None:
    """A form feed pasted from Word after the report's body once made the page unreadable."""
    page = (
        "<html><head><title>某局2023年政府信息公开工作年度报告</title></head><body>"
        '<div class="header">发布时间：2024-01-20</div>'
        '<div class="TRS_Editor"><p>一、总体情况</p><p>二、主动公开</p></div>'
        f"附{control}件<div>x</div></body></html>"
    )
    detail = parse_detail(page, "http://h/a.html")
    assert detail.dates[0].date == date(2024, 1, 20) and detail.dates[0].source == "text:发布时间"


def test_a_comment_between_a_link_and_its_date_keeps_the_date() -> None:
    page = (
        '<ul><li><a href="/t20240101_1.html">某局2023年政府信息公开工作年度报告</a><!-- 日期 -->'
        "<span>2024-01-02</span></li></ul>"
    )
    (entry,) = adapters.parse("http://h/col/index.html", page, params={"scope": "http://h/"}).entries
    assert entry.list_date == date(2024, 1, 2)


def test_a_host_in_full_width_punctuation_is_read_as_a_browser_reads_it() -> None:
    page = '<a href="http://h：8080/t20240101_1.html">某局2023年政府信息公开工作年度报告</a>'
    (entry,) = adapters.parse("http://h/col/index.html", page, params={"scope": "http://h:8080/"}).entries
    assert entry.url == "http://h:8080/t20240101_1.html"
    assert parse_detail(f'<img src="a.png" width="{"9" * 5000}">', "http://h/a.html").body_images


def test_hanweb_inline_datastore_and_dataproxy() -> None:
    url = "http://h/col/col1229000001/index.html"
    listing = adapters.parse(
        url, text("hanweb/col/col1229000001/index.html"), params={"scope": "http://h/col/col1229000001/"}
    )
    assert listing.family == "hanweb"
    assert len(listing.entries) == 4  # 6 inline records: 3 reports, 1 interpretation, 2 news
    split = next(e for e in listing.entries if "_568" in e.url)
    assert split.list_date == date(2024, 1, 23)  # "2024-\n01-\n23"
    (proxy,) = listing.fetches
    assert proxy.kind == "hanweb_proxy" and proxy.method == "POST"
    assert "startrecord=7&endrecord=12&perpage=3" in proxy.url
    form = present(proxy.formdata)
    assert form["unitid"] == "4455560" and form["columnid"] == "1229000001"
    assert form["webid"] == "3" and proxy.headers["Referer"] == url

    records = json.loads(text("hanweb/_data/jpage_1229000001.json"))
    answer = (
        "<datastore><totalrecord>14</totalrecord><recordset>"
        + "".join(f"<record><![CDATA[{r}]]></record>" for r in records[6:12])
        + "</recordset></datastore>"
    )
    following = adapters.parse(proxy.url, answer, "hanweb_proxy", proxy.params)
    assert following.entries and "startrecord=13&endrecord=14" in following.fetches[0].url
    assert following.fetches[0].formdata == proxy.formdata


def test_hanweb_jpaas_unitbuild() -> None:
    page = (
        '<script src="/module/xxgk/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit" '
        'queryData=\'{"webId":"3","pageId":"99","parseType":"bulidstatic"}\'></script>'
    )
    listing = adapters.parse("https://h/col/col9/index.html", page)
    (fetch,) = listing.fetches
    assert (
        fetch.kind == "unitbuild" and "paramJson=%7B%22pageNo%22%3A1" in fetch.url and "webId=3" in fetch.url
    )
    answer = json.dumps(
        {
            "data": {
                "html": "<ul><li><a href='/art/2024/art_3abf60cff917420d9c6c57b2d448f086.html'>"
                "某局2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li></ul>"
            }
        }
    )
    nxt = adapters.parse(fetch.url, answer, "unitbuild", fetch.params)
    assert nxt.entries[0].list_date == date(2024, 1, 20)
    assert nxt.fetches[0].params["page"] == 2
    empty = adapters.parse(fetch.url, json.dumps({"data": {"html": ""}}), "unitbuild", nxt.fetches[0].params)
    assert empty.fetches == []


def test_gkmlpt_app_and_api() -> None:
    page_url = "http://h/yjzjj/gkmlpt/index#5"
    listing = adapters.parse(page_url, text("gkmlpt/gkmlpt/index"), params={"fragment": "5"})
    (api,) = listing.fetches
    assert api.url == "http://h/yjzjj/gkmlpt/api/all/5?page=1&sid=2"  # under the site's sub-path
    data = json.loads(text("gkmlpt/_data/gkmlpt_5.json").replace("{{host:gkmlpt}}", "http://h"))
    first = {"total": len(data["articles"]), "articles": data["articles"][:4]}
    result = adapters.parse(api.url, json.dumps(first), "gkmlpt_api", api.params)
    assert [f.params["page"] for f in result.fetches] == [2, 3]
    dated = next(e for e in result.entries if "1234568" in e.url)
    assert dated.list_date == date(2024, 1, 23) and dated.extra["publisher"] == "青山市统计局"


def test_jiyue_year_and_department_subcolumns() -> None:
    base = "http://h/zfxxgk/zfxxgknb/"
    top = adapters.parse(
        base + "index.html", text("jiyue/zfxxgk/zfxxgknb/index.html"), params={"scope": base}
    )
    assert top.family == "jiyue"
    assert top.subcolumns == [base + "2023n/index.html", base + "2022n/index.html"]
    year = adapters.parse(
        base + "2023n/index.html", text("jiyue/zfxxgk/zfxxgknb/2023n/index.html"), params={"scope": base}
    )
    assert (
        base + "2023n/bmnb2023/index.html" in year.subcolumns
        and base + "2023n/xzjd2023/index.html" in year.subcolumns
    )
    assert [e.title for e in year.entries] == ["青山区人民政府2023年政府信息公开工作年度报告"]
    dept = adapters.parse(
        base + "2023n/bmnb2023/index.html",
        text("jiyue/zfxxgk/zfxxgknb/2023n/bmnb2023/index.html"),
        params={"scope": base},
    )
    assert base + "2023n/bmnb2023/index_1.html" in [f.url for f in dept.fetches]
    assert dept.entries[0].list_date == date(2024, 1, 22)  # "[2024-01-22]"


# ---- detail pages -----------------------------------------------------------------------------


def test_trs_detail_attachments_and_dates() -> None:
    url = "http://h/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml"
    page = parse_detail(text("trs/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml"), url)
    assert page.title == "青山市教育局2023年政府信息公开工作年度报告" and page.year == 2023
    assert "TRS_Editor" in page.container and not page.image_only
    assert [a.url.rsplit("/", 1)[-1] for a in page.attachments] == [
        "P020240129512345678901.pdf",
        "P020240129512345678902.xls",
    ]  # 2nd: document.write
    assert {e.source for e in page.dates} == {"meta:PubDate", "text:发布时间"}


def test_gbk_page_through_scrapy_decoding() -> None:
    from scrapy.http import HtmlResponse

    body = (PORTALS / "trs/zfxxgk/zfxxgknb/202401/t20240125_1926650.shtml").read_bytes()
    response = HtmlResponse("http://h/zfxxgk/zfxxgknb/202401/t20240125_1926650.shtml", body=body)
    page = parse_detail(response.text, response.url)
    assert page.title == "青山市司法局2023年政府信息公开工作年度报告"
    assert present(choose_publication(page.dates)).date == date(2024, 1, 25)


def test_hanweb_detail_downfile_and_maketime() -> None:
    url = "http://h/art/2024/1/23/art_1229000001_568.html"
    page = parse_detail(text("hanweb/art/2024/1/23/art_1229000001_568.html"), url)
    assert page.container == "ZJEG_RSS"
    assert sorted(a.url.split("filename=")[1].split("&")[0].rsplit(".", 1)[1] for a in page.attachments) == [
        "doc",
        "wps",
        "xls",
    ]
    only_maketime = parse_detail(text("hanweb/art/2022/1/21/art_1229000001_342.html"), url)
    assert [e.source for e in only_maketime.dates] == ["meta:Maketime"]


def test_image_only_report() -> None:
    rel = "jiyue/zfxxgk/zfxxgknb/2023n/bmnb2023/1744277306953564199.html"
    page = parse_detail(text(rel), "http://h/" + rel)
    assert page.image_only
    assert [a.kind for a in page.attachments] == ["image"]
    normal = parse_detail(
        text("jiyue/zfxxgk/zfxxgknb/2023n/bmnb2023/1744277306953564170.html"), "http://h/x.html"
    )
    assert not normal.image_only and normal.attachments == []
    assert [e.source for e in normal.dates] == ["text:日期"]  # 生成日期 in the info table


# ---- TRS list models (list2.trsapi), the real 平潭 column -----------------------------------------

REAL = Path(__file__).parent / "fixtures" / "real"
PINGTAN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"


def test_the_pingtan_column_is_a_trs_list_model_with_dates_beside_its_links() -> None:
    text = (REAL / "pingtan-list.html").read_text(encoding="utf-8")
    assert detect_family(PINGTAN, text) == "trs"
    listing = adapters.parse(PINGTAN, text, "list", {"scope": PINGTAN, "start_page": True})
    assert len(listing.entries) == 10
    dates = {e.url.rsplit("/", 1)[1]: e.list_date for e in listing.entries}
    assert dates["t20240308_87885.htm"] == date(2024, 3, 8) and dates["t20170118_80485.htm"] == date(
        2017, 1, 18
    )
    assert all(dates.values())  # each in the <dd> beside the link's own <dd>
    (page,) = listing.fetches  # recordCount 20 / prepage 10: index.htm and index_1.htm, both static
    assert page.url == PINGTAN + "index_1.htm" and page.kind == "list"


def test_list_model_arguments_are_read_as_the_script_computes_them() -> None:
    from crawler.adapters.trs import list_model

    text = (REAL / "pingtan-list.html").read_text(encoding="utf-8")
    assert list_model(text) == {
        "max_static": 1,
        "prepage": 10,
        "record_count": 20,
        "channelid": "200210",  # SiteInfo.searchId, defined in an earlier script
        "classsql": "chnlid=1813",  # "" || "chnlid=1813"
        "sortfield": "-docorderpri,-docreltime",
    }
    without = list_model(text.replace('classsql: "" || "chnlid=1813",', ""))
    assert without is not None and without["classsql"] == "chnlid=1813"  # from the ChnlId meta


def test_list_model_pages_beyond_the_static_ones_come_from_the_search_service() -> None:
    text = (
        (REAL / "pingtan-list.html")
        .read_text(encoding="utf-8")
        .replace("recordCount: '20'", "recordCount: '45'")
    )
    listing = adapters.parse(PINGTAN, text, "list", {"scope": PINGTAN, "start_page": True})
    static, *api = listing.fetches
    assert static.url == PINGTAN + "index_1.htm"
    assert [(f.kind, f.method, f.url) for f in api] == [
        ("trs_api", "POST", "https://www.pingtan.gov.cn/fjdzapp/search")
    ] * 3
    assert [f.formdata["page"] for f in api if f.formdata] == ["3", "4", "5"]
    form = api[0].formdata or {}
    assert (form["channelid"], form["classsql"], form["prepage"]) == ("200210", "chnlid=1813", "10")
    assert api[0].headers["Referer"] == PINGTAN


def test_the_search_service_answer() -> None:
    from crawler.adapters.trs import parse_api

    text = (
        (REAL / "pingtan-list.html")
        .read_text(encoding="utf-8")
        .replace("recordCount: '20'", "recordCount: '30'")
    )
    (_, api) = adapters.parse(PINGTAN, text, "list", {"scope": PINGTAN, "start_page": True}).fetches
    rows = [
        {
            "doctitle": "平潭综合实验区2012年度政府信息公开工作<em>年度报告</em>",
            "chnldocurl": "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201301/t20130118_1.htm",
            "docreltime": "2013.01.18 16:20:00",
        }
    ] + [
        {"doctitle": f"通知{n}", "chnldocurl": f"./2013/t{n}.htm", "docreltime": "2013.01.01 09:00:00"}
        for n in range(9)
    ]
    answer = json.dumps(
        {"error": False, "page": 3, "prepage": 10, "pageCount": 3, "recordCount": 30, "data": rows}
    )
    listing = parse_api(api.url, answer, api.params)
    (entry,) = listing.entries
    assert entry.title == "平潭综合实验区2012年度政府信息公开工作年度报告" and entry.list_date == date(
        2013, 1, 18
    )
    assert listing.dated_items == 10
    # The last promised page came back full: the count may be stale, one more page is asked for.
    (more,) = listing.fetches
    assert (more.formdata or {})["page"] == "4" and more.params["probe"]
    empty = parse_api(more.url, json.dumps({"page": 4, "pageCount": 3, "data": []}), more.params)
    assert not empty.fetches and not empty.entries


# ---- Anhui label columns -------------------------------------------------------------------------


def test_an_anhui_column_is_read_through_its_label_service(tmp_path: Path) -> None:
    from crawler.adapters.epoint import label_params, parse_label
    from tests.support.mockportal import platforms

    platforms.build_anhui(tmp_path, "127.0.0.1")
    url = platforms.anhui_column("http://fzggw.ah.gov.cn")
    text = (tmp_path / "public/column/7011").read_text(encoding="utf-8")
    assert detect_family(url, text) == "epoint"
    label = label_params(url, text)
    assert label is not None
    assert (label["organId"], label["catId"], label["siteId"], label["file"]) == (
        "7011",
        "49944301",
        "49631471",
        "/xxgk/publicInfoList_newest2020",
    )
    (first,) = adapters.parse(url, text, "list", {"start_page": True}).fetches
    assert (
        first.kind == "epoint_label"
        and "pageIndex=1" in first.url
        and first.url.startswith("http://fzggw.ah.gov.cn/site/label/8888?")
    )
    fragment = (
        '<div class="xxgk_navli"><ul><li><a href="/public/7011/49000001.html" title="江淮市民政局2024年政府信息公开工作年度报告">'
        '江淮市民政局2024年…</a><span class="date">2025-01-11</span></li></ul></div>'
        "<script>pageInfo({pageIndex:1,pageCount:3,pageSize:15});</script>"
    )
    listing = parse_label(first.url, fragment, first.params)
    (entry,) = listing.entries
    assert entry.url == "http://fzggw.ah.gov.cn/public/7011/49000001.html" and entry.list_date == date(
        2025, 1, 11
    )
    assert ["pageIndex=2" in f.url for f in listing.fetches] == [True, False]
    # Without the template path on the page the list is not guessed at.
    assert label_params(url, text.replace("file: '/xxgk/publicInfoList_newest2020'", "")) is None


def test_list_links_follow_the_pages_base_href() -> None:
    page = (
        '<html><head><base href="http://www.example.gov.cn/zwgk/nb/"></head><body><ul>'
        '<li><a href="202401/t20240122_1.html">某局2023年政府信息公开工作年度报告</a><span>2024-01-22</span></li>'
        "</ul></body></html>"
    )
    (entry,) = adapters.parse("http://www.example.gov.cn/list/index.html", page).entries
    assert entry.url == "http://www.example.gov.cn/zwgk/nb/202401/t20240122_1.html"
