"""Accuracy of reading and checking, over every labelled document the project holds.

Runs ``check`` over
  * the five seeds in every rendering (text, HTML and DOCX made by tests/renderers.py, the committed
    portal HTML/DOCX/PDF renderings), labelled by tests/fixtures/golden/*.json;
  * the review variants (tests/fixtures/variants/*.txt, labels beside them);
  * the real reports (tests/fixtures/real/, labels beside them);
  * the real-shape fixtures (tests/fixtures/shapes/, labels beside them),
and prints field accuracy (year, agency, level, template, signature, period, the six sections,
every table cell, missing and uncertain rows), finding precision and recall per format and overall,
and every mismatch.

    .venv/bin/python bench/accuracy.py            # figures and every mismatch
    .venv/bin/python bench/accuracy.py --quiet    # figures only
    .venv/bin/python bench/accuracy.py --check    # exit 1 when a target is missed

Targets: finding precision and recall >= 0.98 overall and per format; every field right on the
real reports and the seeds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

FIXTURES = ROOT / "tests" / "fixtures"
FORMATS = ("text", "html", "docx", "pdf")
TARGET = 0.98


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


def cases() -> Iterator[Case]:
    from renderers import SEEDS, render

    for key, stem in SEEDS.items():
        label = json.loads((FIXTURES / "golden" / f"{stem}.json").read_text(encoding="utf-8"))
        text = (FIXTURES / "seeds" / f"{stem}.txt").read_text(encoding="utf-8")
        for fmt in ("text", "html", "docx"):
            data, suffix = render(text, fmt)
            yield Case("seeds", f"seed {key} ({fmt}){suffix}", data, label, f"seeds-{fmt}")
        for suffix in ("html", "docx", "pdf"):
            path = FIXTURES / "renderings" / f"{stem}.{suffix}"
            yield Case("seeds", f"renderings/{path.name}", path.read_bytes(), label, f"seeds-portal-{suffix}")
    for group in ("variants", "real", "shapes"):
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
            check(f"section {n}", _compact(expected) if expected else None, _compact(section.heading) if section else None)
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


def run() -> list[Outcome]:
    from monitor.check import CheckOptions, check_reports, read_report

    batches: dict[str, list[Case]] = {}
    for case in cases():
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


# ---------------------------------------------------------------- printing


def summary(outcomes: list[Outcome]) -> tuple[list[str], bool]:
    lines = []
    ok = True
    by_format: dict[str, Tally] = {f: Tally() for f in FORMATS}
    by_group: dict[str, Tally] = {}
    overall = Tally()
    for o in outcomes:
        by_format.setdefault(o.format, Tally()).add(o.tally)
        by_group.setdefault(o.case.group, Tally()).add(o.tally)
        overall.add(o.tally)
    lines.append(f"{'':10}{'documents':>10}{'fields':>9}{'accuracy':>10}{'findings':>10}{'precision':>11}{'recall':>8}")
    for name, t in [*by_format.items(), ("overall", overall)]:
        lines.append(
            f"{name:10}{t.documents:>10}{t.fields:>9}{t.accuracy:>10.4f}{t.expected:>10}{t.precision:>11.4f}{t.recall:>8.4f}"
        )
        ok &= t.precision >= TARGET and t.recall >= TARGET
    lines.append("")
    lines.append(f"{'by source':10}{'documents':>10}{'fields':>9}{'accuracy':>10}{'findings':>10}{'precision':>11}{'recall':>8}")
    for name, t in sorted(by_group.items()):
        lines.append(
            f"{name:10}{t.documents:>10}{t.fields:>9}{t.accuracy:>10.4f}{t.expected:>10}{t.precision:>11.4f}{t.recall:>8.4f}"
        )
        if name in ("real", "seeds"):
            ok &= t.right == t.fields
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="figures only, no mismatches")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    outcomes = run()
    lines, ok = summary(outcomes)
    print("nianbao reading accuracy — labelled documents under tests/fixtures")
    print("\n".join(lines))
    if not args.quiet:
        wrong = [o for o in outcomes if o.mismatches]
        print(f"\nmismatches: {sum(len(o.mismatches) for o in wrong)} in {len(wrong)} documents")
        for o in wrong:
            for m in o.mismatches:
                print(f"  [{o.format}] {o.case.name}: {m}")
    print(f"\ntargets (precision and recall >= {TARGET} per format, all fields right on seeds and real): "
          + ("met" if ok else "NOT met"))
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
