"""The code catalogue, the rule registry and docs/rules.md (the public catalogue) agree."""

from __future__ import annotations

import re

from monitor.codes import CODES
from monitor.rules import REGISTRY
from tests.support.paths import ROOT

RULES_MD = ROOT / "docs" / "rules.md"
ROW = re.compile(r"^\|\s*([A-Z]+\.[A-Z0-9_]+)\s*\|\s*(error|warning|info)\s*\|", re.M)

# Codes a crawl decides for a site or a document, not a rule for a report.
DECIDED_BY_THE_CRAWL = {
    "PUB.MISSING",
    "PUB.CHANGED",
    "CRAWL.UNREACHABLE",
    "CRAWL.BLOCKED",
    "CRAWL.NO_REPORT_COLUMN",
    "CRAWL.DOCUMENT_FAILED",
}


def documented() -> dict[str, str]:
    return dict(ROW.findall(RULES_MD.read_text(encoding="utf-8")))


def test_catalogue_matches_rules_md() -> None:
    docs = documented()
    assert len(docs) >= 30
    assert {code: c.severity for code, c in CODES.items()} == docs


def test_every_other_code_has_its_rule() -> None:
    assert set(REGISTRY) == set(CODES) - DECIDED_BY_THE_CRAWL
    for code, spec in REGISTRY.items():
        assert callable(spec.fn) and CODES[code].title, code
