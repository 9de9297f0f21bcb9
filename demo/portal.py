"""The demo's sample portal: a handful of agencies in two CMS styles, built from the seed reports.

Two snapshots of the same portal, a week apart, so the digest has a history:

| site    | agency                     | CMS    | week 1 (crawled 2024-02-26)   | week 2 (crawled 2024-03-04)            |
|---------|----------------------------|--------|-------------------------------|----------------------------------------|
| jtfw    | 赣州经开区教体服务中心     | TRS    | seed 000, signed: clean       | same                                   |
| jgsw    | 赣州经开区机关事务管理中心 | TRS    | seed 001: signed a year early | same                                   |
| scjg    | 郑县市场监督管理局         | TRS    | no 2023 report: missing       | still missing                          |
| wbjy    | 卫滨区教育局               | Hanweb | seed 002, unsigned            | corrected in place (signed): resolved  |
| zxjt    | 郑县教育体育局             | Hanweb | no 2023 report: missing       | seed 004 as 2023, published late       |
| wbqzf   | 卫滨区人民政府             | Hanweb | nothing yet (deadline 03-31)  | nothing yet: 27 days left              |
| wjw     | 郑县卫生健康委员会         | —      | answers 412 + $_ts challenge  | same: blocked                          |
| jtj     | 郑县交通运输局             | —      | nothing listens: unreachable  | same                                   |

TRS pages: a static column ``/zfxxgk/zfxxgknb/index.shtml`` paged by
``createPageHTML``, articles ``./YYYYMM/tYYYYMMDD_N.shtml`` with the body in
``div.TRS_Editor``. Hanweb pages: a column ``/col/colN/index.html`` whose
records sit in a ``<datastore>`` script, articles ``/art/Y/M/D/art_N_M.html``
with ``Maketime``/``PubDate`` metas and the ``ZJEG_RSS`` body markers.

The trees are served by the tests' mock portal server (tests/support/mockportal),
each site on its own loopback host (``hosts``): static files, plus Hanweb's
``dataproxy.jsp`` answered from ``_data/jpage_{column}.json``; the blocked site
answers every request with a 412 carrying a Ruishu-style ``$_ts`` challenge, as
anti-bot walls do, and nothing listens at the unreachable site's address.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from demo.seedhtml import report_html, title_of, without_title
from tests.support.paths import SEEDS

TRS_COLUMN = "zfxxgk/zfxxgknb"
NEWS = ["关于开展2024年政务公开培训的通知", "政府信息公开指南（2024年修订）", "2023年度部门预算公开说明"]
CHALLENGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
    "<script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=23017;$_ts.cd='qhzrrrAlEqGr';</script>"
    "<script src='/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js'></script></body></html>"
)


@dataclass
class Report:
    seed: str  # seed file prefix
    published: str  # YYYY-MM-DD HH:MM
    signature: str | None = None  # a signature block appended to the seed
    years: dict[str, str] = field(default_factory=dict)  # year substitutions (a 2021 seed re-dated)
    article: int = 1

    def text(self) -> str:
        (path,) = SEEDS.glob(f"{self.seed}_*.txt")
        text = path.read_text(encoding="utf-8")
        # Replace all years at once (2021->2023 must not then become 2025).
        for old, new in self.years.items():
            text = text.replace(old, f"\x00{new}\x00")
        text = text.replace("\x00", "")
        return text + (f"\n\n{self.signature}\n" if self.signature else "")


@dataclass
class Site:
    id: str
    agency: str
    cms: str  # trs | hanweb | blocked | unreachable
    level: str = "department"
    weeks: tuple[list[Report], list[Report]] = field(default_factory=lambda: ([], []))
    column: str = ""  # Hanweb column id

    @property
    def start_path(self) -> str:
        return f"/col/col{self.column}/index.html" if self.cms == "hanweb" else f"/{TRS_COLUMN}/index.shtml"


SITES = [
    Site(
        "jtfw",
        "赣州经开区教体服务中心",
        "trs",
        weeks=(
            [
                Report(
                    "000",
                    "2024-01-25 10:19",
                    "赣州经济技术开发区教体服务中心\n2024年1月24日",
                    article=1926722,
                )
            ],
            [
                Report(
                    "000",
                    "2024-01-25 10:19",
                    "赣州经济技术开发区教体服务中心\n2024年1月24日",
                    article=1926722,
                )
            ],
        ),
    ),
    Site(
        "jgsw",
        "赣州经开区机关事务管理中心",
        "trs",
        weeks=(
            [Report("001", "2024-01-29 16:40", article=1926801)],
            [Report("001", "2024-01-29 16:40", article=1926801)],
        ),
    ),
    Site("scjg", "郑县市场监督管理局", "trs"),
    Site(
        "wbjy",
        "卫滨区教育局",
        "hanweb",
        column="1229001101",
        weeks=(
            [Report("002", "2024-01-26 09:30", article=88123)],
            [Report("002", "2024-01-26 09:30", "卫滨区教育局\n2024年1月25日", article=88123)],
        ),
    ),
    Site(
        "zxjt",
        "郑县教育体育局",
        "hanweb",
        column="1229001202",
        weeks=(
            [],
            [Report("004", "2024-02-27 11:02", years={"2021": "2023", "2022": "2024"}, article=88290)],
        ),
    ),
    Site("wbqzf", "卫滨区人民政府", "hanweb", level="government", column="1229001303"),
    Site("wjw", "郑县卫生健康委员会", "blocked"),
    Site("jtj", "郑县交通运输局", "unreachable"),
]


def _page(title: str, metas: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>\n{metas}\n</head>\n<body>\n"
        '<div class="top">网站首页 | 无障碍浏览 | 长者模式</div>\n'
        f"{body}\n"
        '<div class="foot">主办单位：示例政府办公室 | 扫一扫在手机打开当前页</div>\n</body></html>\n'
    )


def _metas(site: Site, column: str, title: str | None = None, pubdate: str | None = None) -> str:
    metas = [
        f'<meta name="SiteName" content="{html.escape(site.agency)}">',
        f'<meta name="ColumnName" content="{column}">',
    ]
    if title:
        metas.append(f'<meta name="ArticleTitle" content="{html.escape(title)}">')
    if pubdate:
        metas += [
            f'<meta name="PubDate" content="{pubdate}">',
            f'<meta name="ContentSource" content="{html.escape(site.agency)}">',
        ]
    return "\n".join(metas)


def _report_page(site: Site, report: Report) -> tuple[str, str, str]:
    """(title, article HTML, signing-free body) of one report."""
    text = report.text()
    title = title_of(text)
    return title, report_html(without_title(text, title)), text


def build(root: Path, week: int) -> None:
    """Write every site's tree for ``week`` (0 or 1) under ``root/<site id>/``."""
    for site in SITES:
        tree = root / site.id
        if site.cms == "trs":
            _build_trs(tree, site, site.weeks[week])
        elif site.cms == "hanweb":
            _build_hanweb(tree, site, site.weeks[week])


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _build_trs(tree: Path, site: Site, reports: list[Report]) -> None:
    items = []
    for report in reports:
        title, body, _ = _report_page(site, report)
        day = date.fromisoformat(report.published[:10])
        rel = f"{day:%Y%m}/t{day:%Y%m%d}_{report.article}.shtml"
        article = (
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; '
            '<a href="../index.shtml">政府信息公开年报</a></div>'
            f'<h1 class="title">{html.escape(title)}</h1>'
            f'<div class="info">发布时间：{report.published} 来源：{html.escape(site.agency)} '
            "字号：[ 大 中 小 ] 打印本页</div>"
            f'<div class="TRS_Editor">{body}</div>'
        )
        _write(
            tree / TRS_COLUMN / rel,
            _page(
                f"{title}_{site.agency}", _metas(site, "政府信息公开年报", title, report.published), article
            ),
        )
        items.append(
            f'<li><a href="./{rel}" title="{html.escape(title)}" target="_blank">{html.escape(title)}</a>'
            f"<span>{day.isoformat()}</span></li>"
        )
    for index, news in enumerate(NEWS):
        day = date(2024, 2, 1) + timedelta(days=index)
        rel = f"{day:%Y%m}/t{day:%Y%m%d}_{5000 + index}.shtml"
        _write(
            tree / TRS_COLUMN / rel,
            _page(
                news,
                _metas(site, "政府信息公开年报", news, f"{day} 09:00"),
                f"<h1>{news}</h1><div class='TRS_Editor'><p>正文从略。</p></div>",
            ),
        )
        items.append(f'<li><a href="./{rel}" title="{news}">{news}</a><span>{day.isoformat()}</span></li>')
    body = (
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
        '<div class="left"><a href="../zfxxgkzn/">政府信息公开指南</a><a href="./index.shtml">政府信息公开年报</a></div>'
        f'<ul class="list">{"".join(items)}</ul>'
        '<div class="page"><script>createPageHTML(1, 0, "index", "shtml");</script></div>'
    )
    _write(
        tree / TRS_COLUMN / "index.shtml",
        _page(f"政府信息公开年报_{site.agency}", _metas(site, "政府信息公开年报"), body),
    )


