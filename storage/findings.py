"""The finding lifecycle: fingerprints, first/last seen, resolution, reopening.

A finding is identified by its fingerprint (code + site + year + subject), so
the same defect seen week after week is one row whose ``last_seen`` moves.
Each check of a *scope* (what one run or one report could see) reconciles
the scope's findings against what the check produced:

- produced and unknown          -> inserted, event ``opened``
- produced and resolved before  -> ``resolved_at`` cleared, ``reopened`` + 1, event ``reopened``
- produced and open             -> ``last_seen`` (and message, evidence) updated
- not produced, open, in scope  -> ``resolved_at`` set, event ``resolved`` — only
  when the check could see it (``resolve_missing``; see ``storage.runs``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlite_utils import Database

from monitor.codes import CODES
from monitor.codes import Scope as ScopeKind
from monitor.model import Finding

# Scopes of one report (site, year, report key); the others cover every year of the site.
REPORT_SCOPES = ("report", "publication")


def fingerprint(
    code: str, site_id: str, year: int | None, subject: str = "", report_key: str | None = None
) -> str:
    """Stable identity of a finding: the same defect gets the same fingerprint every run.

    Findings of a report include its ``report_key`` (canonical URL or file name), so two
    reports of one (site, year) — 部门年报 of several departments — never share a finding.
    """
    parts = [code, site_id, "" if year is None else str(year), subject]
    if report_key:
        parts.append(report_key)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def scope_of_report_finding(code: str) -> ScopeKind:
    """Scope of a finding recorded with a report: its publication, or the report itself.

    (A document that could not be read stands in for its report: CRAWL.DOCUMENT_FAILED recorded
    with a report is that report's finding, whatever its code's scope when a crawl records it.)
    """
    return "publication" if CODES[code].scope == "publication" else "report"


def scope_of_site_finding(code: str) -> ScopeKind:
    """Scope of a finding a crawl records for a site (not from a report's rules)."""
    return "crawl" if CODES[code].scope == "crawl" else "site"


@dataclass(frozen=True)
class Scope:
    """The findings one check is responsible for.

    ``report`` and ``publication`` scopes are per (site, year, report key); ``site``
    and ``crawl`` scopes cover every year of the site.
    """

    site_id: str
    kind: ScopeKind
    year: int | None = None
    key: str | None = None


@dataclass(frozen=True)
class Observed:
    """A finding as one check produced it, placed in the archive."""

    finding: Finding
    year: int | None
    url: str | None = None
    report_id: int | None = None


@dataclass
class Reconciled:
    opened: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)

    def add(self, other: Reconciled) -> None:
        self.opened += other.opened
        self.reopened += other.reopened
        self.resolved += other.resolved
        self.seen += other.seen


def reconcile(
    db: Database,
    scope: Scope,
    observed: Iterable[Observed],
    *,
    now: str,
    run_id: int | None,
    resolve_missing: bool,
) -> Reconciled:
    """Bring the scope's findings in line with ``observed``. Call inside a transaction."""
    result = Reconciled()
    produced: set[str] = set()
    for item in observed:
        f = item.finding
        fp = fingerprint(f.code, scope.site_id, item.year, f.subject, scope.key)
        if fp in produced:
            # Two findings of one check with one identity: the rule gave no subject to tell
            # them apart. Keep the first; its evidence stands for both.
            continue
        produced.add(fp)
        finding_id = _upsert(db, fp, scope, item, now=now, run_id=run_id, result=result)
        if item.report_id is not None:
            # NULL: as the finding says now (_upsert keeps earlier versions' words when they change).
            db.execute(
                "INSERT OR REPLACE INTO report_findings (report_id, finding_id, message, evidence)"
                " VALUES (?, ?, NULL, NULL)",
                [item.report_id, finding_id],
            )
    if resolve_missing:
        where = "site_id = ? AND scope = ? AND resolved_at IS NULL"
        params: list[object] = [scope.site_id, scope.kind]
        if scope.kind in REPORT_SCOPES:
            where += " AND year IS ? AND report_key IS ?"
            params += [scope.year, scope.key]
        resolve_where(db, where, params, keep=produced, now=now, run_id=run_id, result=result)
    return result


