"""The finding lifecycle on hand-made findings: open, seen, resolved, reopened."""

from __future__ import annotations

import pytest

from monitor.model import Finding
from storage.db import write_transaction
from storage.findings import Observed, Scope, fingerprint, reconcile
from tests.support.archive import ManualArchive, add_site


@pytest.fixture
def archive(archive: ManualArchive) -> ManualArchive:
    """The shared archive, with one site."""
    add_site(archive, "s1")
    return archive


def F(code: str, subject: str = "", message: str = "问题") -> Finding:
    return Finding(code, "error", message, {"quote": "原文"}, subject)


def check(archive, findings, *, year=2023, resolve=True):
    with write_transaction(archive.db):
        return reconcile(
            archive.db,
            Scope("s1", "report", year),
            [Observed(f, year) for f in findings],
            now=archive.now(),
            run_id=None,
            resolve_missing=resolve,
        )


def rows(archive):
    return {
        r["code"] + (":" + r["subject"] if r["subject"] else ""): r
        for r in archive.db.query("SELECT * FROM findings ORDER BY id")
    }


def test_fingerprint_is_stable_and_distinguishes_its_parts():
    fp = fingerprint("CALC.T3_BALANCE", "s1", 2023, "table3.col.total")
    assert fp == fingerprint("CALC.T3_BALANCE", "s1", 2023, "table3.col.total")
    others = {
        fingerprint("CALC.T3_ROW_TOTAL", "s1", 2023, "table3.col.total"),
        fingerprint("CALC.T3_BALANCE", "s2", 2023, "table3.col.total"),
        fingerprint("CALC.T3_BALANCE", "s1", 2022, "table3.col.total"),
        fingerprint("CALC.T3_BALANCE", "s1", 2023, "table3.col.natural"),
        fingerprint("CALC.T3_BALANCE", "s1", None, "table3.col.total"),
    }
    assert fp not in others and len(others) == 5


def test_open_seen_resolved_reopened(archive):
    clock = archive.clock
    first = check(archive, [F("A"), F("B")])
    assert len(first.opened) == 2
    opened_at = archive.now()

    clock.advance(days=7)
    second = check(archive, [F("A", message="问题（新措辞）")])
    assert len(second.seen) == 1 and len(second.resolved) == 1
    found = rows(archive)
    assert found["A"]["first_seen"] == opened_at
    assert found["A"]["last_seen"] == archive.now()
    assert found["A"]["message"] == "问题（新措辞）"
    assert found["A"]["status"] == "open"
    assert found["B"]["resolved_at"] == archive.now()
    assert found["B"]["status"] == "resolved"

    clock.advance(days=7)
    third = check(archive, [F("A"), F("B")])
    assert len(third.reopened) == 1
    found = rows(archive)
    assert found["B"]["resolved_at"] is None
    assert found["B"]["reopened"] == 1
    assert found["B"]["first_seen"] == opened_at
    events = [
        e["event"]
        for e in archive.db.query(
            "SELECT event FROM finding_events WHERE finding_id = ? ORDER BY id", [found["B"]["id"]]
        )
    ]
    assert events == ["opened", "resolved", "reopened"]


def test_subject_tells_findings_of_one_code_apart(archive):
    check(archive, [F("CALC.T3_BALANCE", "col.natural"), F("CALC.T3_BALANCE", "col.total")])
    check(archive, [F("CALC.T3_BALANCE", "col.total")])
    found = rows(archive)
    assert found["CALC.T3_BALANCE:col.natural"]["status"] == "resolved"
    assert found["CALC.T3_BALANCE:col.total"]["status"] == "open"


def test_duplicate_identity_in_one_check_is_one_finding(archive):
    result = check(archive, [F("A", message="一"), F("A", message="二")])
    assert len(result.opened) == 1
    assert rows(archive)["A"]["message"] == "一"


def test_a_check_of_one_year_leaves_other_years_alone(archive):
    check(archive, [F("A")], year=2022)
    check(archive, [], year=2023)
    assert rows(archive)["A"]["status"] == "open"


def test_add_only_check_resolves_nothing(archive):
    check(archive, [F("A")])
    result = check(archive, [F("B")], resolve=False)
    assert result.resolved == []
    assert {k: r["status"] for k, r in rows(archive).items()} == {"A": "open", "B": "open"}
