"""The one archive writer: results from the stream, checked with the archive's context, written site by site.

It reads the results stream as the consumer group ``archive`` and keeps each
site's entries (per job attempt) until the site's ``site_done`` arrives; then
it takes the site's reports in through an ordinary crawl intake (the readings
the worker made are used, nothing is read twice), judges the crawl
(``SiteLedger``, as a crawl on one machine does) and writes the run in one
transaction. Only then are the site's entries acknowledged and deleted, so a
writer killed at any point reads them again and loses nothing.

Each site of a round is written once: a run of that round already in the
archive (the writer died after its commit, or a retried job crawled the site
again) makes its entries acknowledged without writing. A job RQ gave up on has
its sites written as error runs (with what the last attempt had sent), so no
site of a round is ever left silently unwritten.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from monitor.model import CheckOptions
from nianbao.crawl_ledger import SiteLedger, crawl_clock
from nianbao.intake import Incoming, Intake, Submission
from nianbao.queue.messages import STREAM, WRITERS, Entry, ReportMessage, blob_key
from nianbao.queue.rounds import Round, close_round, load_round, open_rounds, round_key, written, written_key
from nianbao.reading import InlineReader, ReaderCrashed, Reading
from storage.archive import Archive
from storage.blobs import sha256_of
from storage.errors import UnknownSite

log = logging.getLogger(__name__)

CONSUMER = "writer"  # one writer at a time (the writer lock): its pending entries survive its restarts
KEEP_ROUNDS_S = 30 * 24 * 3600  # a finished round's record stays this long (nianbao queue status)
GIVEN_UP = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class PreparedReader:
    """The intake's reader on the writer: the readings the worker made, else (rarely) reading here."""

    def __init__(self) -> None:
        self.options: CheckOptions | None = None
        self.readings: dict[str, Reading | ReaderCrashed] = {}
        self.inline = InlineReader()

    def prepare(self, options: CheckOptions | None, readings: dict[str, Reading | ReaderCrashed]) -> None:
        self.options, self.readings = options, readings

    def read_now(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        found = self.readings.get(sha256_of(data)) if options == self.options else None
        if found is None:  # e.g. a document the worker had no bytes of (304) that must be read again
            return self.inline.read_now(data, path, options, content_type)
        if isinstance(found, ReaderCrashed):
            raise ReaderCrashed(path)
        return found

    async def read(self, data: bytes, path: str, options: CheckOptions, content_type: str | None) -> Reading:
        return self.read_now(data, path, options, content_type)

    def close(self) -> None:
        pass


@dataclass
class _Site:
    """A site's entries so far: every entry id (to acknowledge), the entries of each attempt in order."""

    ids: list[str] = field(default_factory=list)
    attempts: dict[str, list[Entry]] = field(default_factory=dict)


class MissingBody(Exception):
    """A document's bytes are neither in the archive nor beside the stream (expired)."""


class ArchiveWriter:
    def __init__(
        self,
        archive: Archive,
        connection: redis.Redis,
        *,
        on_written: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.archive = archive
        self.connection = connection
        self.on_written = on_written
        self.sites: dict[tuple[str, str], _Site] = defaultdict(_Site)
        self.rounds: dict[str, Round | None] = {}
        # First this writer's pending entries (a previous writer's, after a crash): from this id on.
        self._backlog: str | None = "0"
        try:
            connection.xgroup_create(STREAM, WRITERS, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # -- reading the stream ----------------------------------------------------------------------

    def step(self, block_ms: int = 1000) -> int:
        """Read and handle what is there (waiting up to ``block_ms`` for something); returns how many entries."""
        if self._backlog is not None:
            # This consumer's pending entries first (delivered to a writer that died before writing them).
            entries = _entries(
                self.connection.xreadgroup(WRITERS, CONSUMER, {STREAM: self._backlog}, count=200)
            )
            if not entries:
                self._backlog = None
                return self.step(block_ms)
            self._backlog = entries[-1][0]
        else:
            entries = _entries(
                self.connection.xreadgroup(WRITERS, CONSUMER, {STREAM: ">"}, count=200, block=block_ms)
            )
        for entry_id, fields in entries:
            self._handle(entry_id, Entry.of(fields))
        return len(entries)

    def drain(self) -> None:
        """Handle everything the stream holds now."""
        while self.step(block_ms=1) or self._backlog is not None:
            pass

    def _handle(self, entry_id: str, entry: Entry) -> None:
        if entry.kind == "job_done":
            self._ack([entry_id])
            return
        key = (entry.batch, entry.site_id)
        site = self.sites[key]
        site.ids.append(entry_id)
        if self._written(entry.batch, entry.site_id):
            self._forget(key)
            return
        site.attempts.setdefault(entry.attempt, []).append(entry)
        if entry.kind == "site_done":
            round_ = self._round(entry.batch)
            if round_ is None:
                log.error("results of an unknown round %s: ignored", entry.batch)
                self._forget(key)
                return
            self._write(round_, entry.site_id, site.attempts[entry.attempt], done=entry)

    # -- writing a site --------------------------------------------------------------------------

    def _write(
        self, round_: Round, site_id: str, entries: list[Entry], *, done: Entry | None, error: str = ""
    ) -> None:
        key = (round_.batch, site_id)
        self.archive.clock = crawl_clock(round_.today) or self.archive.clock
        reader = PreparedReader()
        try:
            intake = Intake.start(
                self.archive, site_id, kind="crawl", batch=round_.batch, reader=reader, today=round_.today
            )
        except UnknownSite:  # removed from the registry since the round began: nothing to write it to
            log.error(
                "site %s of round %s is no longer registered: its results are dropped", site_id, round_.batch
            )
            self._record(
                round_, site_id, {"site_id": site_id, "status": "error", "errors": ["站点已不在登记表中"]}
            )
            self._forget(key)
            return
        ledger = SiteLedger(intake)
        sent: set[str] = set()
        for entry in entries:
            if entry.kind == "problem":
                ledger.problem(entry.problem())
            elif entry.kind == "report":
                message = entry.report()
                ledger.report_arrived(message.listed.year, [how != "none" for how in message.carried])
                sent.update(
                    sha
                    for sha, how in zip(message.sha256s, message.carried, strict=True)
                    if sha and how == "sent"
                )
                try:
                    submission = self._with_bodies(message)
                    reader.prepare(message.options, message.readings)
                    outcome = ledger.intake.take_now(submission)
                except Exception as exc:  # the report is a finding; the site's run still finishes
                    log.exception("could not record a report of site %s", site_id)
                    ledger.report_failed(message.listed, exc)
                    continue
                ledger.report_taken(outcome, message.listed)
        if done is not None:
            summary = ledger.finish(done.site_done(), today=round_.today)
        else:
            summary = ledger.finish_unfinished([error or "抓取未完成"])
        self._record(round_, site_id, summary)
        if sent:
            self.connection.delete(*(blob_key(sha) for sha in sent))  # the archive holds them now
        self._forget(key)

    def _with_bodies(self, message: ReportMessage) -> Submission:
        """The submission with its documents' bytes: from the archive's store, else from beside the stream."""
        documents = []
        for incoming, sha, how in zip(
            message.submission.documents, message.sha256s, message.carried, strict=True
        ):
            body = None
            if how != "none" and sha:
                if self.archive.blobs.has(sha):
                    body = self.archive.blobs.get(sha)
                elif how == "sent":
                    found = self.connection.get(blob_key(sha))
                    if found is None:
                        raise MissingBody(sha)
                    body = bytes(found)  # type: ignore[arg-type]
                else:
                    raise MissingBody(sha)
            documents.append(
                Incoming(
                    incoming.url,
                    body,
                    incoming.role,
                    incoming.name,
                    incoming.content_type,
                    incoming.etag,
                    incoming.last_modified,
                )
            )
        s = message.submission
        return Submission(s.key, documents, s.given_year, s.year_hint, s.publication, s.dates, s.image_only)

    def _record(self, round_: Round, site_id: str, summary: dict[str, Any]) -> None:
        self.connection.hset(
            written_key(round_.batch), site_id, json.dumps(summary, ensure_ascii=False, default=str)
        )
        if self.on_written is not None:
            self.on_written(round_.batch, summary)

    def _written(self, batch: str, site_id: str) -> bool:
        """Whether the site's run of this round is in the archive (its summary restored if the writer died)."""
        row = self.archive.db.execute(
            "SELECT id, status, counts FROM runs WHERE batch = ? AND site_id = ? AND kind = 'crawl'"
            " ORDER BY id LIMIT 1",
            [batch, site_id],
        ).fetchone()
        if row is None:
            return False
        if not self.connection.hexists(written_key(batch), site_id):
            round_ = self._round(batch)
            if round_ is not None:
                summary = {
                    "site_id": site_id,
                    "status": row[1],
                    "run_id": row[0],
                    "counts": json.loads(row[2]),
                }
                self._record(round_, site_id, summary)
        return True

    def _forget(self, key: tuple[str, str]) -> None:
        site = self.sites.pop(key, None)
        if site is not None:
            self._ack(site.ids)

    def _ack(self, ids: list[str]) -> None:
        if ids:
            pipe = self.connection.pipeline()
            pipe.xack(STREAM, WRITERS, *ids)
            pipe.xdel(STREAM, *ids)
            pipe.execute()

    def _round(self, batch: str) -> Round | None:
        if batch not in self.rounds:
            self.rounds[batch] = load_round(self.connection, batch)
        return self.rounds[batch]

    # -- rounds and their jobs -------------------------------------------------------------------

    def settle(self) -> None:
        """Write error runs for the sites of jobs that can no longer deliver them; close finished rounds."""
        for batch in open_rounds(self.connection):
            round_ = self._round(batch)
            if round_ is None:
                close_round(self.connection, batch)
                continue
            done = written(self.connection, batch)
            waiting = {job: [s for s in sites if s not in done] for job, sites in round_.jobs.items()}
            waiting = {job: sites for job, sites in waiting.items() if sites}
            if waiting:
                self._settle_jobs(round_, waiting)
                done = written(self.connection, batch)
            if all(site in done for site in round_.sites):
                close_round(self.connection, batch)
                self.connection.expire(round_key(batch), KEEP_ROUNDS_S)
                self.connection.expire(written_key(batch), KEEP_ROUNDS_S)

    def _settle_jobs(self, round_: Round, waiting: dict[str, list[str]]) -> None:
        jobs = Job.fetch_many(list(waiting), connection=self.connection)
        ended = {}
        for job_id, job in zip(waiting, jobs, strict=True):
            status = job.get_status(refresh=False) if job is not None else None
            if job is None or status in GIVEN_UP or status == JobStatus.FINISHED:
                ended[job_id] = job
        if not ended:
            return
        # What the ended jobs sent is in the stream before their end: take it all in first.
        self.drain()
        done = written(self.connection, round_.batch)
        for job_id, job in ended.items():
            reason = _failure(job)
            for site_id in waiting[job_id]:
                if site_id in done or self._written(round_.batch, site_id):
                    continue
                site = self.sites.get((round_.batch, site_id))
                last = list(site.attempts.values())[-1] if site and site.attempts else []
                self._write(round_, site_id, last, done=None, error=reason)

    def run(self, until: Callable[[], bool], *, settle_every: float = 2.0) -> None:
        """Write until ``until()`` says stop (checked between reads)."""
        last = 0.0
        while not until():
            self.step()
            if time.monotonic() - last >= settle_every:
                self.settle()
                last = time.monotonic()


def _failure(job: Job | None) -> str:
    """Why a job's sites were not crawled, in one Chinese line."""
    if job is None:
        return "抓取任务已从队列中消失（可能已过期或被删除），站点未抓取完成"
    status = job.get_status(refresh=False)
    if status == JobStatus.FINISHED:
        return "抓取任务已结束，但该站点的抓取结果未送达"
    try:
        result = job.latest_result()
        text = (result.exc_string or "") if result is not None else ""
    except (NoSuchJobError, redis.RedisError):
        text = ""
    last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
    return f"抓取任务多次重试后仍失败：{last or status}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(answer: Any) -> list[tuple[str, dict[bytes, bytes]]]:
    """The entries of an XREADGROUP answer for the one stream read."""
    if not answer:
        return []
    return [(_text(entry_id), fields) for entry_id, fields in answer[0][1]]
