"""Item pipelines: hand what the spider found to the application's intake.

``IntakePipeline`` keeps one ``nianbao.intake.Intake`` per site for the
crawl: each ``ReportItem`` becomes a submission (stored, read in a worker
process, checked, recorded) in the background, so the crawl keeps moving;
when the site's ``SiteDoneItem`` arrives and its reports are all taken in,
``nianbao.crawl_result.finish_crawl`` judges the site and writes its run.

A report that cannot be taken in is never lost silently: an unreadable file,
a reader that crashed, or an error while recording it becomes
CRAWL.DOCUMENT_FAILED naming the report (its year and title from the list).

On a stop request (``crawler.signals``) the reports still waiting to be read are
cancelled, and every site not finished is recorded with what was read so far
and the status ``error``; if the crawl does not close in time, that happens at
once (``crawl_overdue``).

``ItemsFeedPipeline`` writes every item (without bodies) as JSON lines, for
tests and for looking at what a crawl saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.items import ProblemItem, ReportItem, SiteDoneItem, listed_of, site_done_of, submission_of
from crawler.signals import crawl_overdue, crawl_stopping

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from nianbao.crawl_ledger import SiteLedger
    from nianbao.intake import Intake
    from nianbao.reading import IsolatedReader
    from storage.archive import Archive

logger = logging.getLogger(__name__)


class ItemsFeedPipeline:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.handle: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ItemsFeedPipeline:
        path = crawler.settings.get("NIANBAO_ITEMS_JSONL")
        if not path:
            raise NotConfigured
        return cls(path)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("w", encoding="utf-8")

    def process_item(self, item: Any) -> Any:
        if self.handle is not None and hasattr(item, "to_json"):
            self.handle.write(json.dumps(item.to_json(), ensure_ascii=False, default=str) + "\n")
            self.handle.flush()
        return item

    def close_spider(self) -> None:
        if self.handle is not None:
            self.handle.close()


class IntakePipeline:
    def __init__(self, crawler: Crawler, data_dir: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.data_dir = data_dir
        today = settings.get("NIANBAO_TODAY")
        self.today: date | None = date.fromisoformat(today) if today else None
        self.batch: str | None = settings.get("NIANBAO_BATCH")
        self.summary_path: str | None = settings.get("NIANBAO_SUMMARY_JSON")
        self.read_workers = settings.getint("NIANBAO_READ_WORKERS", 1)
        # Each site's account until its run is written (``nianbao.crawl_ledger``, shared with the queue).
        self.ledgers: dict[str, SiteLedger] = {}
        self.inflight: dict[str, set[asyncio.Future[Any]]] = defaultdict(set)
        self.closing: set[asyncio.Future[Any]] = set()
        self.summary: list[dict[str, Any]] = []
        self.read_function: str | None = settings.get("NIANBAO_READ_FUNCTION")
        self.stopping = False
        self.closed = False
        self.interrupted: set[str] = set()  # sites with a report whose reading a stop cut short

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IntakePipeline:
        data_dir = crawler.settings.get("NIANBAO_DATA")
        if not data_dir:
            raise NotConfigured
        pipeline = cls(crawler, data_dir)
        crawler.signals.connect(pipeline.stop, signal=crawl_stopping)
        crawler.signals.connect(pipeline.record_unfinished, signal=crawl_overdue)
        return pipeline

    @property
    def intakes(self) -> dict[str, Intake]:
        """The intakes of the sites whose runs are not written yet."""
        return {site_id: ledger.intake for site_id, ledger in self.ledgers.items()}

    def open_spider(self) -> None:
        from nianbao.crawl_ledger import SiteLedger, crawl_clock
        from nianbao.intake import Intake
        from nianbao.reading import IsolatedReader
        from storage.archive import Archive

        if self.read_function:
            from scrapy.utils.misc import load_object

            self.reader: IsolatedReader = IsolatedReader(
                self.read_workers, read=load_object(self.read_function.replace(":", "."))
            )
        else:
            self.reader = IsolatedReader(self.read_workers)
        self.archive: Archive = Archive.open(self.data_dir, clock=crawl_clock(self.today))
        self.batch = self.batch or self.archive.now()
        spider = self.crawler.spider
        for site_id in getattr(spider, "sites", {}):
            self.ledgers[site_id] = SiteLedger(
                Intake.start(self.archive, site_id, kind="crawl", batch=self.batch, reader=self.reader)
            )

    async def process_item(self, item: Any) -> Any:
        # Reading and checking run as background tasks: awaiting them here would keep the response in
        # Scrapy's scraper slot, and a full slot stops the engine from sending any site's next request.
        if isinstance(item, ReportItem):
            self._background(item, self._take(item))
        elif isinstance(item, ProblemItem):
            if item.site_id in self.ledgers:
                self.ledgers[item.site_id].problem(item)
        elif isinstance(item, SiteDoneItem):
            self.closing.add(asyncio.ensure_future(self._finish_when_taken(item)))
        return item

    def _background(self, item: ReportItem, work: Any) -> None:
        site_id = item.site_id

        async def logged() -> None:
            try:
                await work
            except asyncio.CancelledError:  # a stop: the report is not recorded (read again next time)
                self.interrupted.add(site_id)
                return
            except Exception as exc:  # the report is a finding; the site's run still finishes
                logger.exception("could not record a report of site %s", site_id)
                if site_id in self.ledgers:
                    self.ledgers[site_id].report_failed(listed_of(item), exc)

        task = asyncio.ensure_future(logged())
        self.inflight[site_id].add(task)
        task.add_done_callback(self.inflight[site_id].discard)

    async def _take(self, item: ReportItem) -> None:
        ledger = self.ledgers.get(item.site_id)
        if ledger is None:
            return
        ledger.report_arrived(item.year, [doc.body is not None for doc in item.documents])
        outcome = await ledger.intake.take(submission_of(item))
        ledger.report_taken(outcome, listed_of(item))

    async def _finish_when_taken(self, item: SiteDoneItem) -> None:
        """Finish the site's run once every report of it has been read, checked and recorded."""
        while self.inflight[item.site_id]:
            await asyncio.gather(*self.inflight[item.site_id], return_exceptions=True)
        if item.site_id in self.interrupted or item.cut_short:
            return  # not judged on part of its reports: recorded as stopped (``record_unfinished``)
        try:
            self._finish_site(item)
        except Exception:
            logger.exception("could not record the crawl of site %s", item.site_id)

    def _finish_site(self, item: SiteDoneItem) -> None:
        ledger = self.ledgers.get(item.site_id)
        if ledger is None:
            return
        summary = ledger.finish(site_done_of(item), today=self.today or self.archive.today())
        del self.ledgers[
            item.site_id
        ]  # written: forget the site (until then close_spider would try once more)
        self.summary.append(summary)

    def stop(self) -> None:
        """A stop request: the reports still being read are not waited for (nothing half-read is recorded)."""
        self.stopping = True
        for tasks in self.inflight.values():
            for task in tasks:
                task.cancel()

    async def close_spider(self) -> None:
        if self.stopping:
            self.stop()  # anything taken in since the stop request
        pending = [t for tasks in self.inflight.values() for t in tasks] + list(self.closing)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*self.closing, return_exceptions=True)
        self.record_unfinished()

    def record_unfinished(self) -> None:
        """Record every site not finished (stopped, killed, or its run could not be written) as an error.

        What it read so far is kept. Called at the spider's close, and at once when a stopped crawl
        does not close in time (then from the event loop, between two steps of any report's reading).
        """
        from nianbao.crawl_ledger import STOPPED, UNFINISHED

        for site_id, ledger in list(self.ledgers.items()):
            try:
                self.summary.append(ledger.finish_unfinished([STOPPED if self.stopping else UNFINISHED]))
            except Exception:
                logger.exception("could not record the crawl of site %s", site_id)
        self.ledgers.clear()
        if self.closed:
            return
        self.closed = True
        if self.stopping:  # a read still running is not waited for (the process exits after the stop)
            self.reader.close(wait=False)
        else:
            self.reader.close()
        if self.summary_path:
            write_summary(self.summary_path, self.batch, self.summary)
        self.archive.close()


