"""The annual-report template (format.md) as data: sections, tables, rows, columns.

Row and column keys are stable identifiers used in the JSON output and in
evidence; labels are the template's Chinese wording. ``match`` phrases are
what the extractor looks for in a row's label cells (after normalisation:
spaces removed, full-width brackets and dots made half-width).
"""

from __future__ import annotations

from dataclasses import dataclass

SECTION_TITLES: dict[int, str] = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}
CHINESE_NUMERALS = "一二三四五六"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count (whole number) | amount (decimal) | text (e.g. 增 1)
    # Phrases that identify the column in a header cell (any one); with ``exact`` the cell must
    # equal one ("其他" is also part of 法人或其他组织).
    match: tuple[str, ...] = ()
    exact: bool = False

    def names(self, header: str) -> bool:
        """Whether a header cell (normalised: no spaces, half-width) names this column."""
        phrases = self.match or (self.label,)
        return header in phrases if self.exact else any(p in header for p in phrases)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    match: tuple[str, ...]  # any of these phrases in the label identifies the row
    exact: bool = False  # the label must equal a phrase (规章 is also part of other words)


@dataclass(frozen=True)
class Block:
    """A block of table 2 (第二十条第（X）项) with its rows and columns."""

    key: str
    label: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]


_DECISIONS_2021 = (Column("decisions", "本年处理决定数量", match=("处理决定",)),)
_ITEMS_2019 = (
    Column("previous_items", "上一年项目数量", match=("上一年", "上年项目")),
    Column("change", "本年增/减", "text", match=("增/减", "增减", "增(减)")),
    Column("decisions", "处理决定数量", match=("处理决定",)),
)

TABLE2_2021: tuple[Block, ...] = (
    Block(
        "20_1",
        "第二十条第（一）项",
        (
            Row("regulations", "规章", ("规章",), exact=True),
            Row("normative_documents", "行政规范性文件", ("规范性文件",)),
        ),
        (
            Column("issued", "本年制发件数", match=("制发",)),
            Column("repealed", "本年废止件数", match=("废止",)),
            Column("in_force", "现行有效件数", match=("现行有效",)),
        ),
    ),
    Block("20_5", "第二十条第（五）项", (Row("licensing", "行政许可", ("行政许可",)),), _DECISIONS_2021),
    Block(
        "20_6",
        "第二十条第（六）项",
        (Row("penalty", "行政处罚", ("行政处罚",)), Row("coercion", "行政强制", ("行政强制",))),
        _DECISIONS_2021,
    ),
    Block(
        "20_8",
        "第二十条第（八）项",
        (Row("fees", "行政事业性收费", ("行政事业性收费",)),),
        (Column("amount", "本年收费金额（单位：万元）", "amount", match=("收费金额",)),),
    ),
)

TABLE2_2019: tuple[Block, ...] = (
    Block(
        "20_1",
        "第二十条第（一）项",
        (
            Row("regulations", "规章", ("规章",), exact=True),
            Row("normative_documents", "规范性文件", ("规范性文件",)),
        ),
        (
            Column("produced", "本年新制作数量", match=("新制作",)),
            Column("published", "本年新公开数量", match=("新公开",)),
            Column("total_public", "对外公开总数量", match=("公开总数",)),
        ),
    ),
    Block(
        "20_5",
        "第二十条第（五）项",
        (
            Row("licensing", "行政许可", ("行政许可",)),
            Row("other_services", "其他对外管理服务事项", ("其他对外管理服务事项", "对外管理服务")),
        ),
        _ITEMS_2019,
    ),
    Block(
        "20_6",
        "第二十条第（六）项",
        (Row("penalty", "行政处罚", ("行政处罚",)), Row("coercion", "行政强制", ("行政强制",))),
        _ITEMS_2019,
    ),
    Block(
        "20_8",
        "第二十条第（八）项",
        (Row("fees", "行政事业性收费", ("行政事业性收费",)),),
        _ITEMS_2019[:2],
    ),
    Block(
        "20_9",
        "第二十条第（九）项",
        (Row("procurement", "政府集中采购", ("政府集中采购", "集中采购")),),
        (
            Column("items", "采购项目数量", match=("项目数量", "采购项目")),
            Column("amount", "采购总金额", "amount", match=("总金额", "采购金额")),
        ),
    ),
)

# Phrases that only the 2019 template's table 2 carries (format.md).
TEMPLATE_2019_MARKERS = ("本年新制作数量", "上一年项目数量", "第二十条第(九)项", "本年新公开数量")
TEMPLATE_2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量")


def table2_blocks(template: str) -> tuple[Block, ...]:
    return TABLE2_2019 if template == "2019" else TABLE2_2021


def table2_row_key(block: Block, row: Row) -> str:
    return f"{block.key}.{row.key}"


# --- Table 3 -----------------------------------------------------------------

TABLE3_COLUMNS: tuple[Column, ...] = (
    Column("natural_person", "自然人"),
    Column("business", "商业企业"),
    Column("research", "科研机构"),
    Column("public_interest", "社会公益组织", match=("公益组织",)),
    Column("legal_service", "法律服务机构", match=("法律服务",)),
    Column("other_org", "其他", match=("其他", "其它"), exact=True),
    Column("total", "总计", match=("总计", "合计"), exact=True),
)
TABLE3_APPLICANT_COLUMNS = tuple(c.key for c in TABLE3_COLUMNS[:-1])