def resolve_where(
    db: Database,
    where: str,
    params: list[object],
    *,
    keep: set[str],
    now: str,
    run_id: int | None,
    result: Reconciled,
) -> None:
    """Resolve the open findings ``where`` selects, except the fingerprints in ``keep``."""
    for row in db.execute(f"SELECT id, fingerprint FROM findings WHERE {where}", params).fetchall():
        if row[1] in keep or row[0] in result.resolved:
            continue
        db.execute("UPDATE findings SET resolved_at = ? WHERE id = ?", [now, row[0]])
        _event(db, row[0], "resolved", now, run_id, None)
        result.resolved.append(row[0])


def holds_open_finding(
    db: Database, site_id: str, year: int | None, report_key: str | None, code: str, subject: str
) -> bool:
    """Whether a report (site, year, report key) holds an open finding of ``code`` about ``subject``."""
    row = db.execute(
        """SELECT 1 FROM findings WHERE site_id = ? AND scope = 'report' AND year IS ? AND report_key IS ?
           AND code = ? AND subject = ? AND resolved_at IS NULL LIMIT 1""",
        [site_id, year, report_key, code, subject],
    ).fetchone()
    return row is not None


def _upsert(
    db: Database, fp: str, scope: Scope, item: Observed, *, now: str, run_id: int | None, result: Reconciled
) -> int:
    f = item.finding
    url = item.url or _evidence_url(f)
    existing = db.execute(
        "SELECT id, resolved_at, message, evidence FROM findings WHERE fingerprint = ?", [fp]
    ).fetchone()
    if existing is None:
        cursor = db.execute(
            """INSERT INTO findings (fingerprint, site_id, year, report_key, code, subject, scope, severity,
                   message, evidence, url, report_id, run_id, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                fp,
                scope.site_id,
                item.year,
                scope.key,
                f.code,
                f.subject,
                scope.kind,
                f.severity,
                f.message,
                _json(f.evidence),
                url,
                item.report_id,
                run_id,
                now,
                now,
            ],
        )
        finding_id = int(cursor.lastrowid or 0)
        _event(db, finding_id, "opened", now, run_id, item.report_id)
        result.opened.append(finding_id)
        return finding_id
    finding_id, resolved_at = int(existing[0]), existing[1]
    evidence = _json(f.evidence)
    if (existing[2], existing[3]) != (f.message, evidence):
        # Report versions that produced the earlier words keep them (their rows said "as the finding").
        db.execute(
            """UPDATE report_findings SET message = coalesce(message, ?), evidence = coalesce(evidence, ?)
               WHERE finding_id = ? AND (message IS NULL OR evidence IS NULL)""",
            [existing[2], existing[3], finding_id],
        )
    db.execute(
        """UPDATE findings SET scope = ?, severity = ?, message = ?, evidence = ?, url = coalesce(?, url),
               report_id = coalesce(?, report_id), run_id = coalesce(?, run_id), last_seen = ?,
               resolved_at = NULL, reopened = reopened + ?
           WHERE id = ?""",
        [
            scope.kind,
            f.severity,
            f.message,
            evidence,
            url,
            item.report_id,
            run_id,
            now,
            1 if resolved_at else 0,
            finding_id,
        ],
    )
    if resolved_at:
        _event(db, finding_id, "reopened", now, run_id, item.report_id)
        result.reopened.append(finding_id)
    else:
        result.seen.append(finding_id)
    return finding_id


def _event(
    db: Database, finding_id: int, event: str, now: str, run_id: int | None, report_id: int | None
) -> None:
    db.execute(
        "INSERT INTO finding_events (finding_id, event, at, run_id, report_id) VALUES (?, ?, ?, ?, ?)",
        [finding_id, event, now, run_id, report_id],
    )


def _evidence_url(f: Finding) -> str | None:
    url = f.evidence.get("url") if isinstance(f.evidence, dict) else None
    return str(url) if url else None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
