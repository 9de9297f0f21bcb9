"""The rule catalogue (rules.md). Importing this package registers every rule."""

from __future__ import annotations

from monitor.rules.registry import (
    REGISTRY,
    SITE_CODES,
    Publication,
    RuleContext,
    RuleSpec,
    all_codes,
    finding,
    rule,
    run_rules,
)

# Importing the rule modules registers their rules.
from monitor.rules import calc, dates, publication, structure, xref  # noqa: E402,F401

__all__ = [
    "REGISTRY",
    "SITE_CODES",
    "Publication",
    "RuleContext",
    "RuleSpec",
    "all_codes",
    "finding",
    "rule",
    "run_rules",
]
