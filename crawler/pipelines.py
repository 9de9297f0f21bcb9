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
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.items import ProblemItem, ReportItem, SiteDoneItem, report_name, submission_of
from crawler.signals import crawl_overdue, crawl_stopping
from monitor.codes import DOCUMENT_FAILED, RunStatus

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from nianbao.intake import Intake, Outcome
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
        self.intakes: dict[str, Intake] = {}
        self.problems: dict[str, list[ProblemItem]] = defaultdict(list)
        self.years: dict[str, set[int]] = defaultdict(set)
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
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

    def open_spider(self) -> None:
        from monitor.model import CST
        from nianbao.intake import Intake
        from nianbao.reading import IsolatedReader
        from storage.archive import Archive

        clock = None
        if self.today is not None:
            today = self.today

            def clock() -> datetime:  # the real time of day on the day the crawl is judged
                return datetime.combine(today, datetime.now(CST).time(), CST)

        if self.read_function:
            from scrapy.utils.misc import load_object

            self.reader: IsolatedReader = IsolatedReader(
                self.read_workers, read=load_object(self.read_function.replace(":", "."))
            )
        else:
            self.reader = IsolatedReader(self.read_workers)
        self.archive: Archive = Archive.open(self.data_dir, clock=clock)
        self.batch = self.batch or self.archive.now()
        spider = self.crawler.spider
        for site_id in getattr(spider, "sites", {}):
            self.intakes[site_id] = Intake.start(
                self.archive, site_id, kind="crawl", batch=self.batch, reader=self.reader
            )

    async def process_item(self, item: Any) -> Any:
        # Reading and checking run as background tasks: awaiting them here would keep the response in
        # Scrapy's scraper slot, and a full slot stops the engine from sending any site's next request.
        if isinstance(item, ReportItem):
            self._background(item, self._take(item))
        elif isinstance(item, ProblemItem):
            self.problems[item.site_id].append(item)
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
                self.counts[site_id]["record_errors"] += 1
                self._report_problem(
                    item,
                    "record_failed",
                    f"{report_name(item.title, item.year)}无法读取或记录（{type(exc).__name__}）",
                    item.url,
                    detail=f"{type(exc).__name__}: {exc}"[:300],
                )

        task = asyncio.ensure_future(logged())
        self.inflight[site_id].add(task)
        task.add_done_callback(self.inflight[site_id].discard)

    def _report_problem(self, item: ReportItem, kind: str, message: str, url: str, **evidence: Any) -> None:
        """CRAWL.DOCUMENT_FAILED for a report that was fetched but could not be taken in, with its list entry."""
        facts = {"kind": kind, "url": url, "report_url": item.url, **item.listing, **evidence}
        self.problems[item.site_id].append(
            ProblemItem(item.site_id, DOCUMENT_FAILED, message, url, facts, False)
        )

    async def _take(self, item: ReportItem) -> None:
        intake = self.intakes.get(item.site_id)
        if intake is None:
            return
        counts = self.counts[item.site_id]
        counts["reports"] += 1
        if item.year is not None:
            self.years[item.site_id].add(item.year)
        for doc in item.documents:
            counts["not_modified" if doc.body is None else "downloaded"] += 1
        outcome = await intake.take(submission_of(item))
        self._count(item, outcome)

    def _count(self, item: ReportItem, outcome: Outcome) -> None:
        counts = self.counts[item.site_id]
        if outcome.status == "unchanged":
            counts["unchanged"] += 1
        elif outcome.status in (
            "unreadable",
            "withheld",
        ):  # a finding says why (the crawl's, or the archive's)
            counts[outcome.status] += 1
        else:
            counts["checked"] += 1
        if outcome.year is not None:
            self.years[item.site_id].add(outcome.year)
        name = report_name(item.title, outcome.year or item.year)
        for (
            url,
            sha256,
            message,
        ) in outcome.crashed:  # our reader's failure, not the agency's: a crawl problem
            counts["reader_crashed"] += 1
            self._report_problem(
                item, "reader_crashed", f"{name}文件读取时读取进程崩溃", url, sha256=sha256, detail=message
            )

    async def _finish_when_taken(self, item: SiteDoneItem) -> None:
        """Finish the site's run once every report of it has been read, checked and recorded."""
        while self.inflight[item.site_id]:
            await asyncio.gather(*self.inflight[item.site_id], return_exceptions=True)
        if item.site_id in self.interrupted:
            return  # not judged on part of its reports: recorded as stopped (``record_unfinished``)
        try:
            self._finish_site(item)
        except Exception:
            logger.exception("could not record the crawl of site %s", item.site_id)

    def _finish_site(self, item: SiteDoneItem) -> None:
        from nianbao.crawl_result import SiteCrawl, finish_crawl, missing_years

        intake = self.intakes.get(item.site_id)
        if intake is None:
            return
        problems = self.problems.get(item.site_id, [])
        read = self.years.get(item.site_id, set())
        years_failed = {y: gone for y, gone in item.years_failed.items() if y not in read}
        years_found = (set(item.years_listed) - set(years_failed)) | read
        counts: dict[str, Any] = dict(self.counts.get(item.site_id, {}))
        counts.update(
            {
                "list_pages": item.pages,
                "requests": item.requests,
                "reports_found": item.reports,
                "interpretations_skipped": len(item.interpretations),
                "offsite_links": len(item.offsite),
                "duplicates": len(item.duplicates),
                "skipped_out_of_range": item.skipped_out_of_range,
                "capped": item.capped,
            }
        )
        crawl = SiteCrawl(
            problems,
            years_found,
            item.listing_complete,
            item.column_url,
            counts,
            years_failed=years_failed,
            errors=item.errors,
        )
        verdict = finish_crawl(intake, crawl, today=self.today or self.archive.today())
        # Written: forget the site (until then close_spider would try once more).
        for held in (self.intakes, self.problems, self.years, self.counts):
            held.pop(item.site_id, None)
        self.summary.append(
            {
                "site_id": item.site_id,
                "agency": intake.run.site.agency,
                "status": str(verdict.status),
                "run_id": verdict.summary.run_id,
                "counts": counts,
                "years_found": sorted(years_found),
                "missing": missing_years(verdict),
                "problems": [p.to_json() for p in problems],
                "opened": len(verdict.summary.findings.opened),
                "reopened": len(verdict.summary.findings.reopened),
                "resolved": len(verdict.summary.findings.resolved),
                "families": item.families,
                "redirects": item.redirects,
                "notes": item.notes,
            }
        )

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
        for site_id, intake in list(self.intakes.items()):
            # A site the crawl never finished (stopped, killed) or could not record: an error, never "ok".
            counts = dict(self.counts.get(site_id, {}))
            errors = [
                "抓取被中止，只记录了中止前读到的内容"
                if self.stopping
                else "抓取未完成（爬虫提前停止或记录失败）"
            ]
            try:
                try:
                    summary = intake.finish(RunStatus.ERROR, counts=counts, errors=errors)
                except Exception:  # what it read cannot be written: keep at least the failed run
                    logger.exception("could not record what the crawl of site %s read", site_id)
                    summary = intake.run.finish_failed(counts=counts, errors=errors)
            except Exception:
                logger.exception("could not record the crawl of site %s", site_id)
                continue
            self.summary.append(
                {
                    "site_id": site_id,
                    "agency": intake.run.site.agency,
                    "status": str(RunStatus.ERROR),
                    "run_id": summary.run_id,
                    "counts": {},
                    "problems": [],
                    "opened": 0,
                    "reopened": 0,
                    "resolved": 0,
                }
            )
        self.intakes.clear()
        if self.closed:
            return
        self.closed = True
        if self.stopping:  # a read still running is not waited for (the process exits after the stop)
            self.reader.close(wait=False)
        else:
            self.reader.close()
        if self.summary_path:
            Path(self.summary_path).write_text(
                json.dumps(
                    {"batch": self.batch, "sites": self.summary}, ensure_ascii=False, indent=1, default=str
                ),
                encoding="utf-8",
            )
        self.archive.close()
