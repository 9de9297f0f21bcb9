"""Reviews: a supervisor's word on a finding (confirmed, or dismissed as a false finding).

Reviews are never changed or deleted; each records who, when, why, and the
report version the finding was about at that moment (``report_id``, the
document's ``sha256``). The latest review of a finding is *in force* until

- a report version other than the reviewed one carries the finding again
  (the report changed: its findings are open for review again), or
- the finding was resolved and came back (a ``reopened`` event after the review).

A dismissed finding in force is left out of the open findings a digest counts;
``REVIEW_IN_FORCE`` is the one SQL definition every query uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

from storage.db import write_transaction
from storage.errors import StorageError

Verdict = Literal["confirmed", "dismissed"]
VERDICT_NAMES: dict[str, str] = {"confirmed": "已确认", "dismissed": "已排除（误报）"}
MAX_NOTE_CHARS = 2000

# Per finding, its latest review recorded before :cutoff and whether it is still in force then.
# Columns: finding_id, review_id, verdict, note, reviewer, at, in_force (0/1).
LATEST_REVIEWS = """
SELECT v.finding_id, v.id AS review_id, v.verdict, v.note, v.reviewer, v.at,
       (NOT EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = v.finding_id
                      AND e.event = 'reopened' AND e.at > v.at AND e.at < :cutoff)
        AND NOT EXISTS (SELECT 1 FROM report_findings rf JOIN reports r ON r.id = rf.report_id
                         WHERE rf.finding_id = v.finding_id AND r.id IS NOT v.report_id
                           AND r.recorded_at > v.at AND r.recorded_at < :cutoff)) AS in_force
FROM reviews v
WHERE v.id = (SELECT max(v2.id) FROM reviews v2 WHERE v2.finding_id = v.finding_id AND v2.at < :cutoff)
"""
# Far enough in the future to mean "now" for LATEST_REVIEWS.
NOW = "9999-12-31"


class FindingNotFound(StorageError):
    """No finding has this id or fingerprint."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"没有编号或指纹为 {ref} 的问题（可用 nianbao findings 查看编号）")


class ReviewInvalid(StorageError):
    """A review without the reason it needs, or with an unusable reviewer name."""


@dataclass(frozen=True)
class Review:
    id: int
    finding_id: int
    fingerprint: str
    verdict: str
    note: str
    reviewer: str
    at: str
    report_id: int | None
    sha256: str | None

    @property
    def verdict_name(self) -> str:
        return VERDICT_NAMES.get(self.verdict, self.verdict)


def find_finding(db: Database, ref: str | int) -> int:
    """The id of the finding ``ref`` names: its number, or its fingerprint (at least 8 leading characters)."""
    text = str(ref).strip()
    if text.isdigit():
        row = db.execute("SELECT id FROM findings WHERE id = ?", [int(text)]).fetchone()
    elif len(text) >= 8 and all(c in "0123456789abcdef" for c in text.lower()):
        rows = db.execute(
            "SELECT id FROM findings WHERE fingerprint LIKE ? || '%' LIMIT 2", [text.lower()]
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    else:
        row = None
    if row is None:
        raise FindingNotFound(text)
    return int(row[0])


def add_review(
    db: Database, finding_id: int, verdict: Verdict, *, note: str = "", reviewer: str, now: str
) -> Review:
    """Record a review of the finding against the report version it is about now."""
    note = " ".join(note.split()) if note else ""
    reviewer = " ".join(reviewer.split())
    if verdict not in VERDICT_NAMES:
        raise ReviewInvalid(f"审核结论只能是确认或排除，而不是 {verdict!r}")
    if verdict == "dismissed" and not note:
        raise ReviewInvalid("排除问题必须写明理由（如：误报：第六部分已说明收费）")
    if len(note) > MAX_NOTE_CHARS:
        raise ReviewInvalid(f"理由过长（{len(note)} 字，最多 {MAX_NOTE_CHARS} 字）")
    if not reviewer or len(reviewer) > 100:
        raise ReviewInvalid("审核人姓名不能为空，且不超过 100 字")
    with write_transaction(db):
        row = db.execute(
            """SELECT f.fingerprint, f.report_id, d.sha256 FROM findings f
               LEFT JOIN reports r ON r.id = f.report_id LEFT JOIN documents d ON d.id = r.document_id
               WHERE f.id = ?""",
            [finding_id],
        ).fetchone()
        if row is None:
            raise FindingNotFound(str(finding_id))
        cursor = db.execute(
            """INSERT INTO reviews (finding_id, fingerprint, verdict, note, reviewer, at, report_id, sha256)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [finding_id, row[0], verdict, note, reviewer, now, row[1], row[2]],
        )
        review_id = int(cursor.lastrowid or 0)
    return Review(review_id, finding_id, row[0], verdict, note, reviewer, now, row[1], row[2])


def reviews_of_site(db: Database, site_id: str) -> dict[int, list[Review]]:
    """Every review of the site's findings, oldest first, by finding id."""
    rows = db.execute(
        """SELECT v.id, v.finding_id, v.fingerprint, v.verdict, v.note, v.reviewer, v.at, v.report_id, v.sha256
           FROM reviews v JOIN findings f ON f.id = v.finding_id WHERE f.site_id = ? ORDER BY v.id""",
        [site_id],
    ).fetchall()
    out: dict[int, list[Review]] = {}
    for row in rows:
        out.setdefault(int(row[1]), []).append(Review(*row))
    return out


def review_in_force(db: Database, finding_id: int, cutoff: str = NOW) -> Review | None:
    """The finding's latest review if it is still in force at ``cutoff``."""
    row = db.execute(
        f"SELECT review_id, in_force FROM ({LATEST_REVIEWS}) WHERE finding_id = :finding",
        {"cutoff": cutoff, "finding": finding_id},
    ).fetchone()
    if row is None or not row[1]:
        return None
    found = db.execute(
        "SELECT id, finding_id, fingerprint, verdict, note, reviewer, at, report_id, sha256 FROM reviews"
        " WHERE id = ?",
        [row[0]],
    ).fetchone()
    return Review(*found)
