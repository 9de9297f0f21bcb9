"""The rule registry: one small pure function per code.

A rule is ``fn(report, ctx) -> list[Finding]`` registered with its code and
severity by the ``@rule`` decorator. Codes are a public interface (rules.md):
a test fails when the registry and rules.md disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.model import Finding, Report, Severity


@dataclass
class Publication:
    """What the crawl (or the user) knows about where and when a report was published."""

    date: date | None = None
    source: str | None = None  # e.g. "meta PubDate", "page text 发布时间", "--published"
    url: str | None = None
    quote: str | None = None


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
    severity: Severity
    fn: RuleFn
    title: str = ""


REGISTRY: dict[str, RuleSpec] = {}
# Codes decided outside the per-report rules (by the crawler or the publication check of a site).
SITE_CODES: dict[str, Severity] = {
    "PUB.MISSING": "error",
    "PUB.CHANGED": "info",
    "CRAWL.UNREACHABLE": "error",
    "CRAWL.BLOCKED": "error",
    "CRAWL.NO_REPORT_COLUMN": "warning",
    "CRAWL.DOCUMENT_FAILED": "warning",
}


def rule(code: str, severity: Severity, title: str = "") -> Callable[[RuleFn], RuleFn]:
    def decorate(fn: RuleFn) -> RuleFn:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = RuleSpec(code, severity, fn, title)
        return fn

    return decorate


def finding(code: str, message: str, evidence: dict[str, Any] | None = None, subject: str = "") -> Finding:
    """Build a finding with the severity its code is registered with."""
    spec = REGISTRY.get(code)
    severity: Severity = spec.severity if spec else SITE_CODES[code]
    return Finding(code, severity, message, evidence or {}, subject)


def all_codes() -> dict[str, Severity]:
    """Every code nianbao can emit, with its severity."""
    return {**{c: s.severity for c, s in REGISTRY.items()}, **SITE_CODES}


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
