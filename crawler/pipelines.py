"""Item pipelines: thin calls into storage/ and monitor/.

``StoragePipeline`` keeps one storage ``SiteRun`` per site for the crawl:
documents go to the archive as they arrive (a 304 or an identical hash is
recorded as "seen again" and not read again); a report with a new or changed
document is read by the monitor (in a thread, so the crawl keeps moving),
checked with its publication date, and recorded; when the site's
``SiteDoneItem`` arrives its crawl-health findings and PUB.MISSING are added
and the run is finished in one transaction.

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
from scrapy.utils.asyncio import run_in_thread

from crawler.items import FetchedDocument, ProblemItem, ReportItem, SiteDoneItem
from crawler.reading import ReaderCrashed
from storage.findings import CRAWL_SCOPE_CODES  # the site's reachability: one finding per site, whatever page

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from monitor.model import Report
    from storage.runs import SiteRun, StoredDocument

logger = logging.getLogger(__name__)
STATUS_OF = {
    "CRAWL.BLOCKED": "blocked",
    "CRAWL.UNREACHABLE": "unreachable",
    "CRAWL.NO_REPORT_COLUMN": "no_report_column",
}


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


def _dates_seen(item: ReportItem) -> list[dict[str, Any]]:
    """The report's date evidence in storage's vocabulary (url | list | meta | text), quote kept."""
    seen = []
    for e in item.date_evidence:
        kind = e.source.split(":", 1)[0]
        quote = e.quote if kind != "list" else f"{e.quote}（列表页 {e.url}）"
        seen.append({"source": kind, "value": e.date, "quote": quote})
    return seen


def _score(report: Report) -> float:
    """How much of a report a document holds: sections and tables found, some text."""
    tables = sum(1 for t in report.tables.values() if t.found)
    return len(report.sections) * 10 + tables * 20 + min(len(report.body_text) / 1000, 5)


def _content_key(report: Report) -> str:
    """The report's content without volatile page chrome (view counters), to tell a real change."""
    data = report.to_json()
    return json.dumps(
        {
            "sections": {k: v["text"] for k, v in data["sections"].items()},
            "tables": data["tables"],
            "title": data["title"],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


class StoragePipeline:
    def __init__(self, crawler: Crawler, data_dir: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.data_dir = data_dir
        today = settings.get("NIANBAO_TODAY")
        self.today: date | None = date.fromisoformat(today) if today else None
        self.batch: str | None = settings.get("NIANBAO_BATCH")
        self.summary_path: str | None = settings.get("NIANBAO_SUMMARY_JSON")
        self.runs: dict[str, SiteRun] = {}
        self.problems: dict[str, list[ProblemItem]] = defaultdict(list)
        self.years: dict[str, set[int]] = defaultdict(set)
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.inflight: dict[str, set[asyncio.Future[Any]]] = defaultdict(set)
        self.closing: set[asyncio.Future[Any]] = set()
        self.summary: list[dict[str, Any]] = []
        self.read_workers = settings.getint("NIANBAO_READ_WORKERS", 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        data_dir = crawler.settings.get("NIANBAO_DATA")
        if not data_dir:
            raise NotConfigured
        return cls(crawler, data_dir)

    def open_spider(self) -> None:
        from storage.archive import Archive
        from storage.clock import CST
        from storage.runs import start_run

        clock = None
        if self.today is not None:
            today = self.today

            def clock() -> datetime:  # the real time of day on the day the crawl is judged
                return datetime.combine(today, datetime.now(CST).time(), CST)

        from crawler.reading import ReportReader

        self.reader = ReportReader(self.read_workers)
        self.archive = Archive.open(self.data_dir, clock=clock)
        self.batch = self.batch or self.archive.now()
        spider = self.crawler.spider
        for site_id in getattr(spider, "sites", {}):
            self.runs[site_id] = start_run(self.archive, site_id, kind="crawl", batch=self.batch)

    async def process_item(self, item: Any) -> Any:
        # Reading and checking run as background tasks: awaiting them here would keep the response in
        # Scrapy's scraper slot, and a full slot stops the engine from sending any site's next request.
        if isinstance(item, ReportItem):
            self._background(item.site_id, self._report(item))
        elif isinstance(item, ProblemItem):
            self.problems[item.site_id].append(item)
        elif isinstance(item, SiteDoneItem):
            self.closing.add(asyncio.ensure_future(self._finish_when_read(item)))
        return item

    def _background(self, site_id: str, work: Any) -> None:
        async def logged() -> None:
            try:
                await work
            except Exception:  # recorded in the log; the site's run still finishes
                logger.exception("could not record a report of site %s", site_id)
                self.counts[site_id]["record_errors"] += 1

        task = asyncio.ensure_future(logged())
        self.inflight[site_id].add(task)
        task.add_done_callback(self.inflight[site_id].discard)

    async def _finish_when_read(self, item: SiteDoneItem) -> None:
        """Finish the site's run once every report of it has been read, checked and recorded."""
        while self.inflight[item.site_id]:
            await asyncio.gather(*self.inflight[item.site_id], return_exceptions=True)
        try:
            self._finish_site(item)
        except Exception:
            logger.exception("could not record the crawl of site %s", item.site_id)

    # ---- reports ------------------------------------------------------------------------------

    async def _store(self, run: SiteRun, item: ReportItem) -> list[tuple[FetchedDocument, StoredDocument]]:
        stored = []
        counts = self.counts[item.site_id]
        for index, doc in enumerate(item.documents):
            dates = _dates_seen(item) if index == 0 else []
            if doc.body is None:
                found = run.document_unchanged(
                    doc.url, etag=doc.etag, last_modified=doc.last_modified, dates=dates
                )
                counts["not_modified"] += 1
                if found is None:
                    continue
                stored.append((doc, found))
                continue
            counts["downloaded"] += 1
            # The blob write (and its fsync) in a thread; store_document then finds the blob in place.
            await run_in_thread(run.archive.blobs.put, doc.body)
            stored.append(
                (
                    doc,
                    run.store_document(
                        doc.body,
                        url=doc.url,
                        name=doc.name or None,
                        content_type=doc.content_type,
                        etag=doc.etag,
                        last_modified=doc.last_modified,
                        dates=dates,
                    ),
                )
            )
        return stored

    async def _report(self, item: ReportItem) -> None:
        from monitor.rules import Publication
        from storage.checking import options_for

        run = self.runs.get(item.site_id)
        if run is None:
            return
        counts = self.counts[item.site_id]
        counts["reports"] += 1
        if item.year is not None:
            self.years[item.site_id].add(item.year)
        stored = await self._store(run, item)
        readable = [(d, s) for d, s in stored if d.role in ("page", "attachment")]
        if not readable or not any(s.is_new or s.is_new_version for _, s in stored):
            counts["unchanged"] += 1
            return  # every document as stored before: nothing to read or check again
        options = options_for(run.site, today=self.today)
        best: tuple[float, Report, StoredDocument] | None = None
        problems = []
        for doc, document in readable:
            data = doc.body if doc.body is not None else run.read_document(document)
            try:
                report, problem = await self.reader.read(data, doc.url, options, doc.content_type)
            except ReaderCrashed as exc:  # our reader's failure, not the agency's: a crawl problem
                counts["reader_crashed"] += 1
                problems.append(f"{doc.url}: {exc}")
                self.problems[item.site_id].append(
                    ProblemItem(
                        item.site_id,
                        "CRAWL.DOCUMENT_FAILED",
                        f"年报文件无法读取：{exc}",
                        doc.url,
                        {"kind": "reader_crashed", "report_url": item.url, "sha256": document.sha256},
                        listing=False,
                    )
                )
                continue
            if report is None:
                problems.append(f"{doc.url}: {problem}")
                continue
            score = _score(report)
            if best is None or score > best[0]:
                best = (score, report, document)
        pub = item.publication
        publication = (
            Publication(pub.date, pub.source, item.url, pub.quote)
            if pub
            else Publication(None, "详情页、列表页、网址", item.url)
        )
        if best is None:
            counts["unreadable"] += 1
            run.record_report(
                readable[0][1],
                None,
                year=item.year,
                parse_error="；".join(problems) or "无法读取",
                given_year=item.year,
                publication=publication,
                key=item.url,
            )
            return
        _, report, document = best
        if report.year is None and item.year is not None:
            report.year, report.year_source = item.year, "list title"
        if item.image_only and document.url == item.url:
            report.image_only = True
        if report.year is not None:
            self.years[item.site_id].add(report.year)
        changed = self._changed(run, report, document)
        findings = run.check(report, publication)
        # Keyed by the report's own URL: a site lists several departments' reports a year (部门年报).
        run.record_report(
            document,
            report,
            findings,
            year=report.year,
            given_year=item.year,
            publication=publication,
            key=item.url,
        )
        counts["checked"] += 1
        if changed is not None:
            run.add_finding(changed, year=report.year, url=document.url)

    def _changed(self, run: SiteRun, report: Report, document: StoredDocument) -> Any:
        """PUB.CHANGED when a report already archived at this URL now says something else."""
        from monitor.rules import finding
        from storage.reports import report_at_url

        if not document.is_new_version or report.year is None:
            return None
        # The report last read from this URL (a site may list several agencies' reports for one year).
        previous = report_at_url(run.archive.db, run.site.id, document.url)
        if previous is not None and _content_key(previous) == _content_key(report):
            return None  # the bytes changed (a view counter, a template), the report did not
        return finding(
            "PUB.CHANGED",
            f"{report.year}年度报告在发布后被修改或替换（内容与此前存档的版本不同）",
            {
                "url": document.url,
                "sha256": document.sha256,
                "previous_sha256": document.previous_sha256,
                "year": report.year,
            },
            subject=document.url or "",
        )

    # ---- the end of a site --------------------------------------------------------------------

    def _finish_site(self, item: SiteDoneItem) -> None:
        """Record the site's crawl: its problems, PUB.MISSING, and the run, in one transaction.

        The run stays in ``self.runs`` until it is written: when judging or writing fails (a bug, the
        database busy), the run is finished with status "error" and the error text instead, and if even
        that fails ``close_spider`` tries once more; the site's crawl is never silently dropped.
        """
        run = self.runs.get(item.site_id)
        if run is None:
            return
        problems = self.problems.pop(item.site_id, [])
        years_found = set(item.years_listed) | self.years.pop(item.site_id, set())
        counts = dict(self.counts.pop(item.site_id, {}))
        counts.update(
            {
                "list_pages": item.pages,
                "requests": item.requests,
                "reports_found": item.reports,
                "interpretations_skipped": len(item.interpretations),
                "offsite_links": len(item.offsite),
                "duplicates": len(item.duplicates),
            }
        )
        errors = [f"{p.code} {p.url} {p.message}" for p in problems]
        try:
            status, missing = self._judge_site(run, item, problems, years_found)
            summary = run.finish(status, counts=counts, errors=errors)
        except Exception as exc:
            logger.exception("could not record the crawl of site %s; recording it as an error", item.site_id)
            status, missing = "error", []
            self.counts[item.site_id] = counts  # for close_spider's last attempt, should this one fail too
            summary = run.finish(
                "error", counts=counts, errors=[*errors, f"记录抓取结果时出错（{type(exc).__name__}: {exc}）"]
            )
            self.counts.pop(item.site_id, None)
        self.runs.pop(item.site_id, None)
        self.summary.append(
            {
                "site_id": item.site_id,
                "agency": run.site.agency,
                "status": status,
                "run_id": summary.run_id,
                "counts": counts,
                "years_found": sorted(years_found),
                "missing": [f.evidence.get("year") for f in missing],
                "problems": [p.to_json() for p in problems],
                "opened": len(summary.findings.opened),
                "reopened": len(summary.findings.reopened),
                "resolved": len(summary.findings.resolved),
                "families": item.families,
                "redirects": item.redirects,
            }
        )

    def _judge_site(
        self, run: SiteRun, item: SiteDoneItem, problems: list[ProblemItem], years_found: set[int]
    ) -> tuple[str, list[Any]]:
        """The run's status; its crawl problems and PUB.MISSING added to the run (not yet written)."""
        from monitor.publication import missing_reports
        from monitor.rules import finding

        status = "ok"
        for code in ("CRAWL.BLOCKED", "CRAWL.UNREACHABLE", "CRAWL.NO_REPORT_COLUMN"):
            if any(p.code == code and p.listing for p in problems):
                status = STATUS_OF[code]
                break
        for p in problems:
            subject = "" if p.code in CRAWL_SCOPE_CODES else p.url
            run.add_finding(
                finding(p.code, p.message, {"url": p.url, **p.evidence}, subject=subject), url=p.url
            )
        today = self.today or self.archive.today()
        site = run.site
        missing = missing_reports(
            level=site.level,
            today=today,
            years_found=years_found,
            crawl_ok=status == "ok" and item.listing_complete,
            deadline_override=site.deadline,
            first_year=site.first_year,
            site_url=item.column_url or (site.start_urls[0] if site.start_urls else None),
        )
        for f in missing:
            run.add_finding(f, year=f.evidence.get("year"))
        return status, missing

    async def close_spider(self) -> None:
        pending = [t for tasks in self.inflight.values() for t in tasks] + list(self.closing)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*self.closing, return_exceptions=True)
        for site_id, run in list(self.runs.items()):
            # A site the crawl never finished (stopped, killed) or could not record: an error, never "ok".
            try:
                summary = run.finish(
                    "error",
                    counts=dict(self.counts.get(site_id, {})),
                    errors=["抓取未完成（爬虫提前停止或记录失败）"],
                )
            except Exception:
                logger.exception("could not record the crawl of site %s", site_id)
                continue
            self.summary.append(
                {
                    "site_id": site_id,
                    "agency": run.site.agency,
                    "status": "error",
                    "run_id": summary.run_id,
                    "counts": {},
                    "problems": [],
                    "opened": 0,
                    "reopened": 0,
                    "resolved": 0,
                }
            )
        self.runs.clear()
        self.reader.close()
        if self.summary_path:
            Path(self.summary_path).write_text(
                json.dumps(
                    {"batch": self.batch, "sites": self.summary}, ensure_ascii=False, indent=1, default=str
                ),
                encoding="utf-8",
            )
        self.archive.close()
