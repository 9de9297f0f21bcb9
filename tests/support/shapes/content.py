"""The reports behind the real-shape fixtures: what each one prints, and so what a reader must find.

Each report is data: title lines, paragraphs, tables keyed by the template's row keys with the
row labels and cell texts exactly as printed, signature, and the findings a correct check gives.
tests/support/shapes/build.py renders them (WPS-like PDF, Word, LibreOffice PDF, portal HTML, text) and writes
each rendering's label file from the same data, so a label is what was printed, never what a
reader returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

T3_KEYS = [
    "new",
    "carried_over",
    "granted",
    "partly_granted",
    "denied.state_secret",
    "denied.prohibited",
    "denied.three_safeties",
    "denied.third_party",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_files",
    "denied.query_matters",
    "unavailable.not_held",
    "unavailable.needs_creation",
    "unavailable.unclear",
    "not_processed.petition",
    "not_processed.repeated",
    "not_processed.publications",
    "not_processed.mass_requests",
    "not_processed.confirmation",
    "other.no_correction",
    "other.fee_unpaid",
    "other.other",
    "results_total",
    "carried_forward",
]
# (group label in the second label column, row label) as the template prints them.
T3_LABELS: dict[str, tuple[str, str]] = {
    "new": ("", "一、本年新收政府信息公开申请数量"),
    "carried_over": ("", "二、上年结转政府信息公开申请数量"),
    "granted": ("", "（一）予以公开"),
    "partly_granted": ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied.state_secret": ("（三）不予公开", "1.属于国家秘密"),
    "denied.prohibited": ("（三）不予公开", "2.其他法律行政法规禁止公开"),
    "denied.three_safeties": ("（三）不予公开", "3.危及“三安全一稳定”"),
    "denied.third_party": ("（三）不予公开", "4.保护第三方合法权益"),
    "denied.internal_affairs": ("（三）不予公开", "5.属于三类内部事务信息"),
    "denied.process_info": ("（三）不予公开", "6.属于四类过程性信息"),
    "denied.enforcement_files": ("（三）不予公开", "7.属于行政执法案卷"),
    "denied.query_matters": ("（三）不予公开", "8.属于行政查询事项"),
    "unavailable.not_held": ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unavailable.needs_creation": ("（四）无法提供", "2.没有现成信息需要另行制作"),
    "unavailable.unclear": ("（四）无法提供", "3.补正后申请内容仍不明确"),
    "not_processed.petition": ("（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed.repeated": ("（五）不予处理", "2.重复申请"),
    "not_processed.publications": ("（五）不予处理", "3.要求提供公开出版物"),
    "not_processed.mass_requests": ("（五）不予处理", "4.无正当理由大量反复申请"),
    "not_processed.confirmation": ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other.no_correction": (
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    "other.fee_unpaid": (
        "（六）其他处理",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    "other.other": ("（六）其他处理", "3.其他"),
    "other": ("", "（六）其他处理"),
    "results_total": ("", "（七）总计"),
    "carried_forward": ("", "四、结转下年度继续办理"),
}
T3_COLUMNS = [
    "natural_person",
    "business",
    "research",
    "public_interest",
    "legal_service",
    "other_org",
    "total",
]

# A consistent table 3: 一+二 = 三（七）+四 in every column, every row's 总计 the sum of its six.
ZERO = ["0"] * 7
T3_VALUES: dict[str, list[str]] = {k: list(ZERO) for k in T3_KEYS}
T3_VALUES.update(
    {
        "new": ["36", "2", "0", "0", "1", "0", "39"],
        "carried_over": ["3", "0", "0", "0", "0", "0", "3"],
        "granted": ["15", "1", "0", "0", "0", "0", "16"],
        "partly_granted": ["4", "0", "0", "0", "0", "0", "4"],
        "denied.third_party": ["2", "0", "0", "0", "0", "0", "2"],
        "denied.process_info": ["1", "0", "0", "0", "0", "0", "1"],
        "unavailable.not_held": ["9", "1", "0", "0", "1", "0", "11"],
        "unavailable.needs_creation": ["2", "0", "0", "0", "0", "0", "2"],
        "not_processed.petition": ["1", "0", "0", "0", "0", "0", "1"],
        "not_processed.repeated": ["1", "0", "0", "0", "0", "0", "1"],
        "other.no_correction": ["1", "0", "0", "0", "0", "0", "1"],
        "results_total": ["36", "2", "0", "0", "1", "0", "39"],
        "carried_forward": ["3", "0", "0", "0", "0", "0", "3"],
    }
)

T4_COLUMNS = [
    f"{g}.{o}"
    for g in ("review", "litigation_direct", "litigation_after_review")
    for o in ("upheld", "corrected", "other", "pending", "total")
]
T4_VALUES = ["2", "1", "0", "0", "3", "1", "0", "0", "1", "2", "0", "0", "0", "0", "0"]

# Table 2 of the 2021 template: (block title, column labels, [(row key, label, cells)]).
T2_2021 = [
    (
        "第二十条第（一）项",
        ["本年制发件数", "本年废止件数", "现行有效件数"],
        [
            ("20_1.regulations", "规章", ["0", "0", "0"]),
            ("20_1.normative_documents", "行政规范性文件", ["4", "1", "23"]),
        ],
    ),
    ("第二十条第（五）项", ["本年处理决定数量"], [("20_5.licensing", "行政许可", ["1260"])]),
    (
        "第二十条第（六）项",
        ["本年处理决定数量"],
        [("20_6.penalty", "行政处罚", ["318"]), ("20_6.coercion", "行政强制", ["12"])],
    ),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("20_8.fees", "行政事业性收费", ["86.5"])]),
]
T2_COLUMNS_2021 = {
    "20_1": ["issued", "repealed", "in_force"],
    "20_5": ["decisions"],
    "20_6": ["decisions"],
    "20_8": ["amount"],
}
T2_COLUMNS_2019 = {
    "20_1": ["produced", "published", "total_public"],
    "20_5": ["previous_items", "change", "decisions"],
    "20_6": ["previous_items", "change", "decisions"],
    "20_8": ["previous_items", "change"],
    "20_9": ["items", "amount"],
}


@dataclass
class Report:
    name: str
    agency: str
    year: int
    level: str
    template: str
    title: list[str]  # one or two printed lines
    intro: list[str]  # paragraphs before section 一
    sections: dict[int, tuple[str, list[str]]]  # number -> (heading as printed, paragraphs)
    table2: list[tuple[str, list[str], list[tuple[str, str, list[str]]]]]
    table3: dict[str, list[str]]  # printed rows, in order: key -> seven cells
    table3_labels: dict[str, str] = field(
        default_factory=dict
    )  # key -> label as printed, if not the template's
    table4: list[str] = field(default_factory=lambda: list(T4_VALUES))
    table4_total: str = "总计"  # 2019 reports sometimes print 合计
    signature: tuple[str, str] | None = None  # (agency line, date line)
    signed: str | None = None  # ISO date the signature gives
    period: tuple[str, str] | None = None
    published: str | None = None  # the portal page's 发布时间 (HTML only)
    findings: list[str] = field(default_factory=list)  # every rendering
    uncertain: dict[str, list[str]] = field(default_factory=dict)  # table -> rows a reader must not assert
    # (renderer, option) -> findings differing from ``findings`` in that rendering
    line_breaks: dict[str, list[str]] = field(default_factory=dict)  # paragraph id -> fixed lines (WPS PDF)


def t3(
    values: dict[str, list[str]] | None = None, drop: tuple[str, ...] = (), single_other: bool = False
) -> dict[str, list[str]]:
    """Table 3's printed rows: the consistent figures with changes, rows dropped, or （六） printed
    as one row (the 2019 template's shape)."""
    rows = {k: list(v) for k, v in T3_VALUES.items()}
    rows.update(values or {})
    out: dict[str, list[str]] = {}
    for k in T3_KEYS:
        if k in drop:
            continue
        if single_other and k.startswith("other."):
            if k == "other.no_correction":
                out["other"] = [
                    str(
                        sum(
                            int(rows[s][i])
                            for s in ("other.no_correction", "other.fee_unpaid", "other.other")
                        )
                    )
                    for i in range(7)
                ]
            continue
        out[k] = rows[k]
    return out


OVERVIEW = (
    "{year} 年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕中心工作，扎实推进政府信息公开，不断提升公开质量和实效。"
)
ACTIVE = "（一）主动公开情况。依托政府门户网站集中发布政策文件、财政预决算、重大项目等信息，全年主动公开政府信息 {n} 条。"
ON_REQUEST = (
    "（二）依申请公开情况。规范受理、办理、答复流程，全年新收政府信息公开申请 {n} 件，均在法定期限内答复。"
)
MANAGEMENT = "（三）政府信息管理情况。严格执行信息发布审核制度，落实“三审三校”要求，动态更新政策文件库。"
PLATFORM = "（四）政府信息公开平台建设情况。优化政府网站栏目设置，加强政务新媒体日常监管，及时关停整合运维能力不足的账号。"
SUPERVISION = (
    "（五）政府信息公开监督保障情况。将政务公开纳入年度绩效考核，开展业务培训两次，全年未发生责任追究情况。"
)
PROBLEMS = (
    "{year} 年，我单位政府信息公开工作取得一定成效，但仍存在公开内容深度不够、政策解读形式较为单一等问题。"
    "下一步，将加强业务培训，丰富解读形式，持续提升政务公开标准化规范化水平"
)
FEES = "{year} 年，本单位未收取政府信息公开信息处理费。"


def sections(
    year: int, agency: str, applications: str, fee: bool = True, problems_end: str = "。"
) -> dict[int, tuple[str, list[str]]]:
    return {
        1: (
            "一、总体情况",
            [
                OVERVIEW.format(year=year, agency=agency),
                ACTIVE.format(n=1136),
                ON_REQUEST.format(n=applications),
                MANAGEMENT,
                PLATFORM,
                SUPERVISION,
            ],
        ),
        2: ("二、主动公开政府信息情况", []),
        3: ("三、收到和处理政府信息公开申请情况", []),
        4: ("四、政府信息公开行政复议、行政诉讼情况", []),
        5: ("五、存在的主要问题及改进情况", [PROBLEMS.format(year=year) + problems_end]),
        6: ("六、其他需要报告的事项", [FEES.format(year=year)] if fee else ["无。"]),
    }


def intro(year: int, office: str) -> str:
    return (
        f"本报告由{office}根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制。"
        f"报告中所列数据统计期限自 {year} 年 1 月 1 日"
        f"起至 {year} 年 12 月 31 日止。如对本报告有疑问，请与{office}联系（邮编：223100，电子邮箱：qinghe_gk@example.gov.cn）。"
    )


REPORTS: list[Report] = [
    # PDF layout traps (WPS): two-line title, headings indented like paragraphs, a date broken over
    # two lines, letter-spaced justified lines, page numbers, a final "。" alone on its line.
    Report(
        name="layout_traps",
        agency="清河区人民政府",
        year=2023,
        level="government",
        template="2021",
        title=["清河区人民政府", "2023 年政府信息公开工作年度报告"],
        intro=[intro(2023, "清河区人民政府办公室")],
        sections=sections(2023, "清河区人民政府", "39", problems_end="。"),
        table2=T2_2021,
        table3=t3(),
        period=("2023-01-01", "2023-12-31"),
        published="2024-03-12",
        findings=["DATE.SIGNATURE_MISSING"],
    ),
    # Unruled tables, narrow label columns, figures centred on their wrapped labels; one blank cell.
    Report(
        name="unruled_centred",
        agency="清河区教育局",
        year=2023,
        level="department",
        template="2021",
        title=["清河区教育局 2023 年政府信息公开工作年度报告"],
        intro=[intro(2023, "清河区教育局")],
        sections=sections(2023, "清河区教育局", "39"),
        table2=T2_2021,
        table3=t3({"carried_over": ["3", "0", "", "0", "0", "0", "3"]}),
        signature=("清河区教育局", "2024 年 1 月 22 日"),
        signed="2024-01-22",
        period=("2023-01-01", "2023-12-31"),
        findings=["STRUCT.BLANK_CELLS"],
    ),
    # Unruled tables, figures at the top of their labels; a genuine table-4 total error.
    Report(
        name="unruled_top",
        agency="清河区财政局",
        year=2024,
        level="department",
        template="2021",
        title=["清河区财政局 2024 年政府信息公开工作年度报告"],
        intro=[intro(2024, "清河区财政局")],
        sections=sections(2024, "清河区财政局", "39"),
        table2=T2_2021,
        table3=t3(),
        table4=["2", "1", "0", "0", "4", "1", "0", "0", "1", "2", "0", "0", "0", "0", "0"],
        signature=("清河区财政局", "2025 年 1 月 20 日"),
        signed="2025-01-20",
        period=("2024-01-01", "2024-12-31"),
        findings=["CALC.T4_TOTAL"],
    ),
    # Misprinted, abbreviated and renumbered row labels; （六）其他处理 printed as one row.
    Report(
        name="misprinted_labels",
        agency="清河区住房和城乡建设局",
        year=2023,
        level="department",
        template="2021",
        title=["清河区住房和城乡建设局 2023 年政府信息公开工作年度报告"],
        intro=[intro(2023, "清河区住房和城乡建设局")],
        sections=sections(2023, "清河区住房和城乡建设局", "39"),
        table2=[
            (
                *T2_2021[0][:2],
                [
                    ("20_1.regulations", "规章", ["0", "0", "0"]),
                    ("20_1.normative_documents", "行政规范文件", ["4", "1", "23"]),
                ],
            ),
            *T2_2021[1:],
        ],
        table3=t3(single_other=True),
        table3_labels={
            "denied.state_secret": "（1）属于国家秘密",
            "denied.prohibited": "2.其他法律行政止公开",
            "denied.three_safeties": "3.危及三安全一稳定",
            "denied.third_party": "4.第三方合法权益",
            "unavailable.not_held": "1.本机关不掌捂相关政府信息",
            "not_processed.mass_requests": "4.大量反复申请",
        },
        signature=("清河区住房和城乡建设局", "2024 年 1 月 26 日"),
        signed="2024-01-26",
        period=("2023-01-01", "2023-12-31"),
        published="2024-01-29",
        findings=["STRUCT.ROWS_MISSING"],
    ),
]

# Table 2 of the 2019 template, as portals export it from Word: the middle column is two grid
# columns wide (colspan=2 in the header and in every row), amounts typed with their unit.
T2_2019 = [
    (
        "第二十条第（一）项",
        ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
        [
            ("20_1.regulations", "规章", ["13", "13", "524"]),
            ("20_1.normative_documents", "规范性文件", ["2", "2", "41"]),
        ],
    ),
    (
        "第二十条第（五）项",
        ["上一年项目数量", "本年增/减", "处理决定数量"],
        [
            ("20_5.licensing", "行政许可", ["120", "增 3", "3021"]),
            ("20_5.other_services", "其他对外管理服务事项", ["8", "0", "77"]),
        ],
    ),
    (
        "第二十条第（六）项",
        ["上一年项目数量", "本年增/减", "处理决定数量"],
        [("20_6.penalty", "行政处罚", ["40", "减 18", "22"]), ("20_6.coercion", "行政强制", ["5", "0", "3"])],
    ),
    ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("20_8.fees", "行政事业性收费", ["6", "减 1"])]),
    (
        "第二十条第（九）项",
        ["采购项目数量", "采购总金额"],
        [("20_9.procurement", "政府集中采购", ["12", "251000元"])],
    ),
]

