"""What a worker hands to the archive writer: entries of the results stream, and document bodies beside it.

One stream (``STREAM``) carries, per job attempt, in the order they happened:

- ``report``: a report the spider found, as the intake takes it (its documents
  without their bytes), and what reading its new documents gave (the worker
  reads; the writer checks, with the archive's context);
- ``problem``: a crawl problem (CRAWL.*);
- ``site_done``: a site whose requests are all answered, after its reports;
- ``job_done``: the attempt finished every site of its job.

A document's bytes travel under ``blob:<sha256>`` (set once, expiring), never in
the stream; a document the archive already holds (same sha256 as its last
fetch) does not travel at all, and a 304 has no bytes. Every entry names its
round (``batch``), job and attempt, so the writer can tell a retry's entries
from a killed attempt's and write each site of a round once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.model import CheckOptions, DateSeen, Publication, Report
from nianbao.crawl_ledger import Listed, Problem, SiteDone
from nianbao.intake import Incoming, Submission
from nianbao.reading import ReaderCrashed, Reading

PREFIX = "nianbao:"
STREAM = PREFIX + "results"
WRITERS = "archive"  # the stream's consumer group: the archive writer
BLOB_TTL_S = 7 * 24 * 3600

Kind = Literal["report", "problem", "site_done", "job_done"]
# How a document's bytes reach the writer: beside the stream, from its own store, or not at all (304).
Carried = Literal["sent", "stored", "none"]


def blob_key(sha256: str) -> str:
    return f"{PREFIX}blob:{sha256}"


def report_to_json(report: Report) -> dict[str, Any]:
    """The whole report as read (``to_json`` leaves out the text lines some rules quote)."""
    return {**report.to_json(), "body_text": report.body_text, "lines": report.lines}


def report_from_json(data: dict[str, Any]) -> Report:
    report = Report.from_json(data)
    report.body_text = data.get("body_text", "")
    report.lines = list(data.get("lines", []))
    return report


def reading_to_json(reading: Reading | ReaderCrashed) -> dict[str, Any]:
    if isinstance(reading, ReaderCrashed):
        return {"crashed": reading.path}
    if reading.report is None:
        return {"problem": reading.problem}
    return {"report": report_to_json(reading.report)}


def reading_from_json(data: dict[str, Any]) -> Reading | ReaderCrashed:
    if "crashed" in data:
        return ReaderCrashed(str(data["crashed"]))
    if data.get("report") is not None:
        return Reading(report_from_json(data["report"]))
    return Reading(None, data.get("problem"))


@dataclass
class ReportMessage:
    """A report found by a worker: the submission (bytes elsewhere), the readings of its new documents."""

    site_id: str
    listed: Listed  # where the spider found it: URL, title, the listing's year and entry
    submission: Submission  # bodies are None here; ``carried`` says where each comes from
    sha256s: list[str | None]
    carried: list[Carried]
    options: CheckOptions | None = None  # what the worker read with
    readings: dict[str, Reading | ReaderCrashed] = field(default_factory=dict)  # by sha256

    def to_json(self) -> dict[str, Any]:
        s = self.submission
        return {
            "site_id": self.site_id,
            "url": self.listed.url,
            "title": self.listed.title,
            "year": self.listed.year,
            "listing": self.listed.listing,
            "key": s.key,
            "documents": [
                {
                    "url": d.url,
                    "role": d.role,
                    "name": d.name,
                    "content_type": d.content_type,
                    "etag": d.etag,
                    "last_modified": d.last_modified,
                    "sha256": sha,
                    "carried": how,
                }
                for d, sha, how in zip(s.documents, self.sha256s, self.carried, strict=True)
            ],
            "given_year": s.given_year,
            "year_hint": s.year_hint,
            "publication": s.publication.to_json() if s.publication else None,
            "dates": [d.to_json() for d in s.dates],
            "image_only": s.image_only,
            "options": self.options.to_json() if self.options else None,
            "readings": {sha: reading_to_json(r) for sha, r in self.readings.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportMessage:
        documents = data["documents"]
        submission = Submission(
            key=data["key"],
            documents=[
                Incoming(
                    url=d["url"],
                    body=None,
                    role=d["role"],
                    name=d["name"],
                    content_type=d["content_type"],
                    etag=d["etag"],
                    last_modified=d["last_modified"],
                )
                for d in documents
            ],
            given_year=data["given_year"],
            year_hint=data["year_hint"],
            publication=Publication.from_json(data["publication"]),
            dates=[DateSeen.from_json(d) for d in data["dates"]],
            image_only=data["image_only"],
        )
        return cls(
            site_id=data["site_id"],
            listed=Listed(data["url"], data["title"], data["year"], dict(data.get("listing") or {})),
            submission=submission,
            sha256s=[d["sha256"] for d in documents],
            carried=[d["carried"] for d in documents],
            options=CheckOptions.from_json(data["options"]) if data.get("options") else None,
            readings={sha: reading_from_json(r) for sha, r in data.get("readings", {}).items()},
        )


def problem_to_json(problem: Problem) -> dict[str, Any]:
    return problem.to_json()


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        data["site_id"], data["code"], data["message"], data["url"], data.get("evidence", {}), data["listing"]
    )


@dataclass(frozen=True)
class Entry:
    """One entry of the results stream."""

    kind: Kind
    batch: str
    job: str
    attempt: str
    site_id: str
    data: dict[str, Any]

    def fields(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "batch": self.batch,
            "job": self.job,
            "attempt": self.attempt,
            "site": self.site_id,
            "data": json.dumps(self.data, ensure_ascii=False, separators=(",", ":")),
        }

    @classmethod
    def of(cls, fields: dict[bytes, bytes] | dict[str, str]) -> Entry:
        text = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        return cls(
            text["kind"],  # type: ignore[arg-type]
            text["batch"],
            text["job"],
            text["attempt"],
            text["site"],
            json.loads(text["data"]),
        )

    def report(self) -> ReportMessage:
        return ReportMessage.from_json(self.data)

    def problem(self) -> Problem:
        return problem_from_json(self.data)

    def site_done(self) -> SiteDone:
        return SiteDone.from_json(self.data)
