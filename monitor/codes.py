"""The code catalogue: every finding code with its severity, Chinese title and scope, in one table.

Codes are a public interface (docs/rules.md; a test fails when this table and
that file disagree). Everything else — the rule registry, the archive's
finding scopes, the terminal, the digest — reads a code's facts from here.

A code's *scope* says what a finding is about, and so which run may resolve
it (storage applies this; tests/test_storage_runs.py shows each case):

| scope       | about                               | resolved by a run that…                             |
|-------------|-------------------------------------|-----------------------------------------------------|
| report      | one report's content                | checked a readable version of that report           |
| publication | when/how one report was published   | checked it with its publication date established   |
| site        | the site's reports as a whole       | crawled the site with status ``ok``                 |
| crawl       | whether the site could be crawled   | crawled the site, whatever it found, except error   |

The same module holds the other small vocabularies supervisors read: the
severities, the agency levels and the statuses of a crawl run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Severity = Literal["error", "warning", "info"]
Scope = Literal["report", "publication", "site", "crawl"]
Level = Literal["department", "government", "township"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
LEVEL_NAMES: dict[str, str] = {"department": "部门", "government": "政府", "township": "乡镇（街道）"}
LEVELS: tuple[Level, ...] = ("department", "government", "township")


@dataclass(frozen=True)
class Code:
    """One finding code: what it is called and how grave it is, and what its findings are about."""

    code: str
    severity: Severity
    title: str  # a short Chinese title for the supervisor
    scope: Scope

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]


def _table(*rows: tuple[str, Severity, str, Scope]) -> dict[str, Code]:
    return {code: Code(code, severity, title, scope) for code, severity, title, scope in rows}


CODES: dict[str, Code] = _table(
    # Publication (needs the crawl).
    ("PUB.MISSING", "error", "未发布年报", "site"),
    ("PUB.LATE", "error", "逾期发布", "publication"),
    ("PUB.DATE_UNKNOWN", "warning", "发布日期不明", "publication"),
    ("PUB.NOT_MACHINE_READABLE", "warning", "仅以图片发布", "report"),
    ("PUB.CHANGED", "info", "发布后被修改", "site"),
    # Crawl health.
    ("CRAWL.UNREACHABLE", "error", "网站无法访问", "crawl"),
    ("CRAWL.BLOCKED", "error", "网站拒绝访问", "crawl"),
    ("CRAWL.NO_REPORT_COLUMN", "warning", "未找到年报栏目", "crawl"),
    ("CRAWL.DOCUMENT_FAILED", "warning", "报告文件无法读取", "site"),
    # Dates inside the report.
    ("DATE.SIGNATURE_MISSING", "warning", "缺少落款日期", "report"),
    ("DATE.SIGNATURE_YEAR", "error", "落款年份错误", "report"),
    ("DATE.SIGNED_AFTER_PUBLICATION", "warning", "落款晚于发布", "report"),
    ("DATE.PERIOD_MISMATCH", "error", "统计期限错误", "report"),
    ("YEAR.INCONSISTENT", "error", "年份前后不一", "report"),
    # Structure and completeness.
    ("STRUCT.SECTION_MISSING", "error", "缺少章节", "report"),
    ("STRUCT.TABLE_MISSING", "error", "缺少表格", "report"),
    ("STRUCT.ROWS_MISSING", "error", "表格缺行", "report"),
    ("STRUCT.BLANK_CELLS", "warning", "表格留空", "report"),
    ("STRUCT.OLD_TEMPLATE", "error", "使用旧版模板", "report"),
    ("STRUCT.AGENCY_MISSING", "warning", "标题未写明机关全称", "report"),
    ("STRUCT.FEE_STATEMENT_MISSING", "warning", "未说明信息处理费", "report"),
    ("STRUCT.SECTION_EMPTY", "warning", "章节无实质内容", "report"),
    # Arithmetic.
    ("CALC.T3_BALANCE", "error", "表三收支不平衡", "report"),
    ("CALC.T3_RESULT_TOTAL", "error", "表三办理结果总计不符", "report"),
    ("CALC.T3_ROW_TOTAL", "error", "表三行总计不符", "report"),
    ("CALC.T4_TOTAL", "error", "表四总计不符", "report"),
    ("CALC.INVALID_NUMBER", "error", "数字无效", "report"),
    # Cross-checks.
    ("XREF.TEXT_TABLE", "warning", "文字与表格矛盾", "report"),
    ("XREF.CARRYOVER", "error", "上年结转数不符", "report"),
    ("XREF.COPIED", "warning", "照搬照抄", "report"),
)

# Codes a crawl decides for a site rather than a rule for a report.
PUB_MISSING = "PUB.MISSING"
PUB_CHANGED = "PUB.CHANGED"
DOCUMENT_FAILED = "CRAWL.DOCUMENT_FAILED"


def code_of(code: str) -> Code:
    """The catalogue entry of ``code``; KeyError names an unknown code."""
    try:
        return CODES[code]
    except KeyError:
        raise KeyError(f"unknown finding code {code!r}") from None


def code_title(code: str) -> str:
    """A short Chinese title for a code (the code itself when unknown, e.g. from an older archive)."""
    entry = CODES.get(code)
    return entry.title if entry else code


class RunStatus(StrEnum):
    """How a run over one site ended; the archive's ``runs.status``."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    BLOCKED = "blocked"
    NO_REPORT_COLUMN = "no_report_column"
    ERROR = "error"

    @property
    def label(self) -> str:
        """The status in a word or two (the crawl's summary lines)."""
        return _RUN_LABELS[self]

    @property
    def reason(self) -> str:
        """Why a site with this status could not be checked (the digest's 未能检查 list)."""
        return _RUN_REASONS[self]

    @property
    def code(self) -> str | None:
        """The crawl-health code a listing with this status carries."""
        return _RUN_CODES.get(self)


_RUN_LABELS = {
    RunStatus.OK: "正常",
    RunStatus.UNREACHABLE: "无法访问",
    RunStatus.BLOCKED: "被拦截",
    RunStatus.NO_REPORT_COLUMN: "未找到年报栏目",
    RunStatus.ERROR: "抓取出错",
}
_RUN_REASONS = {
    RunStatus.OK: "正常",
    RunStatus.UNREACHABLE: "网站无法访问",
    RunStatus.BLOCKED: "网站拒绝访问（反爬虫验证或访问限制）",
    RunStatus.NO_REPORT_COLUMN: "起始页上找不到年报栏目",
    RunStatus.ERROR: "抓取程序出错",
}
# The order matters: a blocked listing is reported as blocked even if some page was also unreachable.
_RUN_CODES = {
    RunStatus.BLOCKED: "CRAWL.BLOCKED",
    RunStatus.UNREACHABLE: "CRAWL.UNREACHABLE",
    RunStatus.NO_REPORT_COLUMN: "CRAWL.NO_REPORT_COLUMN",
}