def write_summary(path: str, batch: str | None, sites: list[dict[str, Any]]) -> None:
    """The crawl's summary for the parent ``nianbao crawl`` (or the queue's job) to read back."""
    Path(path).write_text(
        json.dumps({"batch": batch, "sites": sites}, ensure_ascii=False, indent=1, default=str),
        encoding="utf-8",
    )


class StreamPipeline:
    """A queue worker's crawl (no archive here): read each new document, hand everything to the results stream.

    Reading is the costly part and happens here, on the worker; the archive's writer checks each
    report with the archive's context and writes the site's run (``nianbao.queue.writer``). A site's
    ``site_done`` goes after all its reports and problems; a site any of whose entries could not be
    sent is left unfinished, so the job fails and is crawled again.
    """

    def __init__(self, crawler: Crawler, url: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = url
        today = settings.get("NIANBAO_TODAY")
        self.today: date | None = date.fromisoformat(today) if today else None
        self.batch: str = settings.get("NIANBAO_BATCH") or ""
        self.job: str = settings.get("NIANBAO_JOB") or ""
        self.attempt: str = settings.get("NIANBAO_ATTEMPT") or ""
        self.summary_path: str | None = settings.get("NIANBAO_SUMMARY_JSON")
        self.read_workers = settings.getint("NIANBAO_READ_WORKERS", 1)
        self.inflight: dict[str, set[asyncio.Future[Any]]] = defaultdict(set)
        self.closing: set[asyncio.Future[Any]] = set()
        self.failed: set[str] = set()
        self.done: list[dict[str, Any]] = []
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StreamPipeline:
        url = crawler.settings.get("NIANBAO_RESULTS")
        if not url:
            raise NotConfigured
        pipeline = cls(crawler, url)
        crawler.signals.connect(pipeline.stop, signal=crawl_stopping)
        return pipeline

    def stop(self) -> None:
        """A stop (the worker died, the job timed out): no site is said to be done from here on.

        The spider ends the sites whose requests the stop dropped as if they were complete; handed on,
        such a site would be written from part of its reports. Left unfinished, the job fails and
        its retry crawls them again.
        """
        self.stopping = True

    def open_spider(self) -> None:
        from nianbao.queue.sender import ResultSender
        from nianbao.reading import IsolatedReader

        self.reader: IsolatedReader = IsolatedReader(self.read_workers)
        self.sender = ResultSender(self.url, batch=self.batch, job=self.job, attempt=self.attempt)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ReportItem):
            self._background(item.site_id, self._send_report(item))
        elif isinstance(item, ProblemItem):
            self._background(item.site_id, asyncio.to_thread(self.sender.problem, item))
        elif isinstance(item, SiteDoneItem):
            self.closing.add(asyncio.ensure_future(self._done_when_sent(item)))
        return item

    def _background(self, site_id: str, work: Any) -> None:
        async def logged() -> None:
            try:
                await work
            except Exception:
                logger.exception("could not hand on a result of site %s", site_id)
                self.failed.add(site_id)

        task = asyncio.ensure_future(logged())
        self.inflight[site_id].add(task)
        task.add_done_callback(self.inflight[site_id].discard)

    async def _send_report(self, item: ReportItem) -> None:
        from nianbao.context import options_for
        from nianbao.intake import READABLE_ROLES
        from nianbao.reading import ReaderCrashed, Reading

        site = self.crawler.spider.sites[item.site_id]  # type: ignore[union-attr]
        options = options_for(site, today=self.today)
        submission = submission_of(item)
        readings: dict[str, Reading | ReaderCrashed] = {}
        for incoming, doc in zip(submission.documents, item.documents, strict=True):
            sha = doc.sha256 or ""
            if (
                item.unchanged
                or incoming.body is None
                or incoming.role not in READABLE_ROLES
                or sha in readings
            ):
                continue
            path = incoming.name or incoming.url or sha  # as the intake names it
            try:
                readings[sha] = await self.reader.read(incoming.body, path, options, incoming.content_type)
            except ReaderCrashed as exc:
                readings[sha] = exc
        carried = [
            "none" if doc.body is None else "stored" if doc.not_modified else "sent" for doc in item.documents
        ]
        await asyncio.to_thread(
            self.sender.report,
            item.site_id,
            listed_of(item),
            submission,
            [doc.sha256 for doc in item.documents],
            carried,  # type: ignore[arg-type]
            options,
            readings,
        )

    async def _done_when_sent(self, item: SiteDoneItem) -> None:
        while self.inflight[item.site_id]:
            await asyncio.gather(*self.inflight[item.site_id], return_exceptions=True)
        if item.site_id in self.failed or self.stopping:
            return  # not all of it reached the stream, or the crawl was stopped: the job crawls it again
        try:
            await asyncio.to_thread(self.sender.site_done, site_done_of(item), sites_done=len(self.done) + 1)
        except Exception:
            logger.exception("could not hand on the end of site %s", item.site_id)
            return
        self.done.append({"site_id": item.site_id, "status": "sent"})

    async def close_spider(self) -> None:
        pending = [t for tasks in self.inflight.values() for t in tasks] + list(self.closing)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*self.closing, return_exceptions=True)
        self.reader.close()
        self.sender.close()
        if self.summary_path:
            write_summary(self.summary_path, self.batch, self.done)
