"""Read reports and run the rule catalogue: the monitor's public entry points.

``read_report`` turns bytes into a Report; ``check_reports`` runs every rule
on a set of reports, giving the cross-report rules (XREF.CARRYOVER,
XREF.COPIED) the others of the set as context. Storage and the crawler call
these; the command line is a thin shell around ``check_paths``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import UnreadableInput
from monitor.extract import extract_report
from monitor.model import CheckOptions, Finding, Publication, Report
from monitor.readers import read_document, read_path
from monitor.rules import RuleContext, run_rules


@dataclass
class CheckResult:
    path: str
    report: Report | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # "<path>: <problem>"
    problem: str | None = None  # why it could not be read, without the path
    failure: UnreadableInput | None = None  # the same as its class (OverLimit, DamagedDocument ...)


def read_report(
    data: bytes, path: str, options: CheckOptions | None = None, content_type: str | None = None
) -> Report:
    """Read one report from its bytes. Raises UnreadableInput naming ``path``."""
    doc = read_document(data, path, content_type)
    return extract_report(doc, options or CheckOptions())


def read_report_file(path: str | Path, options: CheckOptions | None = None) -> Report:
    return extract_report(read_path(path), options or CheckOptions())


def publication_of(report: Report) -> Publication | None:
    """The publication facts for a report: --published, or a date the document states (set at extraction)."""
    if report.published:
        return Publication(report.published, report.published_source)
    return None


def _previous_and_peers(report: Report, others: Sequence[Report]) -> tuple[Report | None, list[Report]]:
    previous = None
    peers = []
    for other in others:
        if other is report or report.year is None or other.year is None:
            continue
        same_agency = bool(report.agency) and other.agency == report.agency
        if same_agency and other.year == report.year - 1:
            previous = other
        elif not same_agency and other.year == report.year:
            peers.append(other)
    return previous, peers


def check_reports(reports: Sequence[Report], options: CheckOptions | None = None) -> list[list[Finding]]:
    """Run every rule on each report, with the rest of the set as cross-report context."""
    options = options or CheckOptions()
    results = []
    for report in reports:
        previous, peers = _previous_and_peers(report, reports)
        ctx = RuleContext(
            publication=publication_of(report),
            previous=previous,
            peers=peers,
            deadline_override=options.deadline,
            today=options.today,
        )
        results.append(run_rules(report, ctx))
    return results


def check_paths(
    paths: Sequence[str],
    options: CheckOptions | None = None,
    read: Callable[[str, CheckOptions], Report] = read_report_file,
) -> list[CheckResult]:
    """Read (with ``read``) and check files; an unreadable file gives a result with ``error`` set, the
    rest go on. The command line reads in a worker process under time and memory limits."""
    options = options or CheckOptions()
    results = [CheckResult(p) for p in paths]
    readable: list[tuple[CheckResult, Report]] = []
    for result in results:
        try:
            result.report = read(result.path, options)
            readable.append((result, result.report))
        except UnreadableInput as exc:
            result.error, result.problem, result.failure = str(exc), exc.problem, exc
    for (result, _), findings in zip(readable, check_reports([r for _, r in readable], options), strict=True):
        result.findings = findings
    return results