def _build_hanweb(tree: Path, site: Site, reports: list[Report]) -> None:
    records = []
    generator = '<meta name="Generator" content="大汉版通">\n<meta name="Author" content="大汉网络">'
    for report in reports:
        title, body, _ = _report_page(site, report)
        day = date.fromisoformat(report.published[:10])
        rel = f"art/{day.year}/{day.month}/{day.day}/art_{site.column}_{report.article}.html"
        metas = "\n".join(
            [
                f"<meta name='Maketime' content='{report.published}:00'>",
                f"<meta name='i_columnid' content='{site.column}'>",
                f"<meta name='i_articleid' content='{report.article}'>",
                generator,
                _metas(site, "政府信息公开年报", title, report.published),
            ]
        )
        article = (
            f'<table class="info"><tr><td>信息来源：<!--<$[信息来源]>begin-->{html.escape(site.agency)}'
            "<!--<$[信息来源]>end--></td></tr></table>"
            f'<h1>{html.escape(title)}</h1><div class="time">时间：{report.published} '
            f"来源：{html.escape(site.agency)} 浏览次数：</div>"
            f"<div id='zoom'><!--ZJEG_RSS.content.begin--><!--<$[信息内容]>begin-->{body}"
            "<!--<$[信息内容]>end--><!--ZJEG_RSS.content.end--></div>"
        )
        _write(tree / rel, _page(f"{site.agency} - 政府信息公开年报 - {title}", metas, article))
        records.append(
            f"<li><a href='/{rel}' title='{html.escape(title)}' target='_blank'>{html.escape(title)}</a>"
            f"<span>{day.isoformat()}</span></li>"
        )
    for index, news in enumerate(NEWS[:2]):
        day = date(2024, 2, 5) + timedelta(days=index)
        rel = f"art/{day.year}/{day.month}/{day.day}/art_{site.column}_{7000 + index}.html"
        _write(tree / rel, _page(news, generator, f"<h1>{news}</h1><div id='zoom'><p>正文从略。</p></div>"))
        records.append(f"<li><a href='/{rel}' title='{news}'>{news}</a><span>{day.isoformat()}</span></li>")
    datastore = (
        "<datastore>\n<recordset>\n"
        + "\n".join(f"<record><![CDATA[\n{r}\n]]></record>" for r in records)
        + "\n</recordset>\n</datastore>"
    )
    unit = str(4455000 + int(site.column[-3:]))
    column = (
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
        f'<div id="{unit}"><script type="text/xml">\n{datastore}\n</script>'
        f"<script>$(document).ready(function(){{ $('#{unit}').jpage({{ dataStore: dataStore, perPage: 15, "
        f"totalRecord: {len(records)}, proxyUrl: '/module/web/jpage/dataproxy.jsp', ajaxParam: {{col: 1, "
        f"appid: 1, webid: 3, path: '/', columnid: {site.column}, sourceContentType: 1, unitid: {unit}, "
        "permissiontype: 0} }); });</script>"
        f'<form id="jpageform_{unit}" action="/module/web/jpage/dataproxy.jsp"></form></div>'
    )
    _write(
        tree / f"col/col{site.column}/index.html", _page(f"{site.agency} 政府信息公开年报", generator, column)
    )
    # The dataproxy answers for later pages; there are none, but a crawler may ask.
    _write(tree / "_data" / f"jpage_{site.column}.json", json.dumps(records, ensure_ascii=False))


def hosts(week_root: Path, ip: dict[str, str]) -> list[dict[str, Any]]:
    """The mock server's host specs: every site that answers at all, serving its tree under ``week_root``.

    ``ip``: each site's loopback address.
    """
    specs: list[dict[str, Any]] = []
    for site in SITES:
        if site.cms == "unreachable":
            continue
        host: dict[str, Any] = {"name": site.id, "ip": ip[site.id]}
        if site.cms == "blocked":
            host["routes"] = {"*": {"status": 412, "body": CHALLENGE}}
        else:
            host["root"] = str(week_root / site.id)
            host["robots"] = "User-agent: *\nDisallow:\n"
        specs.append(host)
    return specs
