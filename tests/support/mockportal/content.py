"""Realistic report bodies and page chrome for the mock portals (no server code here).

A report body follows the 2021 template (国办公开办函〔2021〕30号): six parts,
tables 二, 三 and 四 as HTML tables whose numbers add up (勾稽关系), the
overview written the way the seed reports are. Page templates reproduce each
CMS family's detail page: metas, header line, breadcrumb, body container.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence

T3_COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
T3_ROWS: list[tuple[str, str, list[int]]] = [
    ("一、本年新收政府信息公开申请数量", "", [5, 1, 0, 0, 0, 0, 6]),
    ("二、上年结转政府信息公开申请数量", "", [0, 0, 0, 0, 0, 0, 0]),
    ("三、本年度办理结果", "（一）予以公开", [3, 1, 0, 0, 0, 0, 4]),
    ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [1, 0, 0, 0, 0, 0, 1]),
    ("", "（三）不予公开 1.属于国家秘密", [0] * 7),
    ("", "2.其他法律行政法规禁止公开", [0] * 7),
    ("", "3.危及“三安全一稳定”", [0] * 7),
    ("", "4.保护第三方合法权益", [0] * 7),
    ("", "5.属于三类内部事务信息", [0] * 7),
    ("", "6.属于四类过程性信息", [0] * 7),
    ("", "7.属于行政执法案卷", [0] * 7),
    ("", "8.属于行政查询事项", [0] * 7),
    ("", "（四）无法提供 1.本机关不掌握相关政府信息", [1, 0, 0, 0, 0, 0, 1]),
    ("", "2.没有现成信息需要另行制作", [0] * 7),
    ("", "3.补正后申请内容仍不明确", [0] * 7),
    ("", "（五）不予处理 1.信访举报投诉类申请", [0] * 7),
    ("", "2.重复申请", [0] * 7),
    ("", "3.要求提供公开出版物", [0] * 7),
    ("", "4.无正当理由大量反复申请", [0] * 7),
    ("", "5.要求行政机关确认或重新出具已获取信息", [0] * 7),
    ("", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("", "3.其他", [0] * 7),
    ("", "（七）总计", [5, 1, 0, 0, 0, 0, 6]),
    ("四、结转下年度继续办理", "", [0] * 7),
]


def _cells(values: Sequence[object], tag: str = "td") -> str:
    return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)


def table2(count: int) -> str:
    return (
        '<table border="1" cellspacing="0">'
        '<tr><td colspan="4">第二十条第（一）项</td></tr>'
        "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"
        f"<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
        f"<tr><td>行政规范性文件</td><td>{count}</td><td>0</td><td>{count + 4}</td></tr>"
        '<tr><td colspan="4">第二十条第（五）项</td></tr>'
        '<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>'
        f'<tr><td>行政许可</td><td colspan="3">{count * 10}</td></tr>'
        '<tr><td colspan="4">第二十条第（六）项</td></tr>'
        '<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>'
        '<tr><td>行政处罚</td><td colspan="3">2</td></tr>'
        '<tr><td>行政强制</td><td colspan="3">0</td></tr>'
        '<tr><td colspan="4">第二十条第（八）项</td></tr>'
        '<tr><td>信息内容</td><td colspan="3">本年收费金额（单位：万元）</td></tr>'
        '<tr><td>行政事业性收费</td><td colspan="3">0</td></tr>'
        "</table>"
    )


def table3() -> str:
    head = (
        '<table border="1" cellspacing="0">'
        '<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
        '<td colspan="7">申请人情况</td></tr>'
        '<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>'
        "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
    )
    rows = []
    for first, second, values in T3_ROWS:
        label = (
            f'<td colspan="3">{html.escape(first)}</td>'
            if not second
            else f'<td>{html.escape(first)}</td><td colspan="2">{html.escape(second)}</td>'
        )
        rows.append(f"<tr>{label}{_cells(values)}</tr>")
    return head + "".join(rows) + "</table>"


def table4() -> str:
    groups = "<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>"
    return (
        '<table border="1" cellspacing="0">'
        '<tr><td colspan="5" rowspan="2">行政复议</td><td colspan="10">行政诉讼</td></tr>'
        '<tr><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>'
        f"<tr>{groups}{groups}{groups}</tr>"
        f"<tr>{_cells([0] * 15)}</tr>"
        "</table>"
    )


# Alternatives for each narrative part, picked per (agency, year): the same agency's reports of two
# years, and two agencies' reports of one year, must not read as copies (XREF.COPIED) of each other.
_ACTIVE = [
    "{y}年，{a}通过门户网站主动公开政府信息{n}条，其中政策文件{k}件，政策解读{k}篇，围绕群众关心的重点领域及时发布信息，做到应公开尽公开。",
    "全年依托政府网站、政务新媒体等渠道发布各类信息{n}条，重点公开财政预决算、重大建设项目、公共资源配置等领域信息，发布政策解读材料{k}篇。",
    "本年度共发布工作动态、通知公告、人事信息等{n}条，及时更新机构职能、权责清单和办事指南，对新出台的{k}件文件同步开展解读。",
    "我单位坚持需求导向，梳理公开事项目录，全年主动公开信息{n}条，在问政平台回应群众关切{k}条，利用微信公众号推送信息{n}条。",
    "聚焦优化营商环境和民生保障，集中公开涉企政策{k}项、惠民补贴发放信息{n}条，并以图文、视频等形式解读重要政策。",
]
_REQUEST = [
    "{y}年共收到政府信息公开申请6件，均在法定期限内答复，答复率100%，未因政府信息公开被申请行政复议或提起行政诉讼。",
    "依申请公开工作严格按照受理、审查、答复程序办理，全年受理申请6件，其中予以公开4件，部分公开1件，无法提供1件。",
    "进一步规范依申请公开办理流程，建立申请登记、会商、审核和答复台账，本年度受理的申请全部按时办结，无超期办理情况。",
    "完善依申请公开答复文书模板，落实法律顾问审核机制，全年收到的公开申请均依法依规作出答复，申请人未提出异议。",
]
_MANAGE = [
    "严格落实信息发布“三审三校”制度，建立健全信息公开属性源头认定机制，定期开展已公开信息的清理和评估。",
    "加强政府信息全流程管理，对拟公开信息逐条进行保密审查，对涉及个人隐私的内容作去标识化处理。",
    "建立政策文件动态更新机制，对现行有效的规范性文件进行集中清理并统一标注有效性，方便群众查阅。",
    "健全信息发布协调机制，明确各科室信息报送责任人，确保信息发布准确、及时、规范。",
]
_PLATFORM = [
    "以政府门户网站为政务公开第一平台，规范政务新媒体信息报送、审核、发布流程，平台运行安全平稳。",
    "持续优化政府信息公开专栏建设，按照统一标准调整栏目设置，完善站内搜索和无障碍浏览功能。",
    "推进政务公开专区标准化建设，在办事大厅设置查阅点，为群众提供政府信息查询、政策咨询等服务。",
    "完善政务新媒体矩阵，统一开设政策解读专栏，推动政策文件与解读材料同步发布、关联展示。",
]
_SUPERVISE = [
    "将政务公开工作纳入年度绩效考核，主动接受社会各界和群众监督，全年未发生因信息公开不到位被追责的情况。",
    "组织开展政务公开业务培训2次，邀请第三方对网站进行检测，针对发现的问题逐项整改。",
    "定期对网站内容开展自查，对错别字、链接失效、栏目不更新等问题建立整改台账并限期销号。",
    "聘请社会监督员对政务公开工作进行评议，将评议意见作为改进工作的重要依据。",
]
_PROBLEMS = [
    "一是公开内容的深度和广度有待进一步拓展；二是政策解读形式较为单一。下一步，我们将进一步规范公开流程，丰富解读形式，提升政府信息公开工作质量。",
    "工作中还存在信息更新不够及时、基层公开标准化水平不高等问题。下一步将加强业务培训，建立信息发布提醒机制，推动基层政务公开标准化规范化。",
    "主要问题是部分栏目信息发布不够均衡，回应关切的主动性有待增强。今后将完善栏目维护责任制，加强舆情研判，及时回应社会关切。",
    "存在的不足：政务新媒体内容质量有待提高，依申请公开答复的规范性仍需加强。改进措施：加强内容审核，规范答复文书，提升工作人员业务能力。",
]


_POOLS = (_ACTIVE, _REQUEST, _MANAGE, _PLATFORM, _SUPERVISE, _PROBLEMS)
_CHOSEN: dict[tuple[str, int], tuple[int, ...]] = {}


def _choice(agency: str, year: int) -> tuple[int, ...]:
    """Which alternative of each part a report uses: at most two parts shared with any other report of
    that year or the year before (deterministic: the first free combination in a fixed order)."""
    if (agency, year) in _CHOSEN:
        return _CHOSEN[(agency, year)]
    others = [c for (a, y), c in _CHOSEN.items() if y == year or (a == agency and y == year - 1)]
    seed = int(hashlib.md5(f"{agency}{year}".encode()).hexdigest(), 16)
    best: tuple[int, ...] = ()
    for attempt in range(2000):
        candidate = tuple((seed // (7**i) + attempt * (i + 1)) % len(pool) for i, pool in enumerate(_POOLS))
        if all(sum(a == b for a, b in zip(candidate, other, strict=True)) <= 2 for other in others):
            best = candidate
            break
        best = best or candidate
    _CHOSEN[(agency, year)] = best
    return best


def report_body(agency: str, year: int, *, count: int = 3, signed: str | None = None) -> str:
    """The six parts of one agency's report for ``year``, as portal HTML paragraphs and tables."""
    signed = signed or f"{year + 1}年1月20日"
    fill = {"y": year, "a": agency, "n": count * 25 + len(agency), "k": count}
    pick = [pool[i].format(**fill) for pool, i in zip(_POOLS, _choice(agency, year), strict=True)]
    p = [
        f'<p style="text-align:center"><strong>{agency}{year}年政府信息公开工作年度报告</strong></p>',
        f"<p>本报告根据《中华人民共和国政府信息公开条例》编制，全文包括总体情况、主动公开政府信息情况、"
        f"收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、"
        f"其他需要报告的事项。本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。</p>",
        "<p><strong>一、总体情况</strong></p>",
        f"<p>{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国"
        f"政府信息公开条例》，扎实推进政府信息公开各项工作。</p>",
        "<p>（一）主动公开。" + pick[0] + "</p>",
        "<p>（二）依申请公开。" + pick[1] + "</p>",
        "<p>（三）政府信息管理。" + pick[2] + "</p>",
        "<p>（四）平台建设。" + pick[3] + "</p>",
        "<p>（五）监督保障。" + pick[4] + "</p>",
        "<p><strong>二、主动公开政府信息情况</strong></p>",
        table2(count),
        "<p><strong>三、收到和处理政府信息公开申请情况</strong></p>",
        table3(),
        "<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>",
        table4(),
        "<p><strong>五、存在的主要问题及改进情况</strong></p>",
        "<p>" + pick[5] + "</p>",
        "<p><strong>六、其他需要报告的事项</strong></p>",
        "<p>按照《国务院办公厅关于印发〈政府信息公开信息处理费管理办法〉的通知》（国办函〔2020〕109号）规定的"
        "按件、按量收费标准，本年度没有产生信息公开处理费。</p>",
        f'<p style="text-align:right">{agency}</p>',
        f'<p style="text-align:right">{signed}</p>',
    ]
    return "\n".join(p)


