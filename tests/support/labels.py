"""Labelled documents and how a reading is compared with its label (tests and bench/accuracy.py).

A label says what was printed: the report's fields (year, agency, level, template, signature,
period, section headings), its tables cell by cell with the rows that are missing or that a reader
must call uncertain, and the findings a correct check gives. Labels live beside the documents:
tests/fixtures/golden/<seed>.json for the seeds (every rendering), <document>.json in
tests/fixtures/variants/ and real/, <document>.<kind>.json in tests/fixtures/shapes/.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.paths import FIXTURES


@dataclass
class Case:
    """One labelled document: its bytes, the name it is read under, its label, its batch."""

    group: str  # seeds | variants | real | shapes
    name: str
    data: bytes
    label: dict[str, Any]
    batch: str  # documents checked together (the seeds of one rendering, as a supervisor would)


@dataclass
class Tally:
    fields: int = 0
    right: int = 0
    expected: int = 0  # findings
    produced: int = 0
    matched: int = 0
    documents: int = 0

    def add(self, other: Tally) -> None:
        for name in ("fields", "right", "expected", "produced", "matched", "documents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def accuracy(self) -> float:
        return self.right / self.fields if self.fields else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.produced if self.produced else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0


@dataclass
class Outcome:
    case: Case
    format: str
    tally: Tally = field(default_factory=Tally)
    mismatches: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the labelled documents


def cases(groups: tuple[str, ...] = ("seeds", "variants", "real", "shapes")) -> Iterator[Case]:
    """Every labelled document; seeds in every rendering (checked together per rendering)."""
    from tests.support.renderers import SEEDS, render

    for key, stem in SEEDS.items() if "seeds" in groups else ():
        label = json.loads((FIXTURES / "golden" / f"{stem}.json").read_text(encoding="utf-8"))
        text = (FIXTURES / "seeds" / f"{stem}.txt").read_text(encoding="utf-8")
        for fmt in ("text", "html", "docx"):
            data, suffix = render(text, fmt)
            yield Case("seeds", f"seed {key} ({fmt}){suffix}", data, label, f"seeds-{fmt}")
        for suffix in ("html", "docx", "pdf"):
            path = FIXTURES / "renderings" / f"{stem}.{suffix}"
            yield Case("seeds", f"renderings/{path.name}", path.read_bytes(), label, f"seeds-portal-{suffix}")
    for group in (g for g in ("variants", "real", "shapes") if g in groups):
        for path in sorted((FIXTURES / group).glob("*.json")):
            label = json.loads(path.read_text(encoding="utf-8"))
            doc = path.parent / label["document"]
            yield Case(group, f"{group}/{doc.name}", doc.read_bytes(), label, f"{group}/{doc.name}")


# ---------------------------------------------------------------- comparing


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text.translate({i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}))


def _expected_value(raw: str) -> float | int | None:
    """The number a cell holds, read independently of the reader: figures, thousands, units."""
    t = re.sub(r"(万元|元|件|个|项)$", "", _compact(raw)).replace(",", "")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", t):
        return None
    return float(t) if "." in t else int(t)


def _expected_cell(cell: Any) -> tuple[str, float | int | None]:
    if isinstance(cell, dict):  # golden files: {"raw", "value"}
        return _compact(cell["raw"]), cell["value"]
    return _compact(str(cell)), _expected_value(str(cell))


def compare(outcome: Outcome, report: Any, findings: list[str]) -> None:
    label, tally = outcome.case.label, outcome.tally
    fields = label.get("fields", label)  # golden files keep their fields at the top level

    def check(what: str, expected: Any, got: Any) -> None:
        tally.fields += 1
        if expected == got:
            tally.right += 1
        else:
            outcome.mismatches.append(f"{what}: expected {expected!r}, got {got!r}")

    got_fields = {
        "year": report.year,
        "agency": report.agency,
        "level": report.level,
        "template": report.template,
        "signed": report.signed.date.isoformat() if report.signed else None,
        "period": [report.period.start.isoformat(), report.period.end.isoformat()] if report.period else None,
    }
    for name, got in got_fields.items():
        if name in fields:
            expected = fields[name]
            check(name, list(expected) if isinstance(expected, tuple) else expected, got)
    if "sections" in fields:
        for n in range(1, 7):
            expected = fields["sections"].get(str(n))
            section = report.sections.get(n)
            check(
                f"section {n}",
                _compact(expected) if expected else None,
                _compact(section.heading) if section else None,
            )
    for key, table in label.get("tables", {}).items():
        got_table = report.tables[key]
        uncertain = set(table.get("uncertain", []))
        check(f"{key} uncertain rows", sorted(uncertain), sorted(got_table.uncertain))
        check(f"{key} missing rows", sorted(table["missing_rows"]), sorted(got_table.missing_rows))
        for row, cols in table["rows"].items():
            if row in uncertain:
                continue
            for col, cell in cols.items():
                got_cell = got_table.cell(row, col)
                got = (_compact(got_cell.raw), got_cell.value) if got_cell else None
                check(f"{key}.{row}.{col}", _expected_cell(cell), got)
        for row in sorted(set(got_table.rows) - set(table["rows"]) - uncertain):
            if any(c.raw for c in got_table.rows[row].values()):
                check(f"{key}.{row}", "(no such row)", "read")

    ignore = set(label.get("ignore", []))
    expected_codes = Counter(c for c in label["findings"] if c not in ignore)
    got_codes = Counter(c for c in findings if c not in ignore)
    tally.expected += sum(expected_codes.values())
    tally.produced += sum(got_codes.values())
    tally.matched += sum((expected_codes & got_codes).values())
    for code, n in (got_codes - expected_codes).items():
        outcome.mismatches.append(f"finding not expected: {code}" + (f" ×{n}" if n > 1 else ""))
    for code, n in (expected_codes - got_codes).items():
        outcome.mismatches.append(f"finding missed: {code}" + (f" ×{n}" if n > 1 else ""))
    tally.documents = 1


def check_cases(selected: list[Case]) -> list[Outcome]:
    """Read and check the documents (each batch together) and compare each with its label."""
    from monitor.check import check_reports, read_report
    from monitor.model import CheckOptions

    batches: dict[str, list[Case]] = {}
    for case in selected:
        batches.setdefault(case.batch, []).append(case)
    outcomes: list[Outcome] = []
    for batch in batches.values():
        options = CheckOptions(**batch[0].label.get("options", {}))
        reports = [read_report(c.data, c.name, options) for c in batch]
        for case, report, findings in zip(batch, reports, check_reports(reports, options), strict=True):
            outcome = Outcome(case, report.format if report.format != "doc" else "docx")
            compare(outcome, report, [f.code for f in findings])
            outcomes.append(outcome)
    return outcomes
