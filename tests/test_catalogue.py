"""The rule registry and docs/rules.md (the public catalogue) list the same codes and severities."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.rules import REGISTRY, SITE_CODES, all_codes

RULES_MD = Path(__file__).parents[1] / "docs" / "rules.md"
ROW = re.compile(r"^\|\s*([A-Z]+\.[A-Z0-9_]+)\s*\|\s*(error|warning|info)\s*\|", re.M)


def documented() -> dict[str, str]:
    return dict(ROW.findall(RULES_MD.read_text(encoding="utf-8")))


def test_registry_matches_rules_md() -> None:
    docs = documented()
    assert len(docs) >= 30
    assert all_codes() == docs


def test_every_report_rule_is_a_function_with_a_title() -> None:
    for code, spec in REGISTRY.items():
        assert callable(spec.fn) and spec.title, code
        assert code not in SITE_CODES