CHROME_TOP = (
    '<div class="top"><a href="/">网站首页</a> | <a href="javascript:void(0)">无障碍浏览</a> | '
    '<a href="javascript:void(0)">长者模式</a></div>'
    '<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/hdjl/">互动交流</a>'
    '<a href="/zwfw/">政务服务</a></div>'
)
CHROME_BOTTOM = (
    '<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">'
    "关闭窗口</a>】 分享到： 扫一扫在手机打开当前页</div>"
    '<div class="footer">主办单位：青山市人民政府办公室 网站标识码：3301000001 '
    '<a href="http://www.beian.gov.cn/">备案号</a></div>'
)


def page(title: str, head: str, body: str, charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="{charset}">\n{head}\n<title>{html.escape(title)}</title>\n'
        f"</head>\n<body>\n{CHROME_TOP}\n{body}\n{CHROME_BOTTOM}\n</body>\n</html>\n"
    )


def national_metas(
    site: str, column: str, title: str | None = None, pubdate: str | None = None, source: str | None = None
) -> str:
    metas = [
        f'<meta name="SiteName" content="{site}">',
        '<meta name="SiteDomain" content="www.qingshan.gov.cn">',
        '<meta name="SiteIDCode" content="3301000001">',
        f'<meta name="ColumnName" content="{column}">',
        '<meta name="ColumnType" content="政府信息公开年报">',
    ]
    if title:
        metas.append(f'<meta name="ArticleTitle" content="{html.escape(title)}">')
    if pubdate:
        metas.append(f'<meta name="PubDate" content="{pubdate}">')
    if source:
        metas.append(f'<meta name="ContentSource" content="{source}">')
    return "\n".join(metas)


NEWS_TITLES = [
    "关于开展2024年度政务公开培训工作的通知",
    "青山市召开政务公开工作推进会",
    "政府信息公开指南（2024年修订）",
    "关于做好2023年政府信息公开工作年度报告编制和发布工作的通知",
    "市政府办公室2024年第一季度政务服务情况通报",
]
