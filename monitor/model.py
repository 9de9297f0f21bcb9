"""The report model: what one annual report says, and what is known of its publication, as typed data.

Everything the readers extract lands here; the rules read only this model,
and storage keeps it as JSON (``to_json()`` / ``from_json()``). The options a
report is read and checked with (``CheckOptions``) and the facts of its
publication (``DateSeen``, ``Publication``) live here too, so every layer
passes the same objects.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta, timezone
from typing import Any, Literal

from monitor.codes import Level, Severity

# China Standard Time, in which reports are dated and the archive keeps time; no daylight saving time,
# so a fixed offset avoids needing tzdata.
CST = timezone(timedelta(hours=8), "CST")

# Bumped whenever extraction changes what it reads, so stored reports can be re-parsed (`nianbao reparse`).
PARSER_VERSION = "1"

# Cell kinds: a number, nothing at all, a placeholder standing where a number
# is due ("/", "-", "无", "——"), or other text (e.g. "增 1" in the 2019 template).
CellKind = Literal["number", "blank", "placeholder", "text"]
PLACEHOLDERS = frozenset({"/", "-", "—", "——", "－", "无", "／", "--", "---", "空", "—-", "\\", "×", "x"})
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_DASHES = re.compile(r"^[-－—–‐‑―_]+$")  # a run of dashes of any kind stands for nothing
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
# No count or amount in a report has more integer digits; a float holds 15 exactly. A cell with more
# ("9" * 400) is a number no rule can add up: it holds no value, and CALC.INVALID_NUMBER says so.
MAX_NUMBER_DIGITS = 15


def _compact_number(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "").translate(_FULLWIDTH)  # １，２０５ → 1,205


def _integer_digits(number: str) -> int:
    return len(number.lstrip("+-").split(".")[0].lstrip("0"))


def is_placeholder(text: str) -> bool:
    """Blank-equivalent marks where a number is due: "/", "-", "——", "无" ..."""
    t = text.replace(" ", "").replace("\u3000", "").translate(_FULLWIDTH)
    return t in PLACEHOLDERS or bool(_DASHES.match(t))


@dataclass(frozen=True)
class Cell:
    """One table cell: the text as printed and the number it holds, if any."""

    raw: str
    value: float | int | None = None

    @classmethod
    def parse(cls, raw: str) -> Cell:
        text = raw.strip()
        compact = _compact_number(text)
        if _NUMBER.match(compact):
            cleaned = compact.replace(",", "")
            if _integer_digits(cleaned) > MAX_NUMBER_DIGITS:
                return cls(text, None)
            value: float | int = float(cleaned) if "." in cleaned else int(cleaned)
            return cls(text, value)
        return cls(text, None)

    @property
    def oversized(self) -> bool:
        """Written as a number, but with more digits than any count or amount (it holds no value)."""
        compact = _compact_number(self.raw)
        return bool(_NUMBER.match(compact)) and _integer_digits(compact.replace(",", "")) > MAX_NUMBER_DIGITS

    @property
    def kind(self) -> CellKind:
        if self.value is not None:
            return "number"
        if not self.raw:
            return "blank"
        if is_placeholder(self.raw):
            return "placeholder"
        return "text"

    def to_json(self) -> dict[str, Any]:
        return {"raw": self.raw, "value": self.value}


@dataclass
class Table:
    """A standard table aligned to the template: rows[row_key][col_key] -> Cell.

    ``found`` is False when the table could not be located at all; rows the
    template requires but the report lacks are listed in ``missing_rows``.
    ``lines`` gives, per row key, the source line number it was read from; ``labels`` the row's
    label as the report prints it (misprints and all). ``uncertain`` names the rows whose cells the
    reader could not place with confidence (row key -> why, in Chinese): rules do not judge them.
    """

    key: str
    found: bool = False
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    missing_rows: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    uncertain: dict[str, str] = field(default_factory=dict)

    def cell(self, row: str, col: str) -> Cell | None:
        return self.rows.get(row, {}).get(col)

    def value(self, row: str, col: str) -> float | int | None:
        c = self.cell(row, col)
        return c.value if c else None

    def has_numbers(self) -> bool:
        return any(c.value is not None for cols in self.rows.values() for c in cols.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "rows": {r: {c: cell.to_json() for c, cell in cols.items()} for r, cols in self.rows.items()},
            "missing_rows": list(self.missing_rows),
            "lines": dict(self.lines),
            "labels": dict(self.labels),
            "uncertain": dict(self.uncertain),
        }

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> Table:
        rows = {
            r: {c: Cell(v["raw"], v["value"]) for c, v in cols.items()} for r, cols in data["rows"].items()
        }
        return cls(
            key,
            data["found"],
            rows,
            list(data["missing_rows"]),
            dict(data.get("lines", {})),
            dict(data.get("labels", {})),
            dict(data.get("uncertain", {})),
        )


@dataclass
class Section:
    """One of the six sections: its heading as printed, its text, where it starts."""

    number: int
    heading: str
    text: str
    line: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DatedText:
    """A date found in the report together with the text it was read from."""

    date: date
    quote: str
    line: int = 0
    precision: Literal["day", "month"] = "day"

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "quote": self.quote,
            "line": self.line,
            "precision": self.precision,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DatedText | None:
        if not data:
            return None
        return cls(
            date.fromisoformat(data["date"]), data["quote"], data.get("line", 0), data.get("precision", "day")
        )


@dataclass
class Period:
    """The stated statistics period (统计期限)."""

    start: date
    end: date
    quote: str
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "quote": self.quote,
            "line": self.line,
        }


@dataclass
class Report:
    """One annual report as read from one document."""

    path: str
    format: str  # text | html | docx | pdf | doc
    title: str | None = None
    letterhead: str | None = None
    agency: str | None = None
    agency_source: str | None = None  # heading | letterhead | signature | body | option
    heading_agency: str | None = None  # the agency as named in the heading (title + letterhead)
    year: int | None = None
    year_source: str | None = None  # title | body | option
    level: Level = "department"
    level_source: str = "default"  # name | option | default
    template: str | None = None  # "2019" | "2021"
    template_evidence: str | None = None
    sections: dict[int, Section] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    signature_agency: str | None = None
    signed: DatedText | None = None
    period: Period | None = None
    fee_statement: str | None = None
    published: date | None = None
    published_source: str | None = None
    image_only: bool = False
    body_text: str = ""
    lines: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    def section_text(self, number: int) -> str:
        s = self.sections.get(number)
        return s.text if s else ""

    def narrative(self) -> str:
        """The prose of the report: every section except the tables' rows."""
        return "\n".join(s.text for _, s in sorted(self.sections.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "title": self.title,
            "letterhead": self.letterhead,
            "agency": self.agency,
            "agency_source": self.agency_source,
            "heading_agency": self.heading_agency,
            "year": self.year,
            "year_source": self.year_source,
            "level": self.level,
            "level_source": self.level_source,
            "template": self.template,
            "template_evidence": self.template_evidence,
            "published": self.published.isoformat() if self.published else None,
            "published_source": self.published_source,
            "signed": self.signed.to_json() if self.signed else None,
            "signature_agency": self.signature_agency,
            "period": self.period.to_json() if self.period else None,
            "fee_statement": self.fee_statement,
            "image_only": self.image_only,
            "sections": {str(n): s.to_json() for n, s in sorted(self.sections.items())},
            "tables": {k: t.to_json() for k, t in sorted(self.tables.items())},
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        period = data.get("period")
        return cls(
            path=data["path"],
            format=data["format"],
            title=data.get("title"),
            letterhead=data.get("letterhead"),
            agency=data.get("agency"),
            agency_source=data.get("agency_source"),
            heading_agency=data.get("heading_agency"),
            year=data.get("year"),
            year_source=data.get("year_source"),
            level=data.get("level", "department"),
            level_source=data.get("level_source", "default"),
            template=data.get("template"),
            template_evidence=data.get("template_evidence"),
            published=date.fromisoformat(data["published"]) if data.get("published") else None,
            published_source=data.get("published_source"),
            signed=DatedText.from_json(data.get("signed")),
            signature_agency=data.get("signature_agency"),
            period=(
                Period(
                    date.fromisoformat(period["start"]),
                    date.fromisoformat(period["end"]),
                    period["quote"],
                    period.get("line", 0),
                )
                if period
                else None
            ),
            fee_statement=data.get("fee_statement"),
            image_only=data.get("image_only", False),
            sections={int(n): Section(**s) for n, s in data.get("sections", {}).items()},
            tables={k: Table.from_json(k, t) for k, t in data.get("tables", {}).items()},
            meta=dict(data.get("meta", {})),
        )


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one report, with the evidence to verify it."""

    code: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # What the finding is about, beyond code+site+year (e.g. the table cell); part of its fingerprint.
    subject: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class DateSeen:
    """One date seen for a published report, where it was seen and the text it was read from.

    ``source`` is one of ``monitor.readers.page.SOURCE_RANK`` (the page's 发布时间 label, its PubDate meta,
    a weaker header label, Hanweb's Maketime, the list page, the URL) or "option" (--published).
    """

    source: str
    date: date
    quote: str = ""
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "date": self.date.isoformat(), "quote": self.quote, "url": self.url}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DateSeen:
        # Older archives stored "value" where this says "date".
        value = data.get("date", data.get("value"))
        return cls(
            str(data["source"]),
            date.fromisoformat(str(value)[:10]),
            data.get("quote") or "",
            data.get("url") or "",
        )


# The source of a publication date the user gave (``--published``): it stands, whatever the page says.
GIVEN = "--published"


@dataclass(frozen=True)
class Publication:
    """Where and when a report was published, as far as it is known.

    ``date`` is None when no usable date was found; ``source`` then says where
    one was looked for. None as a whole (no Publication) means the report was
    not taken from a publication at all (a local file checked without
    --published): the PUB.* date rules then stay silent.
    """

    date: date | None = None
    source: str | None = None  # e.g. "meta:PubDate", "text:发布时间", "list", "option"
    url: str | None = None
    quote: str | None = None

    @property
    def given(self) -> bool:
        return self.source == GIVEN

    @classmethod
    def of(cls, seen: DateSeen | None, url: str | None, looked_at: str) -> Publication:
        """The publication a chosen date gives (or an unknown one, saying where it was looked for)."""
        if seen is None:
            return cls(None, looked_at, url)
        return cls(seen.date, seen.source, url, seen.quote)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
            "url": self.url,
            "quote": self.quote,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Publication | None:
        if not data:
            return None
        when = date.fromisoformat(data["date"]) if data.get("date") else None
        return cls(when, data.get("source"), data.get("url"), data.get("quote"))


@dataclass(frozen=True)
class CheckOptions:
    """What a user (or the sites registry) says about the reports being read and checked."""

    year: int | None = None
    level: Level | None = None
    published: date | None = None
    agency: str | None = None
    deadline: str | None = None  # "MM-DD", overrides the level's statutory deadline
    today: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "level": self.level,
            "published": self.published.isoformat() if self.published else None,
            "agency": self.agency,
            "deadline": self.deadline,
            "today": self.today.isoformat() if self.today else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckOptions:
        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            year=data.get("year"),
            level=data.get("level"),
            published=day("published"),
            agency=data.get("agency"),
            deadline=data.get("deadline"),
            today=day("today"),
        )