REPORTS += [
    # The 2019 template's table 2 with merged cells and units, as a 2020 report rightly uses it.
    Report(
        name="t2019_merged",
        agency="清河区司法局",
        year=2020,
        level="department",
        template="2019",
        title=["清河区司法局 2020 年政府信息公开工作年度报告"],
        intro=[intro(2020, "清河区司法局")],
        sections=sections(2020, "清河区司法局", "39"),
        table2=T2_2019,
        table3=t3(single_other=True),
        table4_total="合计",
        signature=("清河区司法局", "2021 年 1 月 18 日"),
        signed="2021-01-18",
        period=("2020-01-01", "2020-12-31"),
        published="2021-01-20",
        findings=[],
    ),
    # The same table with a header that does not share the rows' merged cells: which column 524
    # belongs to cannot be told, so those rows are uncertain; a blank cell elsewhere is sure.
    Report(
        name="t2019_ambiguous",
        agency="清河区民政局",
        year=2020,
        level="department",
        template="2019",
        title=["清河区民政局 2020 年政府信息公开工作年度报告"],
        intro=[intro(2020, "清河区民政局")],
        sections=sections(2020, "清河区民政局", "39"),
        table2=[
            T2_2019[0],
            T2_2019[1],
            (
                "第二十条第（六）项",
                ["上一年项目数量", "本年增/减", "处理决定数量"],
                [
                    ("20_6.penalty", "行政处罚", ["40", "减 18", "22"]),
                    ("20_6.coercion", "行政强制", ["5", "0", ""]),
                ],
            ),
            T2_2019[3],
            (
                "第二十条第（九）项",
                ["采购项目数量", "采购总金额"],
                [("20_9.procurement", "政府集中采购", ["3", "7730.28"])],
            ),
        ],
        table3=t3(single_other=True),
        table4_total="合计",
        signature=("清河区民政局", "2021 年 1 月 19 日"),
        signed="2021-01-19",
        period=("2020-01-01", "2020-12-31"),
        published="2021-01-21",
        findings=["STRUCT.BLANK_CELLS"],
        uncertain={
            "table2": [
                "20_1.regulations",
                "20_1.normative_documents",
                "20_5.licensing",
                "20_5.other_services",
                "20_6.penalty",
            ]
        },
    ),
    # An unruled table where one row's figures sit between the columns: that row is uncertain and
    # never judged; a blank cell in a row placed with confidence is still reported.
    Report(
        name="unruled_offcolumn",
        agency="清河区卫生健康委员会",
        year=2023,
        level="department",
        template="2021",
        title=["清河区卫生健康委员会 2023 年政府信息公开工作年度报告"],
        intro=[intro(2023, "清河区卫生健康委员会")],
        sections=sections(2023, "清河区卫生健康委员会", "39"),
        table2=T2_2021,
        table3=t3(
            {
                "denied.third_party": ["2", "0", "0", "0", "0", "", "2"],
                "unavailable.needs_creation": ["2", "0", "0", "", "0", "0", "2"],
            }
        ),
        signature=("清河区卫生健康委员会", "2024 年 1 月 23 日"),
        signed="2024-01-23",
        period=("2023-01-01", "2023-12-31"),
        findings=["STRUCT.BLANK_CELLS"],
        uncertain={"table3": ["denied.third_party"]},
    ),
]
# Rows whose figures the WPS rendering shifts off their columns (report name -> row key, points).
OFF_COLUMN = {"unruled_offcolumn": ("denied.third_party", 22.0)}
