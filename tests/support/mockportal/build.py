"""Write the mock portals' fixture trees (tests/fixtures/portals/): ``python -m tests.support.mockportal.build``.

One tree per host, served as static files by ``server.py``, plus the data files
its dynamic endpoints read (Hanweb's dataproxy records, gkmlpt's API articles,
Hanweb's downfile.jsp files). ``{{host:NAME}}`` in a page is replaced by the
server with the base URL of host NAME (ports are chosen at start).

What each tree holds, and which trap it sets, is listed in EXPECTED (the
tests read it): the reports each site must yield with year and publication
date, and the pages that must be ignored.
"""

from __future__ import annotations

import html
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from tests.support.mockportal.content import NEWS_TITLES, national_metas, page, report_body
from tests.support.paths import FIXTURES

ROOT = FIXTURES / "portals"

# (site id, year) -> expected facts; filled while building, dumped to expected.json.
EXPECTED: dict[str, Any] = {}


def _signed(iso: str) -> str:
    """The signing date a few days before publication, as the report's last line writes it."""
    from datetime import date, timedelta

    d = date.fromisoformat(iso[:10]) - timedelta(days=3)
    return f"{d.year}年{d.month}月{d.day}日"


def _write(root: Path, rel: str, data: str | bytes, encoding: str = "utf-8") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def _expect(
    site: str, title: str, year: int, published: str | None, source: str | None, path: str, **extra: Any
) -> None:
    EXPECTED.setdefault(site, {"reports": [], "ignored": []})["reports"].append(
        {"title": title, "year": year, "published": published, "source": source, "path": path, **extra}
    )


def _ignore(site: str, path: str, why: str) -> None:
    EXPECTED.setdefault(site, {"reports": [], "ignored": []})["ignored"].append({"path": path, "why": why})


# ---- binary attachments -------------------------------------------------------------------------


