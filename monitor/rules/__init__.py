"""The rule catalogue's functions (rules.md). Importing this package registers every rule."""

from __future__ import annotations

# Importing the rule modules registers their rules.
from monitor.rules import calc, dates, publication, structure, xref  # noqa: F401
from monitor.rules.registry import REGISTRY, RuleContext, RuleSpec, finding, rule, run_rules

__all__ = ["REGISTRY", "RuleContext", "RuleSpec", "finding", "rule", "run_rules"]
