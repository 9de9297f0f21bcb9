"""The rule registry: one small pure function per code.

A rule is ``fn(report, ctx) -> list[Finding]`` registered under its code by
the ``@rule`` decorator; the code's severity and title come from the code
catalogue (``monitor.codes``), never from the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.codes import code_of
from monitor.model import Finding, Publication, Report


@dataclass
class RuleContext:
    """Facts beyond the report itself.

    ``publication`` is None when the report was not taken from a publication
    (a local file checked without --published): the PUB.* date rules then stay
    silent. ``previous`` is the same agency's report for the year before;
    ``peers`` are other agencies' reports for the same year.
    """

    publication: Publication | None = None
    previous: Report | None = None
    peers: Sequence[Report] = ()
    deadline_override: str | None = None  # "MM-DD"
    today: date | None = None


RuleFn = Callable[[Report, RuleContext], list[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    fn: RuleFn


REGISTRY: dict[str, RuleSpec] = {}


def rule(code: str) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` as the rule for ``code`` (which must be in the catalogue)."""
    code_of(code)

    def decorate(fn: RuleFn) -> RuleFn:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = RuleSpec(code, fn)
        return fn

    return decorate


def finding(code: str, message: str, evidence: dict[str, Any] | None = None, subject: str = "") -> Finding:
    """Build a finding with the severity the catalogue gives its code."""
    return Finding(code, code_of(code).severity, message, evidence or {}, subject)


def run_rules(report: Report, ctx: RuleContext, codes: set[str] | None = None) -> list[Finding]:
    """Run every registered rule (or those in ``codes``) on one report."""
    findings: list[Finding] = []
    for spec in REGISTRY.values():
        # An image-only report has no text to judge: only the publication rules apply.
        if report.image_only and not spec.code.startswith("PUB."):
            continue
        if codes is None or spec.code in codes:
            findings.extend(spec.fn(report, ctx))
    return findings
