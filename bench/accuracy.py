"""Accuracy of reading and checking, over every labelled document the project holds.

Runs ``check`` over
  * the five seeds in every rendering (text, HTML and DOCX made by tests/support/renderers.py, the committed
    portal HTML/DOCX/PDF renderings), labelled by tests/fixtures/golden/*.json;
  * the review variants (tests/fixtures/variants/*.txt, labels beside them);
  * the real reports (tests/fixtures/real/, labels beside them);
  * the real-shape fixtures (tests/fixtures/shapes/, labels beside them),
and prints field accuracy (year, agency, level, template, signature, period, the six sections,
every table cell, missing and uncertain rows), finding precision and recall per format and overall,
and every mismatch.

    .venv/bin/python -m bench.accuracy            # figures and every mismatch
    .venv/bin/python -m bench.accuracy --quiet    # figures only
    .venv/bin/python -m bench.accuracy --check    # exit 1 when a target is missed

Targets: finding precision and recall >= 0.98 overall and per format; every field right on the
real reports and the seeds.
"""

from __future__ import annotations

import argparse
import sys

from tests.support.labels import Outcome, Tally, cases, check_cases

FORMATS = ("text", "html", "docx", "pdf")
TARGET = 0.98


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
    lines.append(
        f"{'':10}{'documents':>10}{'fields':>9}{'accuracy':>10}{'findings':>10}{'precision':>11}{'recall':>8}"
    )
    for name, t in [*by_format.items(), ("overall", overall)]:
        lines.append(
            f"{name:10}{t.documents:>10}{t.fields:>9}{t.accuracy:>10.4f}{t.expected:>10}{t.precision:>11.4f}{t.recall:>8.4f}"
        )
        ok &= t.precision >= TARGET and t.recall >= TARGET
    lines.append("")
    lines.append(
        f"{'by source':10}{'documents':>10}{'fields':>9}{'accuracy':>10}{'findings':>10}{'precision':>11}{'recall':>8}"
    )
    for name, t in sorted(by_group.items()):
        lines.append(
            f"{name:10}{t.documents:>10}{t.fields:>9}{t.accuracy:>10.4f}{t.expected:>10}{t.precision:>11.4f}{t.recall:>8.4f}"
        )
        if name in ("real", "seeds"):
            ok &= t.right == t.fields
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quiet", action="store_true", help="figures only, no mismatches")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    outcomes = check_cases(list(cases()))
    lines, ok = summary(outcomes)
    print("nianbao reading accuracy — labelled documents under tests/fixtures")
    print("\n".join(lines))
    if not args.quiet:
        wrong = [o for o in outcomes if o.mismatches]
        print(f"\nmismatches: {sum(len(o.mismatches) for o in wrong)} in {len(wrong)} documents")
        for o in wrong:
            for m in o.mismatches:
                print(f"  [{o.format}] {o.case.name}: {m}")
    print(
        f"\ntargets (precision and recall >= {TARGET} per format, all fields right on seeds and real): "
        + ("met" if ok else "NOT met")
    )
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