# Rows in template order. Sub-rows of a result group carry the group in their key.
TABLE3_ROWS: tuple[Row, ...] = (
    Row("new", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Row("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Row("granted", "（一）予以公开", ("予以公开",)),
    Row("partly_granted", "（二）部分公开", ("部分公开",)),
    Row("denied.state_secret", "1.属于国家秘密", ("国家秘密",)),
    Row("denied.prohibited", "2.其他法律行政法规禁止公开", ("禁止公开",)),
    Row("denied.three_safeties", "3.危及“三安全一稳定”", ("三安全一稳定", "三安全")),
    Row("denied.third_party", "4.保护第三方合法权益", ("第三方合法权益", "第三方")),
    Row("denied.internal_affairs", "5.属于三类内部事务信息", ("内部事务",)),
    Row("denied.process_info", "6.属于四类过程性信息", ("过程性信息",)),
    Row("denied.enforcement_files", "7.属于行政执法案卷", ("执法案卷",)),
    Row("denied.query_matters", "8.属于行政查询事项", ("行政查询",)),
    Row("unavailable.not_held", "1.本机关不掌握相关政府信息", ("不掌握",)),
    Row("unavailable.needs_creation", "2.没有现成信息需要另行制作", ("另行制作",)),
    Row("unavailable.unclear", "3.补正后申请内容仍不明确", ("仍不明确",)),
    Row("not_processed.petition", "1.信访举报投诉类申请", ("信访", "举报投诉")),
    Row("not_processed.repeated", "2.重复申请", ("重复申请",)),
    Row("not_processed.publications", "3.要求提供公开出版物", ("公开出版物",)),
    Row("not_processed.mass_requests", "4.无正当理由大量反复申请", ("大量反复",)),
    Row("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息", ("重新出具", "确认或")),
    Row(
        "other.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正",),
    ),
    Row(
        "other.fee_unpaid",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("缴纳费用", "收费通知"),
    ),
    Row("other.other", "3.其他", ()),  # matched by position: "其他" inside group （六）
    Row("other", "（六）其他处理", ("其他处理", "其它处理")),  # the 2019 template's single row
    Row("results_total", "（七）总计", ()),  # matched as "总计" inside the results block
    Row("carried_forward", "四、结转下年度继续办理", ("结转下年",)),
)
TABLE3_ROW_INDEX = {r.key: r for r in TABLE3_ROWS}

# The result rows summed into （七）总计, per template.
_RESULTS_COMMON = tuple(
    r.key for r in TABLE3_ROWS if r.key.startswith(("denied.", "unavailable.", "not_processed."))
)
TABLE3_RESULT_ROWS_2021 = (
    "granted",
    "partly_granted",
    *_RESULTS_COMMON,
    "other.no_correction",
    "other.fee_unpaid",
    "other.other",
)
TABLE3_RESULT_ROWS_2019 = ("granted", "partly_granted", *_RESULTS_COMMON, "other")


def table3_required_rows(template: str) -> tuple[str, ...]:
    results = TABLE3_RESULT_ROWS_2019 if template == "2019" else TABLE3_RESULT_ROWS_2021
    return ("new", "carried_over", *results, "results_total", "carried_forward")


# Group labels of table 3: they set the context for "3.其他" and appear in label cells.
TABLE3_GROUPS = {
    "results": ("本年度办理结果", "办理结果"),
    "denied": ("不予公开",),
    "unavailable": ("无法提供",),
    "not_processed": ("不予处理",),
    "other": ("其他处理", "其它处理"),
}

# --- Table 4 -----------------------------------------------------------------

TABLE4_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "行政诉讼·未经复议直接起诉"),
    ("litigation_after_review", "行政诉讼·复议后起诉"),
)
TABLE4_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
TABLE4_COLUMNS: tuple[Column, ...] = tuple(
    Column(f"{g}.{o}", f"{glabel}·{olabel}") for g, glabel in TABLE4_GROUPS for o, olabel in TABLE4_OUTCOMES
)
TABLE4_ROW = "cases"


def column_label(table: str, col: str, template: str = "2021") -> str:
    """The Chinese label of a column key, for messages and evidence."""
    if table == "table3":
        return next((c.label for c in TABLE3_COLUMNS if c.key == col), col)
    if table == "table4":
        return next((c.label for c in TABLE4_COLUMNS if c.key == col), col)
    for block in table2_blocks(template):
        for c in block.columns:
            if c.key == col:
                return c.label
    return col


def row_label(table: str, row: str, template: str = "2021") -> str:
    """The Chinese label of a row key, for messages and evidence."""
    if table == "table3":
        r = TABLE3_ROW_INDEX.get(row)
        return r.label if r else row
    if table == "table4":
        return "行政复议、行政诉讼情况"
    for block in table2_blocks(template):
        for r in block.rows:
            if table2_row_key(block, r) == row:
                return f"{block.label}·{r.label}"
    return row


TABLE_TITLES = {
    "table2": "表二（主动公开政府信息情况）",
    "table3": "表三（收到和处理政府信息公开申请情况）",
    "table4": "表四（政府信息公开行政复议、行政诉讼情况）",
}