def pdf_bytes(text: str) -> bytes:
    from datetime import UTC, datetime

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creator("nianbao mock portal")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))  # the same bytes on every build
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def docx_bytes(agency: str, year: int, signed: str | None = None) -> bytes:
    """A Word copy of the report: six parts, the three tables."""
    from datetime import datetime

    import docx
    from lxml import html as lxml_html

    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = datetime(2024, 1, 1)
    body = lxml_html.fromstring(f"<div>{report_body(agency, year, signed=signed)}</div>")
    for el in body:
        if el.tag == "p":
            document.add_paragraph(el.text_content())
        elif el.tag == "table":
            rows = el.findall(".//tr")
            width = max(sum(int(td.get("colspan", 1)) for td in tr.findall("td")) for tr in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, tr in enumerate(rows):
                c = 0
                for td in tr.findall("td"):
                    if c < width:
                        table.cell(r, c).text = td.text_content()
                    c += int(td.get("colspan", 1))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def ole_bytes(label: str) -> bytes:
    """A stand-in for a legacy .doc / .wps / .xls: the OLE signature and some bytes."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + label.encode() + b"\x00" * 512


def jpeg_bytes() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 1100), "white")
    draw = ImageDraw.Draw(image)
    for y in range(80, 1050, 40):
        draw.line((60, y, 740, y), fill=(40, 40, 40), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60)
    return out.getvalue()


# ---- A. TRS ------------------------------------------------------------------------------------

TRS_SITE = "mock-trs"
TRS_COLUMN = "zfxxgk/zfxxgknb"


def trs_detail(
    title: str,
    agency: str,
    year: int,
    published: str,
    body_extra: str = "",
    charset: str = "utf-8",
    pubdate_meta: str | None = None,
) -> str:
    head = national_metas("青山市人民政府", "政府信息公开年报", title, pubdate_meta or published, agency)
    body = (
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; '
        '<a href="../index.shtml">政府信息公开年报</a></div>'
        f'<h1 class="title">{html.escape(title)}</h1>'
        f'<div class="info">发布时间：{published} 来源：{agency} 字号：[ <a href="javascript:doZoom(18)">大</a> '
        '<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a> ]</div>'
        f'<div class="TRS_Editor">{report_body(agency, year, signed=_signed(published))}</div>{body_extra}'
    )
    return page(f"{title}_青山市人民政府", head, body, charset)


def build_trs(root: Path) -> None:
    depts = [("青山市教育局", "jyj"), ("青山市卫生健康委员会", "wjw"), ("青山市司法局", "sfj")]
    # (agency, year, url path under the column, list date, page published, extras)
    reports = [
        (
            depts[0][0],
            2023,
            "202401/t20240129_1926722.shtml",
            "2024-01-29",
            "2024-01-29 10:19",
            "attachments",
        ),
        (
            depts[1][0],
            2023,
            "202401/t20240126_1926800.shtml",
            "2024-01-29",
            "2024-01-29 10:19",
            "url_differs",
        ),
        (depts[2][0], 2023, "202401/t20240125_1926650.shtml", "2024-01-25", "2024-01-25 16:40", "gbk"),
        (depts[0][0], 2022, "202301/t20230116_1700011.shtml", "2023-01-16", "2023-01-16 09:00", ""),
        (depts[1][0], 2022, "202302/t20230215_1700200.shtml", "2023-02-15", "2023-02-15 11:02", "late"),
        (depts[2][0], 2022, "202301/t20230120_1800001.html", "2023-01-20", "2023-01-20 15:30", "wap"),
        (depts[0][0], 2021, "202201/t20220118_1500001.shtml", "2022-01-18", "2022-01-18 08:45", ""),
        (depts[1][0], 2021, "202201/t20220125_1500002.shtml", "2022-01-25", "2022-01-25 14:12", ""),
        (depts[2][0], 2021, "202201/t20220128_1500003.shtml", "2022-01-28", "2022-01-28 17:05", ""),
    ]
    items: list[str] = []
    for agency, year, path, list_date, published, extra in reports:
        title = f"{agency}{year}年政府信息公开工作年度报告"
        body_extra = ""
        charset = "utf-8"
        pubdate_meta = None
        if extra == "attachments":
            pdf_name = "P020240129512345678901.pdf"
            xls_name = "P020240129512345678902.xls"
            _write(root, f"{TRS_COLUMN}/202401/{pdf_name}", pdf_bytes(f"{year} annual report (PDF edition)"))
            _write(root, f"{TRS_COLUMN}/202401/{xls_name}", ole_bytes("xls statistics"))
            body_extra = (
                f'<div class="fj">附件：<a href="./{pdf_name}" appendix="true" '
                f'OLDSRC="/protect/P0202401/P020240129/{pdf_name}">{title}.pdf</a>'
                "<script>var file_appendix='" + xls_name + "';"
                "document.write('<a href=\"./" + xls_name + "\">统计表.xls</a>');</script></div>"
            )
        if extra == "url_differs":
            pubdate_meta = published  # URL says 2024-01-26, the page says 2024-01-29
        if extra == "gbk":
            charset = "gb2312"
        detail = trs_detail(title, agency, year, published, body_extra, charset, pubdate_meta)
        _write(root, f"{TRS_COLUMN}/{path}", detail, "gbk" if extra == "gbk" else "utf-8")
        items.append(
            f'<li><a href="./{path}" title="{title}" target="_blank">{title}</a><span>{list_date}</span></li>'
        )
        _expect(
            TRS_SITE,
            title,
            year,
            published[:10],
            "text:发布时间",
            f"/{TRS_COLUMN}/{path}",
            trap=extra or None,
        )
        if extra == "wap":
            wap = path.replace(".html", "_wap.html")
            _write(root, f"{TRS_COLUMN}/{wap}", detail)
            # The mobile copy is listed first, on page 0; the main copy comes on the last page.
            items.insert(0, f'<li><a href="./{wap}" title="{title}">{title}</a><span>{list_date}</span></li>')
            _ignore(TRS_SITE, f"/{TRS_COLUMN}/{wap}", "_wap duplicate")
    interp = [
        ("青山市教育局2023年政府信息公开工作年度报告解读", "202401/t20240130_1926900.shtml", "2024-01-30"),
        ("图解：青山市2022年政府信息公开工作年度报告", "202301/t20230131_1700300.shtml", "2023-01-31"),
    ]
    for title, path, list_date in interp:
        head = national_metas("青山市人民政府", "政府信息公开年报", title, list_date + " 09:00")
        _write(
            root,
            f"{TRS_COLUMN}/{path}",
            page(
                title,
                head,
                f"<h1>{title}</h1><div class='TRS_Editor'>"
                "<p>一图读懂年度报告。</p><img src='./W020240130.jpg'></div>",
            ),
        )
        items.insert(2, f'<li><a href="./{path}" title="{title}">{title}</a><span>{list_date}</span></li>')
        _ignore(TRS_SITE, f"/{TRS_COLUMN}/{path}", "interpretation")
    for i, title in enumerate(NEWS_TITLES):
        path = f"202402/t2024020{i + 1}_19300{i}.shtml"
        _write(
            root,
            f"{TRS_COLUMN}/{path}",
            page(title, "", f"<h1>{title}</h1><div class='TRS_Editor'><p>正文。</p></div>"),
        )
        items.insert(
            3 + i * 2, f'<li><a href="./{path}" title="{title}">{title}</a><span>2024-02-0{i + 1}</span></li>'
        )
        _ignore(TRS_SITE, f"/{TRS_COLUMN}/{path}", "news")
    mirror_path = f"{TRS_COLUMN}/202401/t20240129_1926722.shtml"
    items.insert(
        5,
        '<li><a href="{{host:mirror}}/'
        + mirror_path
        + '" title="青山市教育局2023年政府信息公开工作年度报告">'
        "青山市教育局2023年政府信息公开工作年度报告</a><span>2024-01-29</span></li>",
    )
    per_page = 6
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)]
    for n, chunk in enumerate(pages):
        name = "index.shtml" if n == 0 else f"index_{n}.shtml"
        head = national_metas("青山市人民政府", "政府信息公开年报")
        body = (
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
            '<div class="left"><a href="../zfxxgkzn/">政府信息公开指南</a><a href="../zfxxgkzd/">政府信息公开制度</a>'
            '<a href="../fdzdgknr/">法定主动公开内容</a><a href="./index.shtml">政府信息公开年报</a></div>'
            f'<ul class="list">{"".join(chunk)}</ul>'
            f'<div class="page"><script>createPageHTML({len(pages)}, {n}, "index", "shtml");</script></div>'
        )
        _write(root, f"{TRS_COLUMN}/{name}", page("政府信息公开年报_青山市人民政府", head, body))
    EXPECTED[TRS_SITE]["list_pages"] = len(pages)
    # The mirror host serves a copy of one report: a crawler that followed the link would hit it.


def build_mirror(root: Path, trs_root: Path) -> None:
    rel = f"{TRS_COLUMN}/202401/t20240129_1926722.shtml"
    _write(root, rel, (trs_root / rel).read_bytes())


# ---- B. Hanweb ---------------------------------------------------------------------------------

HANWEB_SITE = "mock-hanweb"
HANWEB_COL = "1229000001"


def hanweb_detail(
    title: str,
    agency: str,
    year: int,
    art: str,
    maketime: str,
    pubdate: str | None,
    show_time: bool,
    attachments: list[tuple[str, str]],
    body: str | None = None,
) -> str:
    metas = [
        f"<meta name='Maketime' content='{maketime}'>",
        f"<meta name='i_columnid' content='{HANWEB_COL}'>",
        f"<meta name='i_articleid' content='{art}'>",
        '<meta name="Generator" content="大汉版通">',
        '<meta name="Author" content="大汉网络">',
    ]
    if pubdate:
        metas.append(f'<meta name="PubDate" content="{pubdate}">')
    links = "".join(
        f'<p><a href="/module/download/downfile.jsp?classid=0&filename={fname}&showname={html.escape(show)}">'
        f"{html.escape(show)}</a></p>"
        for fname, show in attachments
    )
    header = (
        f"时间：{pubdate} 来源：{agency} 浏览次数：<span id='c'></span>"
        if show_time
        else f"来源：{agency} 浏览次数："
    )
    content = body if body is not None else report_body(agency, year, signed=_signed(maketime))
    page_body = (
        f'<table class="info"><tr><td>信息来源：<!--<$[信息来源]>begin-->{agency}<!--<$[信息来源]>end--></td></tr></table>'
        f'<h1>{html.escape(title)}</h1><div class="time">{header}</div>'
        f"<div id='zoom'><!--ZJEG_RSS.content.begin--><!--<$[信息内容]>begin-->{content}"
        f"<!--<$[信息内容]>end--><!--ZJEG_RSS.content.end--></div>{links}"
        '<script src="/module/jslib/jquery/jquery.js"></script><a href="http://www.hanweb.com" style="display:none">'
        "Produced By 大汉网络 大汉版通发布系统</a>"
    )
    return page(f"青山市人民政府 - 政府信息公开年报 - {title}", "\n".join(metas), page_body)


def build_hanweb(root: Path) -> None:
    depts = ["青山市住房和城乡建设局", "青山市交通运输局"]
    specs = [
        # agency, year, date (y, m, d), art id, pubdate shown, variant
        (depts[0], 2023, (2024, 1, 25), "567", True, ""),
        (depts[1], 2023, (2024, 1, 23), "568", True, "split_date"),
        (depts[0], 2022, (2023, 1, 18), "455", True, ""),
        (depts[1], 2022, (2023, 1, 19), "456", True, "docx"),
        (depts[0], 2021, (2022, 1, 20), "341", True, "junk"),
        (depts[1], 2021, (2022, 1, 21), "342", False, "maketime_only"),
    ]
    records: list[str] = []
    for agency, year, (y, m, d), art, show, variant in specs:
        title = f"{agency}{year}年政府信息公开工作年度报告"
        path = f"art/{y}/{m}/{d}/art_{HANWEB_COL}_{art}.html"
        iso = f"{y}-{m:02d}-{d:02d}"
        maketime = f"{iso} 09:30:00"
        pubdate = None if variant == "maketime_only" else f"{iso} 09:30"
        attachments: list[tuple[str, str]] = []
        body = None
        if variant == "":
            fname = f"{art}0a1b2c3d4e5f60718293a4b5c6d7e8f9"[:32] + ".pdf"
            _write(root, f"_files/{fname}", pdf_bytes(f"{year} report"))
            attachments.append((fname, f"{title}.pdf"))
        if variant == "docx":
            fname = "8f14e45fceea167a5a36dedd4bea2543.docx"
            _write(root, f"_files/{fname}", docx_bytes(agency, year, _signed(iso)))
            attachments.append((fname, f"{title}.docx"))
            body = "<p>详见附件。</p>"
        if variant == "split_date":
            for ext, label in (("doc", "doc"), ("wps", "wps"), ("xls", "xls")):
                fname = f"c9f0f895fb98ab9159f51fd0297e236{ext[0]}.{ext}"
                _write(root, f"_files/{fname}", ole_bytes(label))
                attachments.append((fname, f"{title}.{ext}"))
        detail = hanweb_detail(title, agency, year, art, maketime, pubdate, show, attachments, body)
        _write(root, path, detail)
        date_span = f"<span>{iso}</span>"
        if variant == "split_date":
            date_span = f"<span>{y}-\n{m:02d}-\n{d:02d}</span>"
        record = f"<li><a href='/{path}' title='{title}' target='_blank'>{title}</a>{date_span}</li>"
        if variant == "junk":
            record += "<li style=<br/>"
        records.append(record)
        # "时间：" in the header is a weak label: the PubDate meta outranks it; Maketime is the last page date.
        source = "meta:Maketime" if variant == "maketime_only" else "meta:PubDate"
        _expect(HANWEB_SITE, title, year, iso, source, f"/{path}", trap=variant or None)
    for i, title in enumerate(
        [
            "图解：青山市住房和城乡建设局2023年政府信息公开工作年度报告",
            "青山市交通运输局2022年政府信息公开工作年度报告解读",
        ]
    ):
        path = f"art/2024/2/{i + 1}/art_{HANWEB_COL}_90{i}.html"
        _write(
            root,
            path,
            hanweb_detail(
                title,
                depts[i],
                2023,
                f"90{i}",
                "2024-02-01 10:00:00",
                "2024-02-01 10:00",
                True,
                [],
                "<p>解读内容。</p>",
            ),
        )
        records.insert(
            1 + i * 3, f"<li><a href='/{path}' title='{title}'>{title}</a><span>2024-02-0{i + 1}</span></li>"
        )
        _ignore(HANWEB_SITE, f"/{path}", "interpretation")
    for i, title in enumerate(NEWS_TITLES):
        path = f"art/2024/3/{i + 1}/art_{HANWEB_COL}_80{i}.html"
        _write(
            root,
            path,
            hanweb_detail(
                title,
                depts[0],
                2024,
                f"80{i}",
                "2024-03-01 10:00:00",
                "2024-03-01 10:00",
                True,
                [],
                "<p>正文。</p>",
            ),
        )
        records.insert(
            2 + i * 2, f"<li><a href='/{path}' title='{title}'>{title}</a><span>2024-03-0{i + 1}</span></li>"
        )
        _ignore(HANWEB_SITE, f"/{path}", "news")
    inline = records[:6]
    datastore = (
        '<datastore>\n<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3&path=/'
        f'&columnid={HANWEB_COL}&unitid=4455560&webname=青山市人民政府&permissiontype=0"></a>]]></nextgroup>\n'
        "<recordset>\n"
        + "\n".join(f"<record><![CDATA[\n{r}\n]]></record>" for r in inline)
        + "\n</recordset>\n</datastore>"
    )
    column = (
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
        '<div id="4455560"><script type="text/xml">\n' + datastore + "\n</script>"
        '<script language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>'
        "<script>$(document).ready(function(){ $('#4455560').jpage({ dataStore: dataStore, containerID: '4455560',"
        f" perPage: 3, totalRecord: {len(records)}, proxyUrl: '/module/web/jpage/dataproxy.jsp', groupSize: 2,"
        " barPosition: 'bottom', ajaxType: 'POST', ajaxParam: {col: 1, appid: 1, webid: 3, path: '/', "
        f"columnid: {HANWEB_COL}, sourceContentType: 1, unitid: 4455560, webname: '青山市人民政府', "
        "permissiontype: 0} }); });</script>"
        '<form id="jpageform_4455560" action="/module/web/jpage/dataproxy.jsp"></form></div>'
    )
    metas = '<meta name="Generator" content="大汉版通">\n<meta name="Author" content="大汉网络">'
    _write(root, f"col/col{HANWEB_COL}/index.html", page("青山市人民政府 政府信息公开年报", metas, column))
    _write(root, f"_data/jpage_{HANWEB_COL}.json", json.dumps(records, ensure_ascii=False, indent=1))
    EXPECTED[HANWEB_SITE]["records"] = len(records)


# ---- C. gkmlpt ---------------------------------------------------------------------------------

GKMLPT_SITE = "mock-gkmlpt"


def build_gkmlpt(root: Path) -> None:
    depts = ["青山市发展和改革局", "青山市统计局"]
    specs = [
        (depts[0], 2023, 1234567, "2024-01-22", 1705888800, "page_date"),
        (depts[1], 2023, 1234568, None, 1705975200, "api_date"),
        (depts[0], 2022, 1134001, "2023-01-17", 1673920800, "page_date"),
        (depts[1], 2022, 1134002, "2023-01-18", 1674007200, "page_date"),
        (depts[0], 2021, 1034001, "2022-01-14", 1642125600, "page_date"),
        (depts[1], 2021, 1034002, None, None, "no_date"),
    ]
    articles = []
    for agency, year, post, shown, created, variant in specs:
        title = f"{agency}{year}年政府信息公开工作年度报告"
        path = f"gkmlpt/content/1/{post // 1000}/post_{post}.html"
        label = "发布日期：" if shown else ""
        info = (
            f'<table class="info"><tr><td>索引号：</td><td>11440000-{post}</td><td>分类：</td><td>年度报告</td></tr>'
            f"<tr><td>发布机构：</td><td>{agency}</td><td>{label}</td><td>{shown or ''}</td></tr></table>"
        )
        attachment = f"attachment/0/1/1/{post}.pdf"
        _write(root, attachment, pdf_bytes(f"{year} report {post}"))
        body = (
            f'<div class="crumb">当前位置：首页 &gt; 政府信息公开目录 &gt; 年度报告</div>{info}'
            f'<h1 class="title">{html.escape(title)}</h1><div class="article-content">'
            f"{report_body(agency, year, signed=_signed(shown or f'{year + 1}-01-20'))}"
            f'<p>附件：<a href="/{attachment}">{html.escape(title)}.pdf</a></p></div>'
        )
        _write(root, path, page(title, "", body))
        articles.append(
            {
                "id": post,
                "title": title,
                "url": "{{host:gkmlpt}}/" + path,
                "create_time": created,
                "publisher": agency,
            }
        )
        expected_date = shown
        source = "text:发布时间" if shown else None
        if variant == "api_date":
            expected_date, source = "2024-01-23", "list"
        _expect(GKMLPT_SITE, title, year, expected_date, source, f"/{path}", trap=variant)
    # The same 2023 report again through its mobile (mpost_) address.
    articles.insert(
        3,
        {
            "id": 1234567,
            "title": articles[0]["title"],
            "url": "{{host:gkmlpt}}/gkmlpt/content/1/1234/mpost_1234567.html",
            "create_time": 1705888800,
            "publisher": depts[0],
        },
    )
    _ignore(GKMLPT_SITE, "/gkmlpt/content/1/1234/mpost_1234567.html", "mpost_ duplicate")
    interp = "青山市统计局2023年政府信息公开工作年度报告解读"
    _write(root, "gkmlpt/content/1/1240/post_1240001.html", page(interp, "", f"<h1>{interp}</h1><p>解读</p>"))
    articles.insert(
        1,
        {
            "id": 1240001,
            "title": interp,
            "url": "/gkmlpt/content/1/1240/post_1240001.html",
            "create_time": 1706061600,
            "publisher": depts[1],
        },
    )
    _ignore(GKMLPT_SITE, "/gkmlpt/content/1/1240/post_1240001.html", "interpretation")
    for i, title in enumerate(NEWS_TITLES[:3]):
        path = f"gkmlpt/content/1/1250/post_125000{i}.html"
        _write(root, path, page(title, "", f"<h1>{title}</h1><p>正文</p>"))
        articles.append(
            {
                "id": 1250000 + i,
                "title": title,
                "url": "/" + path,
                "create_time": 1709258400,
                "publisher": depts[0],
            }
        )
    _write(
        root,
        "_data/gkmlpt_5.json",
        json.dumps({"sid": "2", "page_size": 4, "articles": articles}, ensure_ascii=False, indent=1),
    )
    app = (
        '<div id="app">政府信息公开目录 加载中……</div>'
        "<script>window.GKMLPT = { SID: '2', BASE: '/gkmlpt/', THEME: 'default' };</script>"
        '<script src="/gkmlpt/static/js/app.js"></script>'
        '<ul class="tree"><li><a href="#3">政府信息公开指南</a></li><li><a href="#5">政府信息公开年报</a></li></ul>'
    )
    _write(root, "gkmlpt/index", page("青山市政府信息公开目录", "", app))
    EXPECTED[GKMLPT_SITE]["articles"] = len(articles)


# ---- D. 集约化 ----------------------------------------------------------------------------------

JIYUE_SITE = "mock-jiyue"
JIYUE_COLUMN = "zfxxgk/zfxxgknb"


def jiyue_detail(
    title: str,
    agency: str,
    year: int,
    index_no: str,
    generated: str,
    published: str | None,
    body: str | None = None,
) -> str:
    head = national_metas("青山区人民政府", "政府信息公开年报", title, None, agency)
    info = (
        f'<table class="xxgk-info"><tr><th>索引号</th><td>{index_no}</td><th>发布机构</th><td>{agency}</td>'
        f"<th>生成日期</th><td>{generated}</td></tr></table>"
    )
    date_line = f"<div class='date'>发布日期：{published}</div>" if published else ""
    crumb = (
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报 &gt; '
        f"{year}年 &gt; 部门年报</div>"
    )
    content = body if body is not None else report_body(agency, year, signed=_signed(generated))
    return page(
        title,
        head,
        f'{crumb}{info}<h1>{html.escape(title)}</h1>{date_line}<div id="UCAP-CONTENT">{content}</div>',
    )


def _jiyue_list(title: str, crumb: str, links: str, items: list[str], pager: str = "") -> str:
    head = national_metas("青山区人民政府", "政府信息公开年报")
    body = (
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; {crumb}</div>'
        f'<div class="sub-columns">{links}</div><ul class="xxgk-list">{"".join(items)}</ul>{pager}'
    )
    return page(title, head, body)


def build_jiyue(root: Path) -> None:
    col = JIYUE_COLUMN

    def item(rel: str, title: str, list_date: str) -> str:
        return f'<li><a href="{rel}" title="{title}">{title}</a><span class="time">[{list_date}]</span></li>'

    years = {2023: "2024", 2022: "2023"}
    _write(
        root,
        f"{col}/index.html",
        _jiyue_list(
            "政府信息公开年报",
            "政府信息公开年报",
            '<a href="2023n/index.html">2023年</a><a href="2022n/index.html">2022年</a>',
            [],
        ),
    )
    for year, pub_year in years.items():
        gov_title = f"青山区人民政府{year}年政府信息公开工作年度报告"
        gov_id = "1744277306953564161" if year == 2023 else "1617000000000000001"
        gov_date = f"{pub_year}-03-20"
        _write(
            root,
            f"{col}/{year}n/{gov_id}.html",
            jiyue_detail(gov_title, "青山区人民政府", year, f"qsq/{pub_year}-00001", gov_date, gov_date),
        )
        _expect(JIYUE_SITE, gov_title, year, gov_date, "text:发布时间", f"/{col}/{year}n/{gov_id}.html")
        links = f'<a href="bmnb{year}/index.html">部门年报</a>' + (
            f'<a href="xzjd{year}/index.html">乡镇（街道）年报</a>' if year == 2023 else ""
        )
        _write(
            root,
            f"{col}/{year}n/index.html",
            _jiyue_list(
                f"{year}年",
                f"政府信息公开年报 &gt; {year}年",
                links,
                [item(f"{gov_id}.html", gov_title, gov_date)],
            ),
        )
        depts = [
            ("青山区教育体育局", "1744277306953564170", "snowflake"),
            ("青山区民政局", "3f2b8c1e-5d4a-4e8f-9b7c-2a1d0e9f8c7b", "uuid"),
            ("青山区农业农村局", "61e7bc45f8fd1c0bdc7acf3c", "hex24"),
        ]
        if year == 2023:
            depts.append(("青山区退役军人事务局", "1744277306953564199", "image_only"))
        dept_items = []
        for n, (agency, ident, kind) in enumerate(depts):
            title = f"{agency}{year}年政府信息公开工作年度报告"
            day = 22 + n
            generated = f"{pub_year}-01-{day}"
            body = None
            if kind == "image_only":
                title += "（图片版）"
                _write(root, f"{col}/{year}n/bmnb{year}/W020240126518107839760.jpg", jpeg_bytes())
                body = '<p style="text-align:center"><img src="W020240126518107839760.jpg" width="800" /></p>'
            rel = f"{ident}.html"
            _write(
                root,
                f"{col}/{year}n/bmnb{year}/{rel}",
                jiyue_detail(title, agency, year, f"qsq-{n}/{pub_year}-0000{n}", generated, None, body),
            )
            dept_items.append(item(rel, title, generated))
            _expect(
                JIYUE_SITE,
                title,
                year,
                generated,
                "text:日期",
                f"/{col}/{year}n/bmnb{year}/{rel}",
                trap=kind,
                image_only=kind == "image_only",
            )
        # Two pages, numbered pager links: 1 2 下一页 尾页.
        pager0 = (
            '<div class="pager"><a href="index.html">1</a><a href="index_1.html">2</a>'
            '<a href="index_1.html">下一页</a><a href="index_1.html">尾页</a></div>'
        )
        pager1 = '<div class="pager"><a href="index.html">首页</a><a href="index.html">1</a><a href="index_1.html">2</a></div>'
        _write(
            root,
            f"{col}/{year}n/bmnb{year}/index.html",
            _jiyue_list("部门年报", f"{year}年 &gt; 部门年报", "", dept_items[:2], pager0),
        )
        _write(
            root,
            f"{col}/{year}n/bmnb{year}/index_1.html",
            _jiyue_list("部门年报", f"{year}年 &gt; 部门年报", "", dept_items[2:], pager1),
        )
        if year == 2023:
            title = "青山区城关街道办事处2023年政府信息公开工作年度报告"
            rel = "202401/cbe761fbe81c4e17991ae67fd108e5d8.shtml"
            _write(
                root,
                f"{col}/{year}n/xzjd{year}/{rel}",
                jiyue_detail(
                    title, "青山区城关街道办事处", year, "cgjd/2024-00001", "2024-02-10", "2024-02-10"
                ),
            )
            _write(
                root,
                f"{col}/{year}n/xzjd{year}/index.html",
                _jiyue_list(
                    "乡镇（街道）年报", "2023年 &gt; 乡镇（街道）年报", "", [item(rel, title, "2024-02-10")]
                ),
            )
            _expect(
                JIYUE_SITE, title, year, "2024-02-10", "text:发布时间", f"/{col}/{year}n/xzjd{year}/{rel}"
            )
    EXPECTED[JIYUE_SITE]["missing_years"] = [2021]


# ---- traps -------------------------------------------------------------------------------------


def build_traps(root: Path) -> None:
    _write(
        root,
        "ruishu412.html",
        (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<meta id="9DhefwqGPrzGxEp9hPaoag" content="k2x0dXJsLmNu"><script type="text/javascript">'
            "$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=49632;$_ts.cd=\"qGcjrrAlDqG9\";</script>"
            '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.bd8a1ac.js"></script>'
            "</head><body></body></html>"
        ),
    )
    _write(
        root,
        "jsl521.html",
        (
            "<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')"
            "+('a')+('n')+('c')+('e')+('_')+('s')+'=1700000000.123|0|abc';location.href=location.pathname+location.search"
            "</script></body></html>"
        ),
    )
    _write(
        root,
        "wall403.html",
        "<html><head><title>403 Forbidden</title></head><body><h1>访问被拒绝</h1>"
        "<p>您的访问请求被安全策略拦截。</p></body></html>",
    )
    _write(
        root,
        "soft404.html",
        '<html><head><meta charset="utf-8"><title>提示</title></head>'
        '<body><div class="err">对不起，您访问的页面不存在或已删除！</div>'
        '<a href="/">返回首页</a></body></html>',
    )
    # A site whose start page is a news list: no annual reports, no report column.
    items = "".join(
        f'<li><a href="./2024030{i}/t2024030{i}_88{i}.html">{t}</a><span>2024-03-0{i}</span></li>'
        for i, t in enumerate(NEWS_TITLES[:4], 1)
    )
    _write(
        root,
        "news/xwzx/index.html",
        page("新闻中心", national_metas("青山市", "新闻中心"), f'<ul class="list">{items}</ul>'),
    )
    # A small column behind a robots.txt that forbids everything.
    title = "青山市审计局2023年政府信息公开工作年度报告"
    _write(
        root,
        "robots/zfxxgk/zfxxgknb/202401/t20240122_1000001.html",
        trs_detail(title, "青山市审计局", 2023, "2024-01-22 09:00"),
    )
    _write(
        root,
        "robots/zfxxgk/zfxxgknb/index.html",
        page(
            "政府信息公开年报",
            national_metas("青山市审计局", "政府信息公开年报"),
            f'<ul><li><a href="./202401/t20240122_1000001.html">{title}</a><span>2024-01-22</span></li></ul>',
        ),
    )
    _write(root, "robots/robots.txt", "User-agent: *\nDisallow: /\n")
    _expect(
        "mock-robots-optout",
        title,
        2023,
        "2024-01-22",
        "text:发布时间",
        "/zfxxgk/zfxxgknb/202401/t20240122_1000001.html",
    )


def build(root: Path = ROOT) -> None:
    EXPECTED.clear()
    if root.exists():
        shutil.rmtree(root)
    build_trs(root / "trs")
    build_mirror(root / "mirror", root / "trs")
    build_hanweb(root / "hanweb")
    build_gkmlpt(root / "gkmlpt")
    build_jiyue(root / "jiyue")
    build_traps(root / "traps")
    _write(root, "expected.json", json.dumps(EXPECTED, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    build(target)
    print(f"wrote {target}")
