"""The worker's side of the results stream: a crawl without an archive hands on what it found.

Used by the crawl child of a queue job (``crawler.pipelines.StreamPipeline``):
bodies go under ``blob:<sha256>`` first (set once, expiring), then the entry
that names them, so the writer never meets an entry whose bytes are missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from monitor.model import CheckOptions
from nianbao.crawl_ledger import Listed, Problem, SiteDone
from nianbao.intake import Submission
from nianbao.queue.messages import (
    BLOB_TTL_S,
    STREAM,
    Carried,
    Entry,
    Kind,
    ReportMessage,
    blob_key,
)
from nianbao.reading import ReaderCrashed, Reading

PROGRESS = "nianbao:progress:"  # + job id: the attempt, sites done / total, the worker


def progress_key(job: str) -> str:
    return PROGRESS + job


class ResultSender:
    def __init__(self, url: str, *, batch: str, job: str, attempt: str) -> None:
        self.connection = redis.Redis.from_url(url)
        self.batch, self.job, self.attempt = batch, job, attempt

    def _add(self, kind: Kind, site_id: str, data: dict[str, object]) -> None:
        entry = Entry(kind, self.batch, self.job, self.attempt, site_id, data)
        self.connection.xadd(STREAM, entry.fields())  # type: ignore[arg-type]

    def report(
        self,
        site_id: str,
        listed: Listed,
        submission: Submission,
        sha256s: Sequence[str | None],
        carried: Sequence[Carried],
        options: CheckOptions,
        readings: dict[str, Reading | ReaderCrashed],
    ) -> None:
        for incoming, sha256, how in zip(submission.documents, sha256s, carried, strict=True):
            if how == "sent" and incoming.body is not None and sha256:
                self.connection.set(blob_key(sha256), incoming.body, ex=BLOB_TTL_S, nx=True)
                self.connection.expire(blob_key(sha256), BLOB_TTL_S)  # one sent before may be about to lapse
        message = ReportMessage(site_id, listed, submission, list(sha256s), list(carried), options, readings)
        self._add("report", site_id, message.to_json())

    def problem(self, problem: Problem) -> None:
        self._add("problem", problem.site_id, problem.to_json())

    def site_done(self, done: SiteDone, *, sites_done: int) -> None:
        self._add("site_done", done.site_id, done.to_json())
        self.connection.hset(progress_key(self.job), mapping={"attempt": self.attempt, "done": sites_done})

    def close(self) -> None:
        self.connection.close()
