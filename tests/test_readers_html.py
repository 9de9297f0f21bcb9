"""HTML reader: portal detail pages (TRS, Hanweb, 集约化), charsets, fragments, tables with spans."""

from __future__ import annotations

import json
from datetime import date

import pytest

from monitor.errors import UnreadableInput
from monitor.portal.dates import choose_publication
from monitor.readers import read_document
from monitor.readers.html import read_html
from tests.support import builders as b
from tests.support.paths import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "readers"

CHROME = (
    "字号",
    "打印本页",
    "关闭窗口",
    "分享到",
    "当前位置",
    "相关文章",
    "浏览次数",
    "网站首页",
    "无障碍",
    "ICP",
    "版权所有",
    "扫一扫",
    "索引号",
    "Produced By",
)


def read_fixture(name: str, content_type: str | None = None):
    return read_document((FIXTURES / name).read_bytes(), name, content_type)


def rows_of(doc, table: int) -> list[list[str]]:
    return [ln.cells for ln in doc.lines if ln.table == table]


def texts(doc) -> list[str]:
    return [ln.text for ln in doc.lines if ln.cells is None]


def assert_report_body(doc, agency: str) -> None:
    """The sample report's body: title first, sections in order, the three tables exactly."""
    paragraphs = texts(doc)
    assert paragraphs[0] == f"{agency}2023年政府信息公开工作年度报告"
    headings = [t for t in paragraphs if t[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")]
    assert headings == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert rows_of(doc, 1) == b.grid(b.table3_spec())
    assert rows_of(doc, 2) == b.grid(b.table4_spec())
    # tables sit under their headings: 三's heading comes right before table 3's first row
    index = {id(ln): i for i, ln in enumerate(doc.lines)}
    first_t3 = next(ln for ln in doc.lines if ln.table == 1)
    assert doc.lines[index[id(first_t3)] - 1].text == "三、收到和处理政府信息公开申请情况"
    assert paragraphs[-2:] == [agency, "2024年1月25日"]
    for line in doc.lines:
        assert not any(word in line.text for word in CHROME), line.text


def test_trs_detail_page() -> None:
    doc = read_fixture("trs_detail.shtml")
    assert doc.format == "html" and not doc.image_only
    assert doc.meta["title"] == "某市教育局2023年政府信息公开工作年度报告"
    assert doc.meta["title_source"] == "meta ArticleTitle"
    assert doc.meta["body"] == "div.TRS_Editor"
    assert doc.meta["encoding"] == "utf-8"
    # the page's own 发布时间 wins over the PubDate meta, which stays as evidence
    chosen = choose_publication(doc.dates)
    assert chosen is not None
    assert (chosen.date, chosen.source, chosen.quote) == (
        date(2024, 1, 29),
        "text:发布时间",
        "发布时间：2024-01-29 16:05",
    )
    assert ("meta:PubDate", date(2024, 1, 30), '<meta name="PubDate" content="2024-01-30 09:12">') in [
        (d.source, d.date, d.quote) for d in doc.dates
    ]
    assert doc.meta["source"] == "某市教育局"
    assert_report_body(doc, "某市教育局")
    # the related-article list and the attachment line are outside the body
    assert not any("2022年" in t for t in texts(doc))


def test_trs_table3_spans_expand_to_blank_positions() -> None:
    rows = rows_of(read_fixture("trs_detail.shtml"), 1)
    assert rows[0][:4] == [
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
        "",
        "",
        "申请人情况",
    ]
    assert rows[1][3:5] == ["自然人", "法人或其他组织"] and rows[1][9] == "总计"
    assert rows[2][3:10] == ["", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]
    new = next(r for r in rows if r[0].startswith("一、"))
    assert new == ["一、本年新收政府信息公开申请数量", "", "", "10", "2", "0", "0", "0", "0", "12"]
    # the rowspan of 三、本年度办理结果 and （三）不予公开 leaves "" below them, never a repeat
    deny_law = next(r for r in rows if r[2].startswith("2．其他法律"))
    assert deny_law[:2] == ["", ""]
    assert sum(1 for r in rows if r[0] == "三、本年度办理结果") == 1
    assert all(len(r) == 10 for r in rows)


def test_hanweb_page_markers_and_maketime() -> None:
    doc = read_fixture("hanweb_art.html")
    assert doc.meta["body"] == "ZJEG_RSS"
    assert doc.meta["title"] == "某区卫生健康局2023年政府信息公开工作年度报告"
    assert_report_body(doc, "某区卫生健康局")
    sources = {d.source: d.date for d in doc.dates}
    assert sources["meta:Maketime"] == date(2024, 1, 22)
    assert sources["meta:PubDate"] == date(2024, 1, 23)
    assert sources["text:日期"] == date(2024, 1, 22)  # 时间 / 公开日期: the header's first weak label
    # by the one precedence (monitor.portal.dates): PubDate before a weak label, before Maketime
    chosen = choose_publication(doc.dates)
    assert chosen is not None and (chosen.source, chosen.date) == ("meta:PubDate", date(2024, 1, 23))


def test_gbk_page_declared_only_by_meta_charset() -> None:
    doc = read_fixture("gbk_meta.html")
    # declared gb2312, decoded as GB18030: 祎 and 镕 are outside GB2312
    assert doc.meta["encoding"] == "gb18030"
    assert texts(doc)[0] == "石桥镇（祎镕社区）2023年政府信息公开工作年度报告"
    assert doc.meta["body"] == "class/id detail-content"
    chosen = choose_publication(doc.dates)
    assert chosen is not None and chosen.date == date(2024, 1, 26)
    assert chosen.quote == "发表日期:2024-01-26 15:35:23"
    candidates = [d.to_json() for d in doc.dates]
    assert {
        "source": "text:日期",
        "date": "2024-01-25",
        "quote": "生成日期2024-01-25",
        "url": "gbk_meta.html",
    } in candidates
    assert_report_body(doc, "石桥镇（祎镕社区）")


def test_gb18030_page_declared_only_in_http_header() -> None:
    doc = read_fixture("gb18030_header.html", "text/html; charset=GB18030")
    assert doc.meta["encoding"] == "gb18030"
    paragraphs = texts(doc)
    assert paragraphs[0] == "𠮷安乡人民政府2022年政府信息公开工作年度报告"  # a 4-byte GB18030 character
    # the header line and the font widget share <body> with the report: dropped as chrome
    chosen = choose_publication(doc.dates)
    assert chosen is not None and (chosen.date, chosen.quote) == (
        date(2023, 1, 31),
        "发布时间:2023-01-31 13:24",
    )
    assert not any("来源" in t or "字体" in t or "扫一扫" in t for t in paragraphs)
    assert rows_of(doc, 1) == b.grid(b.table3_spec())


def test_undeclared_gb18030_is_detected() -> None:
    doc = read_fixture("gb18030_header.html")
    assert doc.meta["encoding"] == "gb18030"
    assert "𠮷安乡人民政府" in texts(doc)[0]


def test_header_charset_beats_a_wrong_meta() -> None:
    page = '<html><head><meta charset="gb2312"></head><body><p>一、总体情况</p><p>政务公开</p></body></html>'
    doc = read_html(page.encode("utf-8"), "p.html", "text/html; charset=utf-8")
    assert doc.meta["encoding"] == "utf-8"
    assert texts(doc) == ["一、总体情况", "政务公开"]
    # a wrong declaration that cannot decode the bytes falls back to detection
    page = '<html><head><meta charset="utf-8"></head><body><p>政府信息公开工作年度报告</p></body></html>'
    doc = read_html(page.encode("gbk"), "p.html")
    assert texts(doc) == ["政府信息公开工作年度报告"]


def test_western_default_charset_on_a_chinese_page() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>政府信息公开工作年度报告</p></body></html>'
    doc = read_html(page.encode("gbk"), "p.html")
    assert doc.meta["encoding"] == "gb18030"
    assert texts(doc) == ["政府信息公开工作年度报告"]


def test_script_charset_does_not_count_as_page_charset() -> None:
    page = (
        '<html><head><script src="a.js" charset="gbk"></script><meta charset="utf-8"></head>'
        "<body><p>二〇二四年一月二十五日</p></body></html>"
    )
    doc = read_html(page.encode("utf-8"), "p.html")
    assert doc.meta["encoding"] == "utf-8"
    assert texts(doc) == ["二〇二四年一月二十五日"]


def test_fragment() -> None:
    doc = read_fixture("fragment.html")
    paragraphs = texts(doc)
    # <br> starts a new line; inline <span>/<b> stay inside their line
    assert paragraphs[:4] == [
        "某县审计局2023年政府信息公开工作年度报告",
        "一、总体情况",
        "2023年，本局主动公开信息32条，",
        "其中政策文件5件。",
    ]
    assert paragraphs[-2:] == ["六、其他需要报告的事项", "无。"]
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert "title" not in doc.meta and doc.dates == []


def test_image_only_page() -> None:
    doc = read_fixture("image_only.html")
    assert doc.image_only
    assert doc.lines == []
    assert json.loads(doc.meta["images"]) == ["./W020240219518107839760.jpg", "./W020240219518107839761.jpg"]
    assert doc.meta["title"] == "某街道办事处2023年政府信息公开工作年度报告（图片版）"
    chosen = choose_publication(doc.dates)  # 发布日期 on the page, not PubDate 2024-02-18
    assert chosen is not None and (chosen.date, chosen.source) == (date(2024, 2, 19), "text:发布时间")


def test_body_found_by_section_headings_among_chrome() -> None:
    page = """<html><head><title>首页 | 某县人民政府</title></head><body>
    <div class="top">网站首页 | 无障碍浏览</div>
    <div class="left"><ul><li><a href="#">政府信息公开指南</a></li><li><a href="#">政府信息公开制度</a></li></ul></div>
    <div class="right"><div class="wrap">
      <p>某县统计局2023年政府信息公开工作年度报告</p>
      <p>一、总体情况</p><p>本年度主动公开信息12条。</p>
      <p>五、存在的主要问题及改进情况</p><p>无。</p>
      <p>六、其他需要报告的事项</p><p>未收取信息处理费。</p>
    </div></div>
    <div class="foot">主办单位：某县人民政府</div></body></html>"""
    doc = read_html(page.encode(), "x.html")
    assert texts(doc) == [
        "某县统计局2023年政府信息公开工作年度报告",
        "一、总体情况",
        "本年度主动公开信息12条。",
        "五、存在的主要问题及改进情况",
        "无。",
        "六、其他需要报告的事项",
        "未收取信息处理费。",
    ]
    assert (
        doc.meta["title"] == "某县人民政府"
    )  # no ArticleTitle, no report-like heading: <title>'s longest part


def test_title_from_heading_and_title_parts() -> None:
    page = (
        "<html><head><title>某区人民政府_政府信息公开年报_某区发改局2023年政府信息公开工作年度报告</title></head>"
        "<body><h1>某区人民政府</h1><div class='TRS_Editor'><p>正文</p></div></body></html>"
    )
    assert read_html(page.encode(), "x.html").meta["title"] == "某区发改局2023年政府信息公开工作年度报告"
    page = (
        "<html><head><title>x</title></head><body><div class='logo'><h1>某区人民政府</h1></div>"
        "<h2 class='art-title'>某区发改局2023年政府信息公开工作年度报告</h2><div id='zoom'>正文</div></body></html>"
    )
    doc = read_html(page.encode(), "x.html")
    assert doc.meta["title"] == "某区发改局2023年政府信息公开工作年度报告"
    assert doc.meta["body"] == "#zoom"


@pytest.mark.parametrize(
    ("label", "quote", "value"),
    [
        ("来源:原创 发布时间:2023-01-31 13:24 浏览次数:次", "发布时间:2023-01-31 13:24", "2023-01-31"),
        ("日期:2023-01-11 来源:五常市人民政府 访问量: 字号:", "日期:2023-01-11", "2023-01-11"),
        ("来源: 市卫健委 发布时间:2024-01-23 累计次数: 字体:[ ]", "发布时间:2024-01-23", "2024-01-23"),
        ("文章来源:办公室 | 添加时间:2024-01-25 |", "添加时间:2024-01-25", "2024-01-25"),
        ("发布机构:兴国镇 索引号:xgz/2026-00001 时间:2026-01-20 作者:", "时间:2026-01-20", "2026-01-20"),
        ("发布日期：2024年1月5日", "发布日期：2024年1月5日", "2024-01-05"),
    ],
)
def test_header_date_lines_as_portals_print_them(label: str, quote: str, value: str) -> None:
    page = (
        f"<html><body><div class='info'>{label}</div><div class='TRS_Editor'><p>一、总体情况</p>"
        "<p>统计时间：2023年1月1日至2023年12月31日</p><p>成文日期：2023-12-30</p></div></body></html>"
    )
    doc = read_html(page.encode(), "x.html")
    chosen = choose_publication(doc.dates)
    assert chosen is not None and (chosen.date.isoformat(), chosen.quote) == (value, quote)
    # 统计时间 / 成文日期 are not publication dates
    assert len(doc.dates) == 1


def test_span_edge_cases() -> None:
    page = """<table border=1>
      <thead><tr><th colspan=2>项目</th><th>数量</th></tr></thead>
      <tbody>
        <tr><td rowspan="9.0">甲</td><td>a</td><td>1</td></tr>
        <tr><td>b</td></tr>
        <tr style="display:none"><td>隐藏</td><td>9</td></tr>
        <tr><td colspan="0;">c</td><td> 2 </td></tr>
        <tr><td></td><td></td></tr>
      </tbody></table>"""
    doc = read_html(page.encode(), "t.html")
    # rowspan past the end is clipped, short rows padded, hidden rows and empty rows dropped
    assert rows_of(doc, 0) == [["项目", "", "数量"], ["甲", "a", "1"], ["", "b", ""], ["", "c", "2"]]


def test_nested_tables() -> None:
    page = """<html><body><table width=1000><tr><td>
      <p>二、主动公开政府信息情况</p>
      <table border=1><tr><td>规章</td><td>0</td></tr>
        <tr><td>说明</td><td><table><tr><td>本年</td><td>3</td></tr></table></td></tr>
        <tr><td>行政许可</td><td>5</td></tr></table>
      </td></tr></table></body></html>"""
    doc = read_html(page.encode(), "n.html")
    # the layout table is read as blocks; the small table inside a data cell becomes that cell's text
    assert texts(doc) == ["二、主动公开政府信息情况"]
    assert rows_of(doc, 0) == [["规章", "0"], ["说明", "本年 3"], ["行政许可", "5"]]


def test_cell_paragraphs_join_without_spaces_between_chinese() -> None:
    page = (
        "<table border=1><tr><td><p>社会公益</p><p>组织</p></td><td>法律服务<br>机构</td>"
        "<td>1.2500</td><td>Table<br>Grid</td></tr><tr><td>a</td><td>b</td><td>c</td><td>d</td></tr></table>"
    )
    doc = read_html(page.encode(), "c.html")
    assert rows_of(doc, 0)[0] == ["社会公益组织", "法律服务机构", "1.2500", "Table Grid"]


def test_whitespace_between_chinese_lines_is_not_a_space() -> None:
    page = "<div class='TRS_Editor'><p>　　2023年，本局主动\n    公开信息&nbsp;75&nbsp;条。</p></div>"
    assert texts(read_html(page.encode(), "w.html")) == ["2023年，本局主动公开信息 75 条。"]


def test_not_html_at_all() -> None:
    with pytest.raises(UnreadableInput, match=r"w\.html"):
        read_html(b"\x00\x01\x02binary\x00" * 100, "w.html")
    with pytest.raises(UnreadableInput, match="为空"):
        read_html(b"<!-- only a comment -->", "c.html")
