"""Portal trees for the crawler's real-portal families and its hostile portal, written at test time.

Each ``build_*`` writes one host's tree under ``root`` and returns its host spec
for ``MockPortal`` (and, where the test needs them, the sites to register):

* ``build_pingtan`` – the real 平潭综合实验区 column (tests/fixtures/real/) at its
  original paths, ``index_1.htm`` made from it with the five 2011–2015 entries;
* ``build_list_model`` – a TRS ``list2.trsapi`` column: static ``index.htm`` and
  ``index_1.htm``, the rest from ``POST /fjdzapp/search`` (optionally with a
  stale ``recordCount``);
* ``build_anhui`` – an Anhui ``/public/column/{organId}`` column read through the
  label service ``/site/label/8888``;
* ``build_jpaas`` – a Zhejiang page whose attachments go through the expiring JPaaS
  download gateway and on to the province's file storage;
* ``build_traps`` – one column full of traps (issue 12): a gzip-bomb attachment, a
  report page redirecting to another domain, a truncated attachment, two files
  that crash the reader, and a good report;
* ``build_flood`` – a column listing 10,000 report links.

``trap_reader`` is the reader the trap portal's crawl uses
(``NIANBAO_READ_FUNCTION``): it fails on the trap files as a crashing reader
would, and reads everything else with the real reader.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from tests.support.paths import FIXTURES

from .build import _write, docx_bytes, pdf_bytes, trs_detail
from .content import NEWS_TITLES, national_metas, page

REAL = FIXTURES / "real"
PINGTAN_COLUMN = "zwgk/zfxxgk/zfxxgknb"
PINGTAN_HOST = "www.pingtan.gov.cn"
# The two report pages we have, at the paths the list links them under.
PINGTAN_PAGES = {
    2023: ("202403/t20240308_87885.htm", "pingtan-2023-district.html"),
    2024: ("202503/t20250310_97791.htm", "pingtan-2024-district.html"),
}
RAISE_MARK = b"%TRAP-RAISE"
CRASH_MARK = b"%TRAP-CRASH"


def trap_reader(data: bytes, path: str, options: Any, content_type: str | None) -> Any:
    """The real reader, except on the trap files: one raises inside the reader, one kills its process."""
    from nianbao.reading import read_one

    if RAISE_MARK in data[:64]:
        raise OverflowError("cannot convert float infinity to integer")
    if CRASH_MARK in data[:64]:
        os._exit(70)
    return read_one(data, path, options, content_type)


# ---- 平潭: the real column ----------------------------------------------------------------------

_DL = re.compile(
    r"(<div class=\"rules_tabs_01 rules_tabs_no_bg\" ms-visible=\"showStatic\">)(.*?)(</div>)", re.S
)


def build_pingtan(root: Path, ip: str) -> dict[str, Any]:
    """The list page and the two report pages at their original paths; every other report 404s."""
    listing = (REAL / "pingtan-list.html").read_text(encoding="utf-8")
    _write(root, f"{PINGTAN_COLUMN}/index.htm", listing)
    entries = "".join(_pingtan_entry(year) for year in (2015, 2014, 2013, 2012, 2011))
    second, count = _DL.subn(lambda m: m.group(1) + entries + m.group(3), listing, count=1)
    assert count == 1, "the static list block of the real page was not found"
    _write(root, f"{PINGTAN_COLUMN}/index_1.htm", second)
    for rel, name in PINGTAN_PAGES.values():
        _write(root, f"{PINGTAN_COLUMN}/{rel}", (REAL / name).read_bytes())
    return {"name": "pingtan", "ip": ip, "root": str(root), "hostname": PINGTAN_HOST}


def _pingtan_entry(year: int) -> str:
    """One entry of the static list, written as the real page writes its entries."""
    title = f"平潭综合实验区{year}年度政府信息公开工作年度报告"
    href = f"./{year + 1}01/t{year + 1}0120_{80300 + year}.htm"
    return (
        "\n                                        <dl>\n"
        '                                            <dd class="trt-col-sm-24 slb-trt-col-24 text_align_left">\n'
        f'                                                <a href="{href}" target="_blank" title="{title}">{title}</a>\n'
        "                                            </dd>\n"
        '                                            <dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">\n'
        f"                                                {year + 1}-01-20\n"
        "                                            </dd>\n"
        "                                        </dl>\n"
    )


def pingtan_site(url: str, first_year: int) -> dict[str, Any]:
    return {
        "id": "pingtan",
        "agency": "平潭综合实验区",
        "level": "government",
        "first_year": first_year,
        "start_urls": [f"{url}/{PINGTAN_COLUMN}/"],
    }


# ---- TRS list model (list2.trsapi) -------------------------------------------------------------

LIST_MODEL_AGENCIES = [
    "青山市教育局",
    "青山市民政局",
    "青山市财政局",
    "青山市审计局",
    "青山市统计局",
    "青山市司法局",
    "青山市水利局",
    "青山市商务局",
    "青山市信访局",
    "青山市医疗保障局",
]


def _list_model_page(
    items: list[str], *, search_id: int, chnl: int, record_count: int, max_static: int
) -> str:
    head = national_metas("青山市人民政府", "政府信息公开年报") + f'\n<meta name="ChnlId" content="{chnl}">'
    body = (
        '<div class="tabs info_tabs" ms-controller="list"><div class="rules_tabs_01" ms-visible="showStatic">'
        + "".join(items)
        + "</div>"
        '<div class="rules_tabs_01" ms-visible="!showStatic" style="display: none">'
        '<dl ms-repeat="list"><dd><a ms-attr-href="el.chnldocurl" ms-attr-title="el.doctitle"></a></dd>'
        "<dd ms-text=\"el.docreltime|date('yyyy-MM-dd')\"></dd></dl></div>"
        '<div class="page_base" ms-controller="list_pagebar" ms-include-src="pgTemp"></div></div>'
        f"<script>var SiteInfo = {{ itpSiteId: 21, searchId: {search_id}, //文档检索频道\n"
        ' defaultPgTemp: "pgBar_pt.html" };</script>'
        '<script src="/images/model.min.js"></script>'
        '<script>require(["list2.trsapi", "tools"], function(listModel, tools) {\n'
        "    listModel({\n"
        '        quickMode: "动静结合",\n'
        f"        maxStaticIndex: {max_static},\n"
        "        listArgs: {\n"
        "            channelid: SiteInfo.searchId,\n"
        f'            classsql: "" || "chnlid={chnl}",\n'
        '            sortfield: "-docorderpri,-docreltime"\n'
        "        },\n"
        "        pagebar: {\n"
        "            prepage: 10,\n"
        f"            recordCount: '{record_count}',\n"
        '            pgTemp: "pgBar_xxgk.html",\n'
        '            pgCountMode: "recordCount",\n'
        "            displayNum: 2\n"
        "        }\n"
        "    });\n"
        "});</script>"
    )
    return page("政府信息公开年报", head, body)


def build_list_model(
    root: Path,
    name: str,
    ip: str,
    *,
    total: int = 35,
    record_count: int | None = None,
    search_id: int = 300100,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``total`` documents newest first, 10 a page: pages 0 and 1 static, the rest only from the API.

    Returns the host spec and the documents (title, path, year or None, page index) in list order.
    """
    chnl = 2001
    column = "zfxxgk/zfxxgknb"
    docs: list[dict[str, Any]] = []
    for n in range(total):
        agency = LIST_MODEL_AGENCIES[n % len(LIST_MODEL_AGENCIES)]
        if n % 3 == 2:
            title, year = NEWS_TITLES[n % len(NEWS_TITLES)], None
        else:
            year = 2024 - n // 10
            title = f"{agency}{year}年政府信息公开工作年度报告"
        day = 10 + n % 15
        published = f"{(year or 2023) + 1}-01-{day:02d}"
        rel = f"{published[:4]}01/t{published.replace('-', '')}_{700000 + n}.htm"
        docs.append(
            {"title": title, "path": f"/{column}/{rel}", "year": year, "page": n // 10, "date": published}
        )
        if year is not None:
            _write(root, f"{column}/{rel}", trs_detail(title, agency, year, f"{published} 09:30"))
    items = [
        f'<dl><dd><a href=".{d["path"][len(column) + 1 :]}" title="{d["title"]}">{d["title"]}</a></dd>'
        f"<dd>{d['date']}</dd></dl>"
        for d in docs
    ]
    count = total if record_count is None else record_count
    for k in range(2):
        _write(
            root,
            f"{column}/index{'' if k == 0 else '_1'}.htm",
            _list_model_page(
                items[k * 10 : (k + 1) * 10], search_id=search_id, chnl=chnl, record_count=count, max_static=1
            ),
        )
    api = [
        {
            "docid2": 700000 + i,
            "chnl": "政府信息公开年报",
            "doctitle": d["title"],
            "chnldocurl": "{{host:" + name + "}}" + d["path"],
            "docpuburl": "{{host:" + name + "}}" + d["path"],
            "docreltime": d["date"].replace("-", ".") + " 09:30:00",
            "pubdate": d["date"].replace("-", ".") + " 00:00:00",
            "doctype": 20,
        }
        for i, d in enumerate(docs)
    ]
    _write(
        root,
        f"_data/trsapi_{search_id}.json",
        json.dumps({"classsql": f"chnlid={chnl}", "docs": api}, ensure_ascii=False),
    )
    return {"name": name, "ip": ip, "root": str(root)}, docs


# ---- Anhui: /public/column/{organId} through the label service ------------------------------------

ANHUI_ORGAN = "7011"
ANHUI_CAT = "49944301"
ANHUI_FILE = "/xxgk/publicInfoList_newest2020"


def build_anhui(
    root: Path, ip: str, *, with_file: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A column page whose list comes only from the label service; 20 items, 15 a page."""
    items = []
    for n in range(20):
        agency = LIST_MODEL_AGENCIES[n % len(LIST_MODEL_AGENCIES)].replace("青山市", "江淮市")
        year = 2024 - n // 5
        report = n % 4 != 3
        title = f"{agency}{year}年政府信息公开工作年度报告" if report else f"{agency}{year}年政务公开工作要点"
        ident = 49000000 + n
        href = f"/public/{ANHUI_ORGAN}/{ident}.html"
        items.append(
            {
                "href": href,
                "title": title,
                "date": f"{year + 1}-01-{10 + n:02d}",
                "year": year if report else None,
            }
        )
        if report:
            _write(
                root, href.lstrip("/"), trs_detail(title, agency, year, f"{year + 1}-01-{10 + n:02d} 09:30")
            )
    script = (
        "<script>$(function(){ $('#xxgk_lmcon').load('/site/label/8888', {IsAjax: 1, dataType: 'html', "
        f"labelName: 'publicInfoList', siteId: '49631471', pageSize: '15', pageIndex: '1', action: 'list', "
        f"organId: '{ANHUI_ORGAN}', type: '4', catIds: '{ANHUI_CAT}', "
        + (f"file: '{ANHUI_FILE}'" if with_file else "tpl: 'x'")
        + "}); });</script>"
    )
    body = (
        '<div class="crumb">当前位置：首页 &gt; 信息公开 &gt; 政府信息公开年报</div>'
        f'<div class="xxgk_nav_con" id="xxgk_lmcon"></div>{script}'
    )
    head = '<meta name="SiteId" content="49631471">\n' + national_metas(
        "江淮市发展和改革委员会", "政府信息公开年报"
    )
    _write(root, f"public/column/{ANHUI_ORGAN}", page("政府信息公开年报", head, body))
    _write(
        root,
        f"_data/label_{ANHUI_ORGAN}.json",
        json.dumps({"file": ANHUI_FILE, "catId": ANHUI_CAT, "items": items}, ensure_ascii=False),
    )
    return {"name": "anhui", "ip": ip, "root": str(root)}, items


def anhui_column(url: str) -> str:
    return f"{url}/public/column/{ANHUI_ORGAN}?type=4&catId={ANHUI_CAT}&action=list"


# ---- Zhejiang JPaaS download gateway ---------------------------------------------------------------

JPAAS_HOST = "hbj.huzhou.gov.cn"
OSS_HOST = "zjjcmspublicnew.oss-cn-hangzhou-zwynet-d01-a.internet.cloud.zj.gov.cn"
JPAAS_AGENCY = "湖州市生态环境局"


def build_jpaas(root: Path, ip: str, oss_ip: str) -> list[dict[str, Any]]:
    """Two report pages, "详见附件", each linking its Word file through the gateway.

    The 2023 file: the page's first copy carries an expired link (a cached page); a fresh copy a fresh
    one; the gateway redirects to ``/cms_files/…``, which moves to the province's file storage. The
    2022 file: the gateway says the download count is used up.
    """
    site_root, oss_root = root / "site", root / "oss"
    files = {}
    for year in (2023, 2022):
        name = f"{year}年度{JPAAS_AGENCY}政府信息公开工作年度报告.docx"
        path = f"/cms_files/filemanager/1572864/attach/{year + 1}01/{'3c9a' if year == 2023 else '7f21'}e0b4.docx"
        files[year] = path
        _write(oss_root, path.lstrip("/"), docx_bytes(JPAAS_AGENCY, year, f"{year + 1}年1月20日"))
        title = f"{JPAAS_AGENCY}{year}年政府信息公开工作年度报告"
        art = f"art/{year + 1}/1/22/art_1229000777_{88000 + year}.html"
        body = (
            f"<h1>{html.escape(title)}</h1><div class='time'>时间：{year + 1}-01-22 17:28 来源：{JPAAS_AGENCY}</div>"
            f"<div id='zoom'><p>详见附件。</p></div>"
            f'<p>附件：<a href="{{{{jpaas:{path}}}}}" title="{name}">{name}</a></p>'
        )
        _write(site_root, art, page(title, '<meta name="Generator" content="大汉版通">', body))
    items = "".join(
        f'<li><a href="/art/{y + 1}/1/22/art_1229000777_{88000 + y}.html" title="{JPAAS_AGENCY}{y}年政府信息公开工作年度报告">'
        f"{JPAAS_AGENCY}{y}年政府信息公开工作年度报告</a><span>{y + 1}-01-22</span></li>"
        for y in (2023, 2022)
    )
    _write(
        site_root,
        "col/col1229000777/index.html",
        page("政府信息公开年报", national_metas("湖州市生态环境局", "政府信息公开年报"), f"<ul>{items}</ul>"),
    )
    routes = {files[2023]: {"status": 301, "location": "{{host:oss}}" + files[2023]}}
    return [
        {
            "name": "jpaas",
            "ip": ip,
            "root": str(site_root),
            "hostname": JPAAS_HOST,
            "routes": routes,
            "jpaas": {"stale_first": True, "ttl": 120, "limited": [files[2022]]},
        },
        {"name": "oss", "ip": oss_ip, "root": str(oss_root), "hostname": OSS_HOST},
    ]


# ---- plain http behind an https address; one server for several names ------------------------------


def _column(root: Path, column: str, agency: str, years: tuple[int, ...], extra: str = "") -> None:
    items = []
    for n, year in enumerate(years):
        title = f"{agency}{year}年政府信息公开工作年度报告"
        rel = f"{year + 1}01/t{year + 1}0122_{n + 1}.html"
        _write(root, f"{column}/{rel}", trs_detail(title, agency, year, f"{year + 1}-01-22 09:00"))
        items.append(f'<li><a href="./{rel}" title="{title}">{title}</a><span>{year + 1}-01-22</span></li>')
    body = f'<ul class="list">{"".join(items)}{extra}</ul>'
    _write(
        root,
        f"{column}/index.html",
        page("政府信息公开年报", national_metas(agency, "政府信息公开年报"), body),
    )


def build_plain(root: Path, ip: str) -> dict[str, Any]:
    """A site that speaks only http (its sites file says https); robots.txt keeps one report page out."""
    title = "青山市审计局2023年政府信息公开工作年度报告（修订）"
    _write(
        root,
        "zfxxgk/zfxxgknb/private/t20240122_2.html",
        trs_detail(title, "青山市审计局", 2023, "2024-01-22 09:00"),
    )
    extra = (
        f'<li><a href="./private/t20240122_2.html" title="{title}">{title}</a><span>2024-01-22</span></li>'
    )
    _column(root, "zfxxgk/zfxxgknb", "青山市审计局", (2023,), extra)
    return {
        "name": "plain",
        "ip": ip,
        "root": str(root),
        "robots": "User-agent: *\nDisallow: /zfxxgk/zfxxgknb/private/\n",
    }


def build_platform(
    root: Path, ip: str, names: list[str], solo_ip: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One server (a 集约化 platform) answering for several agencies' host names, and one server alone."""
    for name in names:
        short = name.split(".")[0]
        _column(root, f"{short}/zfxxgknb", f"青山市{short.upper()}局", (2023, 2022))
    _column(root / "solo", "e/zfxxgknb", "青山市E局", (2023, 2022))
    return (
        {
            "name": "platform",
            "ip": ip,
            "root": str(root),
            "aliases": names,
            "robots": "User-agent: *\nAllow: /\n",
        },
        {"name": "solo", "ip": solo_ip, "root": str(root / "solo"), "hostname": "e.solo.gov.cn"},
    )


# ---- the hostile portal (issue 12) ------------------------------------------------------------------

TRAP_AGENCY = "青山市自然资源和规划局"
TRAP_COLUMN = "zfxxgk/zfxxgknb"
# year -> (what is wrong, the report page's path under the column)
TRAPS = {
    2024: ("good", "202501/t20250115_9001.html"),
    2023: ("gzip_bomb", "202401/t20240115_9002.html"),
    2022: ("offsite_redirect", "202301/t20230115_9003.html"),
    2021: ("truncated", "202201/t20220115_9004.html"),
    2020: ("reader_raises", "202101/t20210115_9005.html"),
    2019: ("reader_crashes", "202001/t20200115_9006.html"),
}


def build_traps(root: Path, ip: str, elsewhere: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trap column (host spec) and a host on another domain that must never be contacted."""
    routes: dict[str, Any] = {}
    items = []
    for year, (trap, rel) in TRAPS.items():
        title = f"{TRAP_AGENCY}{year}年政府信息公开工作年度报告"
        published = f"{year + 1}-01-15"
        items.append(f'<li><a href="./{rel}" title="{title}">{title}</a><span>{published}</span></li>')
        path = f"/{TRAP_COLUMN}/{rel}"
        attachment = f"{rel.split('/')[0]}/P0{year + 1}0115{year}.pdf"
        link = f'<p>附件：<a href="./{attachment.split("/")[1]}" appendix="true">{title}.pdf</a></p>'
        wrapper = f"<p>详见附件。</p>{link}"
        if trap == "good":
            _write(root, path.lstrip("/"), trs_detail(title, TRAP_AGENCY, year, f"{published} 09:30"))
            continue
        if trap == "offsite_redirect":
            routes[path] = {"status": 302, "location": "{{host:elsewhere}}/zwgk/" + rel}
            continue
        _write(root, path.lstrip("/"), _wrapper_page(title, year, published, wrapper))
        full = pdf_bytes(f"{year} annual report")
        target = f"/{TRAP_COLUMN}/{attachment}"
        if trap == "gzip_bomb":
            routes[target] = {"status": 200, "content_type": "application/pdf", "gzip_bomb": 64 * 1024 * 1024}
        elif trap == "truncated":
            _write(root, target.lstrip("/"), full[:400])
        elif trap == "reader_raises":
            _write(root, target.lstrip("/"), b"%PDF-1.7\n" + RAISE_MARK + full[9:])
        elif trap == "reader_crashes":
            _write(root, target.lstrip("/"), b"%PDF-1.7\n" + CRASH_MARK + full[9:])
    _write(
        root,
        f"{TRAP_COLUMN}/index.html",
        page(
            "政府信息公开年报",
            national_metas("青山市人民政府", "政府信息公开年报"),
            f'<ul class="list">{"".join(items)}</ul>',
        ),
    )
    return (
        {"name": "traps", "ip": ip, "root": str(root), "routes": routes},
        {"name": "elsewhere", "ip": elsewhere, "root": str(root)},
    )


def _wrapper_page(title: str, year: int, published: str, body: str) -> str:
    """A report page that only points at its attachment (the 390-byte "详见附件" page of issue 12)."""
    head = national_metas("青山市人民政府", "政府信息公开年报", title, f"{published} 09:30", TRAP_AGENCY)
    return page(
        title,
        head,
        f'<h1 class="title">{html.escape(title)}</h1><div class="info">发布时间：{published} 09:30</div>'
        f'<div class="TRS_Editor">{body}</div>',
    )


FLOOD_LINKS = 10_000
FLOOD_AGENCY = "青山市第{n}中学"


def build_flood(root: Path, ip: str, *, pages_on_disk: int = 60) -> dict[str, Any]:
    """One list page with 10,000 report links (distinct agencies, in range); the first pages exist."""
    items = []
    for n in range(FLOOD_LINKS):
        agency = FLOOD_AGENCY.format(n=n + 1)
        title = f"{agency}2024年政府信息公开工作年度报告"
        rel = f"202501/t20250115_{100000 + n}.html"
        items.append(f'<li><a href="./{rel}" title="{title}">{title}</a><span>2025-01-15</span></li>')
        if n < pages_on_disk:
            _write(root, f"{TRAP_COLUMN}/{rel}", trs_detail(title, agency, 2024, "2025-01-15 09:30"))
    _write(
        root,
        f"{TRAP_COLUMN}/index.html",
        page(
            "政府信息公开年报",
            national_metas("青山市教育局", "政府信息公开年报"),
            f'<ul class="list">{"".join(items)}</ul>',
        ),
    )
    return {"name": "flood", "ip": ip, "root": str(root)}
