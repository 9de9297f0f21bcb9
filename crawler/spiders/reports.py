"""The one spider: every registered site, whatever its CMS, walked from its start URLs.

Per site: read the start page (family detected from the page), walk every page
of the list and its year/department sub-columns, keep the links whose titles
are annual reports (interpretation pages and news are set aside), fetch each
report's detail page and attachments, and date it from the detail page, the
list and the URL. Everything that goes wrong becomes an item (``ProblemItem``)
rather than a log line, and a ``SiteDoneItem`` closes each site, so the
pipeline can tell "no report" from "could not look".

Per-site facts are data (the sites registry); nothing here is per site.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import FormRequest, HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import adapters
from crawler.adapters.base import Entry
from crawler.detect import Verdict, classify_failure
from crawler.downloader import CrawlStopped
from crawler.items import FetchedDocument, ProblemItem, ReportItem, SiteDoneItem
from crawler.middlewares import OffsiteRefused
from crawler.signals import crawl_stopping
from crawler.state import Assembly, KnownDocuments, NothingKnown, Previous, SiteState
from crawler.urls import canonical, column_dir, domain_allowed, host_of, is_gateway, is_wap_copy
from monitor.model import CST, DateSeen
from monitor.portal.dates import choose_publication, date_from_url
from monitor.portal.links import is_document_link
from monitor.portal.page import Attachment, parse_detail
from monitor.portal.titles import classify_title
from monitor.publication import due_years
from nianbao.crawl_ledger import report_name
from nianbao.intake import Role

MAX_SUBCOLUMN_DEPTH = 3
MAX_LIST_REQUESTS = 1000  # per site: a runaway pager is cut here (and noted)
MAX_EXAMPLES = 20  # capped or skipped links named in a finding's evidence
_EMPTY_LIST = re.compile(r"暂无(相关)?(信息|数据|内容|记录|文章)|没有(相关)?(信息|数据|记录)")
# Failures that say the report is not there at all: its year counts as not found (PUB.MISSING 已列出但无法下载).
# Only the server's own 404/410: a page moved to another domain may well hold the report (Haidian →
# zyk.bjhd.gov.cn), and a "soft 404" is read from the page's words, too weak to call a report missing.
GONE_KINDS = frozenset({"http404"})
# Gateway answers worth one fresh link from the report page (an expired fileUrl answers in one of these ways).
_REFRESHABLE = frozenset({"gateway_expired", "http404", "soft404", "http4xx", "http5xx", "not_document"})
_GATEWAY_LIMITED = re.compile("(下载次数|频繁|上限|限流)")
_REASONS = {
    "soft404": "页面显示“不存在”",
    "timeout": "连接超时",
    "dns": "域名无法解析",
    "refused": "连接被拒绝",
    "too_large": "超过下载大小上限",
    "decompression_cap": "解压后超过大小上限，疑似压缩炸弹",
    "robots": "robots.txt 禁止抓取",
    "ruishu": "瑞数反爬挑战",
    "jiasule": "加速乐反爬挑战",
    "waf": "人机验证或拦截页面",
    "gateway_expired": "下载链接已失效",
    "gateway_limited": "下载次数受限",
    "not_document": "链接返回的不是文件",
    "cap": "超过每站抓取数量上限",
}


def short_reason(verdict: Verdict) -> str:
    """The few words in brackets after "无法下载": the HTTP status, or what went wrong."""
    status = verdict.evidence.get("status")
    if status and verdict.kind in ("http404", "http4xx", "http5xx", "restricted", "http"):
        return f"HTTP {status}"
    if verdict.kind == "offsite":
        return f"跳转到登记域名之外：{verdict.evidence.get('host', '')}".rstrip("：")
    return _REASONS.get(verdict.kind, verdict.message)


def first_year_that_matters(site: Any, today: date | None) -> int | None:
    """The site's first report year; without one, the first year PUB.MISSING judges (its look-back)."""
    first = getattr(site, "first_year", None)
    if first is not None:
        return int(first)
    due = due_years(
        getattr(site, "level", "department"),
        today or datetime.now(CST).date(),
        getattr(site, "deadline", None),
    )
    return due[0] if due else None


def entry_facts(entry: Entry, year: int | None) -> dict[str, Any]:
    """What the list page said about a report: every failure of it carries this."""
    return {
        "title": entry.title,
        "year": year,
        "list_date": entry.list_date.isoformat() if entry.list_date else None,
        "list_url": entry.list_url,
    }


Out = list[Any]


class _NoTraceback(logging.Filter):
    """robots.txt that cannot be fetched is not a program error: one line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_QUIET_ROBOTS = _NoTraceback()


Handler = Callable[["ReportSpider", SiteState, Any], Iterable[Any]]


def answers(handler: Handler) -> Callable[[ReportSpider, Any], Out]:
    """Make ``handler`` a callback or errback of a site's request: its output, then the request settled.

    Every request a site sends is counted once (``ReportSpider._send``) and settled here exactly once,
    whatever the handler yields or raises, so the site's end (``SiteDoneItem``) is never missed.
    """

    @functools.wraps(handler)
    def callback(spider: ReportSpider, answer: Any) -> Out:  # a Response, or a Failure for an errback
        request: Request = answer.request
        state = spider.states[request.meta["site_id"]]
        out: Out = []
        fallback = request.meta.get("https_fallback")
        if fallback:
            state.note(f"{host_of(request.url)}：{fallback['reason']}")
        try:
            out.extend(handler(spider, state, answer))
        except Exception as exc:
            out.extend(spider._handler_failed(state, request, exc))
        out.extend(spider._settle(state, listing=bool(request.meta.get("listing"))))
        return out

    return callback


class ReportSpider(Spider):
    name = "reports"

    def __init__(
        self,
        sites: Iterable[Any] | None = None,
        site_ids: str | Iterable[str] | None = None,
        today: str | date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._sites_arg = list(sites) if sites is not None else None
        if isinstance(site_ids, str):
            site_ids = [s for s in site_ids.split(",") if s]
        self._site_ids = list(site_ids) if site_ids else None
        self.today: date | None = date.fromisoformat(today) if isinstance(today, str) else today
        self.sites: dict[str, Any] = {}
        self.states: dict[str, SiteState] = {}
        self.known: KnownDocuments = NothingKnown()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReportSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler)
        return spider

    def _setup(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if self.today is None and settings.get("NIANBAO_TODAY"):
            self.today = date.fromisoformat(settings.get("NIANBAO_TODAY"))
        data_dir = settings.get("NIANBAO_DATA")
        sites = self._sites_arg
        if data_dir:
            from crawler.known import ArchiveKnown, registry_sites

            if sites is None:
                sites = registry_sites(data_dir, self._site_ids)
            self.known = ArchiveKnown(data_dir)
        elif settings.get("NIANBAO_KNOWN_JSON"):  # a queue's worker: what the archive held, sent with the job
            from crawler.known import SnapshotKnown

            self.known = SnapshotKnown(settings.get("NIANBAO_KNOWN_JSON"))
        for site in sites or []:
            self.sites[site.id] = site
            allowed = list(site.allowed_domains) or [host_of(u) for u in site.start_urls]
            self.states[site.id] = SiteState(site.id, allowed, bool(site.obey_robots))
        self.attachment_maxsize = settings.getint("NIANBAO_MAX_DOCUMENT_BYTES", 40 * 1024 * 1024)
        self.page_maxsize = settings.getint("NIANBAO_MAX_PAGE_BYTES", 8 * 1024 * 1024)
        self.max_reports = settings.getint("NIANBAO_MAX_REPORTS_PER_SITE", 500)
        self.max_attachments = settings.getint("NIANBAO_MAX_ATTACHMENTS_PER_SITE", 1000)
        all_years = settings.getbool("NIANBAO_ALL_YEARS")
        for site_id, state in self.states.items():
            state.first_year = None if all_years else first_year_that_matters(self.sites[site_id], self.today)
            state.latest = self.today
        self.stopping = False
        self._flushed: set[str] = set()
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._stop, signal=crawl_stopping)
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_QUIET_ROBOTS)

    def _stop(self) -> None:
        self.stopping = True

    # ---- requests -----------------------------------------------------------------------------

    def _meta(self, state: SiteState, role: str, **extra: Any) -> dict[str, Any]:
        meta = {"site_id": state.site_id, "role": role, **extra}
        if not state.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return meta

    def _allowed(self, state: SiteState, url: str) -> bool:
        if domain_allowed(host_of(url), state.allowed):
            return True
        state.offsite.add(url)
        return False

    def _list_request(
        self,
        state: SiteState,
        url: str,
        *,
        kind: str = "list",
        params: dict[str, Any] | None = None,
        depth: int = 0,
        start: bool = False,
        scope: str | None = None,
        method: str = "GET",
        formdata: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Request | None:
        form_key = "&".join(f"{k}={v}" for k, v in sorted((formdata or {}).items()))
        key = f"{method} {canonical(url)} {form_key}"
        if key in state.list_keys or not self._allowed(state, url):
            return None
        if len(state.list_keys) >= MAX_LIST_REQUESTS:
            state.notes.append(f"list requests capped at {MAX_LIST_REQUESTS}")
            return None
        state.list_keys.add(key)
        meta = self._meta(
            state,
            "list",
            kind=kind,
            params=params or {},
            depth=depth,
            start=start,
            scope=scope,
            download_maxsize=self.page_maxsize,
        )
        request = Request(
            url,
            method=method,
            callback=self.parse_list,
            errback=self.on_error,
            meta=meta,
            dont_filter=True,
            headers=headers or None,
        )
        if formdata is not None:  # Hanweb's dataproxy.jsp: a form POST
            request = request.replace(cls=FormRequest, formdata=formdata)
        return self._send(state, request, listing=True)

    def _send(self, state: SiteState, request: Request, *, listing: bool = False) -> Request:
        """The one place a site's request is counted; ``answers`` settles it when answered."""
        request.meta["listing"] = listing
        state.sent(listing=listing)
        return request

    def _conditional(self, state: SiteState, request: Request) -> Request:
        """Ask only for a changed copy of a document an earlier crawl stored (ETag / Last-Modified)."""
        previous = self.known.previous(state.site_id, request.url)  # request.url: the escaped form stored
        request.meta["previous"] = previous
        if previous is not None:
            if previous.etag:
                request.headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                request.headers["If-Modified-Since"] = previous.last_modified
            request.meta["handle_httpstatus_list"] = [304]
        return request

    def _report_request(self, state: SiteState, entry: Entry) -> Request | None:
        """The request for a listed report, unless the site's cap is reached (then it is counted)."""
        if state.report_requests >= self.max_reports:
            state.capped_reports += 1
            year = classify_title(entry.title).year
            if year is not None:
                state.years_unsettled.add(year)
            if len(state.capped_examples) < MAX_EXAMPLES:
                state.capped_examples.append({"title": entry.title, "url": entry.url, "year": year})
            return None
        state.report_requests += 1
        return self._detail_request(state, entry)

    def _detail_request(self, state: SiteState, entry: Entry) -> Request:
        role = "document" if is_document_link(entry.url) else "detail"
        meta = self._meta(
            state,
            role,
            entry=entry,
            download_maxsize=self.attachment_maxsize if role == "document" else self.page_maxsize,
        )
        callback = self.parse_document if role == "document" else self.parse_detail
        request = Request(entry.url, callback=callback, errback=self.on_error, meta=meta, dont_filter=True)
        return self._send(state, self._conditional(state, request))

    def _attachment_request(
        self, state: SiteState, key: str, attachment: Attachment, referer: str, *, refreshed: bool = False
    ) -> Request:
        meta = self._meta(
            state,
            "attachment",
            assembly=key,
            attachment=attachment,
            download_maxsize=self.attachment_maxsize,
            refreshed=refreshed,
        )
        request = Request(
            attachment.url,
            callback=self.parse_attachment,
            errback=self.on_error,
            meta=meta,
            headers={"Referer": referer},
            dont_filter=True,
        )
        return self._send(state, self._conditional(state, request))

    async def start(self) -> AsyncIterator[Any]:
        for site_id, state in self.states.items():
            site = self.sites[site_id]
            requests = []
            problem = "站点登记中没有可抓取的起始网址"
            try:
                for url in site.start_urls:
                    fragment = urlsplit(url).fragment
                    request = self._list_request(
                        state, url, start=True, params={"start_page": True, "fragment": fragment}
                    )
                    if request is not None:
                        requests.append(request)
            except Exception as exc:  # one site's unusable start URL must not stop the others
                self.logger.warning("site %s: start URL unusable: %r", site_id, exc)
                requests, problem = [], f"站点登记的起始网址无法抓取（{exc}）"
                state.pending = state.pending_lists = 0
            if not requests:
                yield ProblemItem(
                    site_id,
                    "CRAWL.NO_REPORT_COLUMN",
                    problem,
                    ", ".join(site.start_urls),
                    {"start_urls": list(site.start_urls)},
                )
                state.listing_problems += 1
                state.listing_done = state.finished = True
                yield self._site_done(state)
                continue
            for request in requests:
                yield request

    # ---- callbacks ----------------------------------------------------------------------------

    @answers
    def parse_list(self, state: SiteState, response: Response) -> Iterable[Any]:
        meta = response.meta
        kind = meta.get("kind", "list")
        start = bool(meta.get("start"))
        redirects = meta.get("redirect_urls") or []
        if redirects and start:
            state.redirects.append([redirects[0], response.url])
        if kind == "list":
            verdict = classify_failure(response.status, response.body, response.url)
            if verdict is not None:
                yield from self._list_failure(state, response.url, verdict, start)
                return
        if not isinstance(response, TextResponse):
            if start:
                yield from self._list_failure(
                    state,
                    response.url,
                    Verdict("not_found", "not_html", "起始网址不是网页，而是文件", {"url": response.url}),
                    start,
                )
            return
        state.pages += 1
        if response.request is not None and response.request.method == "GET":
            state.list_keys.add(f"GET {canonical(response.url)} ")  # reached by a redirect: not again
        scope = meta.get("scope") or column_dir(response.url)
        if start and not state.column_url:
            state.column_url = response.url
        params = {**meta.get("params", {}), "scope": scope}
        listing = adapters.parse(response.url, response.text, kind, params)
        if kind == "list":
            state.families.add(listing.family)
            if _EMPTY_LIST.search(response.text) and listing.column_hint:
                state.empty_column = True
        state.dated_items += listing.dated_items
        for note in listing.notes:
            state.note(note)
        state.column_hint = state.column_hint or listing.column_hint
        if listing.empty:
            state.empty_column = True
        depth = int(meta.get("depth", 0))
        for fetch in listing.fetches:
            request = self._list_request(
                state,
                fetch.url,
                kind=fetch.kind,
                params=fetch.params,
                depth=depth,
                scope=scope,
                method=fetch.method,
                formdata=fetch.formdata,
                headers=fetch.headers,
            )
            if request is not None:
                yield request
        if depth < MAX_SUBCOLUMN_DEPTH:
            for sub in listing.subcolumns:
                request = self._list_request(state, sub, depth=depth + 1, scope=scope)
                if request is not None:
                    yield request
        if start and not listing.entries and not listing.fetches and not listing.subcolumns:
            # A section page rather than the column: follow the links that name a report column.
            for column in listing.columns:
                request = self._list_request(
                    state,
                    column,
                    depth=depth + 1,
                    start=True,
                    scope=column_dir(column),
                    params={"start_page": True},
                )
                if request is not None:
                    yield request
        for entry in listing.entries:
            yield from self._consider(state, entry)

    def _consider(self, state: SiteState, entry: Entry) -> Iterable[Any]:
        if not self._allowed(state, entry.url):
            return
        info = classify_title(entry.title)
        if info.kind == "interpretation":
            state.interpretations.append({"title": entry.title, "url": entry.url})
            return
        if info.year is not None:
            state.years_listed.setdefault(info.year, set()).add(entry.url)
        key = canonical(entry.url)
        existing = state.entries.get(key)
        if existing is not None:
            if existing.url != entry.url:
                state.duplicates.append({"url": entry.url, "same_as": existing.url, "why": "same report"})
            return
        if key in state.skipped:
            return
        if self._out_of_range(state, entry, info.year):
            state.skipped.add(key)
            return
        if is_wap_copy(entry.url):
            state.held.setdefault(key, entry)
            return
        state.entries[key] = entry
        request = self._report_request(state, entry)
        if request is not None:
            yield request

    def _out_of_range(self, state: SiteState, entry: Entry, year: int | None) -> bool:
        """A report before the site's first year, or listed after ``--today``: not fetched (but counted).

        The title's year decides; without one, the list date does (a report of year Y is published in
        Y + 1 at the earliest, so a list date in the first year or before means an earlier report).
        """
        listed = entry.list_date
        before = state.first_year is not None and (
            (year is not None and year < state.first_year)
            or (year is None and listed is not None and listed.year <= state.first_year)
        )
        after = state.latest is not None and (
            (listed is not None and listed > state.latest)
            or (listed is None and year is not None and year >= state.latest.year)
        )
        if not (before or after):
            return False
        state.skipped_out_of_range += 1
        if len(state.skipped_examples) < MAX_EXAMPLES:
            state.skipped_examples.append(
                {
                    "title": entry.title,
                    "url": entry.url,
                    "why": "before_first_year" if before else "after_today",
                }
            )
        return True

    def _fetched(self, response: Response, role: Role, name: str = "") -> FetchedDocument:
        previous: Previous | None = response.meta.get("previous")

        def header(key: str) -> str | None:
            value = response.headers.get(key)
            return value.decode("latin-1") if value else None

        doc = FetchedDocument(
            response.url,
            role,
            response.status,
            response.body,
            content_type=header("Content-Type"),
            etag=header("ETag") or (previous.etag if previous else None),
            last_modified=header("Last-Modified") or (previous.last_modified if previous else None),
            name=name,
        )
        if response.status == 304 and previous is not None:
            doc.body, doc.not_modified, doc.sha256 = None, True, previous.sha256
            return doc
        if previous is not None and previous.sha256 == doc.sha256:
            doc.not_modified = True  # no validators, but the same bytes: nothing to read again
        return doc

    @answers
    def parse_detail(self, state: SiteState, response: Response) -> Iterable[Any]:
        entry: Entry = response.meta["entry"]
        if response.status != 304:
            verdict = classify_failure(response.status, response.body, response.url)
            if verdict is not None:
                yield from self._document_failure(state, entry, verdict, "detail")
                return
        doc = self._fetched(response, "page")
        seen_at = state.hashes.get(doc.sha256 or "")
        if seen_at is not None and seen_at != response.url:
            state.duplicates.append({"url": entry.url, "same_as": seen_at, "why": "same content"})
            return
        state.hashes[doc.sha256 or ""] = response.url
        if doc.body is not None:
            html_response = response
        else:  # 304: read the stored copy (no download) for its dates and attachment links
            stored = self.known.body(doc.sha256 or "")
            html_response = HtmlResponse(response.url, body=stored or b"", headers=response.headers)
        text = html_response.text if isinstance(html_response, TextResponse) else ""
        detail = parse_detail(text, response.url)
        title_info = classify_title(entry.title)
        year = title_info.year or detail.year
        if year is not None:
            state.years_listed.setdefault(year, set()).add(entry.url)
            state.years_obtained.add(year)
        evidence = self._evidence(entry, detail.dates, response.url)
        item = ReportItem(
            site_id=state.site_id,
            url=entry.url,
            title=entry.title if title_info.kind == "report" else (detail.title or entry.title),
            year=year,
            list_url=entry.list_url,
            family=next(iter(sorted(state.families)), ""),
            image_only=detail.image_only or title_info.image_edition,
            publication=choose_publication(evidence, self.today, year),
            date_evidence=evidence,
            documents=[doc],
            listing=entry_facts(entry, year),
        )
        attachments = [a for a in detail.attachments if self._allowed(state, a.url)]
        room = max(0, self.max_attachments - state.attachment_requests)
        for attachment in attachments[room:]:  # over the site's cap: named on the report, not fetched
            state.capped_attachments += 1
            item.failed.append(
                {"url": attachment.url, "name": attachment.name, "kind": "cap", "message": _REASONS["cap"]}
            )
        attachments = attachments[:room]
        if not attachments:
            state.reports += 1
            yield item
            return
        key = canonical(entry.url)
        state.assemblies[key] = Assembly(item, len(attachments))
        state.attachment_requests += len(attachments)
        for attachment in attachments:
            yield self._attachment_request(state, key, attachment, response.url)

    def _evidence(self, entry: Entry, page_dates: list[DateSeen], url: str) -> list[DateSeen]:
        evidence = list(page_dates)
        if entry.list_date is not None:
            evidence.append(DateSeen("list", entry.list_date, entry.date_quote, entry.list_url))
        for candidate in {entry.url, url}:
            from_url = date_from_url(candidate)
            if from_url is not None and from_url not in evidence:
                evidence.append(from_url)
        return evidence

    @answers
    def parse_document(self, state: SiteState, response: Response) -> Iterable[Any]:
        """A list link straight to a file: the file is the report."""
        entry: Entry = response.meta["entry"]
        verdict = _not_a_document(response)
        if verdict is not None:  # an error page where the file should be
            yield from self._document_failure(state, entry, verdict, "document")
            return
        doc = self._fetched(response, "attachment", entry.title)
        evidence = self._evidence(entry, [], response.url)
        info = classify_title(entry.title)
        if info.year is not None:
            state.years_obtained.add(info.year)
        state.reports += 1
        yield (
            ReportItem(
                state.site_id,
                entry.url,
                entry.title,
                info.year,
                entry.list_url,
                image_only=info.image_edition,
                publication=choose_publication(evidence, self.today, info.year),
                date_evidence=evidence,
                documents=[doc],
                listing=entry_facts(entry, info.year),
            )
        )

    @answers
    def parse_attachment(self, state: SiteState, response: Response) -> Iterable[Any]:
        attachment: Attachment = response.meta["attachment"]
        verdict = _not_a_document(response) if attachment.kind != "image" else None
        if verdict is not None:
            yield from self._attachment_trouble(state, response.meta, verdict)
            return
        role: Role = "image" if attachment.kind == "image" else "attachment"
        assembly = state.assemblies[response.meta["assembly"]]
        assembly.item.documents.append(self._fetched(response, role, attachment.name))
        yield from self._assembly_step(state, response.meta["assembly"])

    @answers
    def parse_refresh(self, state: SiteState, response: Response) -> Iterable[Any]:
        """The report page again, for a fresh link to an attachment whose gateway link had expired."""
        meta = response.meta
        old: Attachment = meta["attachment"]
        text = response.text if isinstance(response, TextResponse) else ""
        fresh = next(
            (a for a in parse_detail(text, response.url).attachments if _same_attachment(a, old)), None
        )
        if fresh is None or not self._allowed(state, fresh.url):
            yield from self._attachment_failed(state, meta, meta["first_failure"])
            return
        yield self._attachment_request(state, meta["assembly"], fresh, response.url, refreshed=True)

    def _assembly_step(self, state: SiteState, key: str) -> Out:
        assembly = state.assemblies[key]
        assembly.pending -= 1
        if assembly.pending > 0:
            return []
        del state.assemblies[key]
        state.reports += 1
        return [assembly.item]

    # ---- failures -----------------------------------------------------------------------------

    @answers
    def on_error(self, state: SiteState, failure: Failure) -> Iterable[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        if self.stopping or isinstance(failure.value, CrawlStopped):
            # A stopped crawl's failures say nothing about the site, but what it saw is incomplete:
            # the site is recorded as stopped, never judged (no PUB.MISSING from half a listing).
            state.cut_short = True
            return
        role = request.meta.get("role")
        verdict = self._failure_verdict(failure, request)
        if role == "list":
            if request.meta.get("params", {}).get("probe"):
                state.note(f"list page {request.url} (a probe past the stated count): {verdict.kind}")
                return
            yield from self._list_failure(state, request.url, verdict, bool(request.meta.get("start")))
        elif role in ("detail", "document"):
            yield from self._document_failure(state, request.meta["entry"], verdict, role)
        elif role == "attachment":
            yield from self._attachment_trouble(state, request.meta, verdict)
        elif role == "refresh":
            yield from self._attachment_failed(state, request.meta, request.meta["first_failure"])

    def _handler_failed(self, state: SiteState, request: Request, exc: Exception) -> Out:
        """A bug reading one answer must not end the site silently: an error of the run, or the report's failure."""
        self.logger.exception("%s %s could not be read", request.meta.get("role"), request.url)
        if request.meta.get("listing"):
            state.errors.append(f"列表页面无法解析（{type(exc).__name__}）：{request.url}")
            return []
        entry: Entry | None = request.meta.get("entry")
        verdict = Verdict(
            "CRAWL.DOCUMENT_FAILED",
            "parse_error",
            f"页面无法解析（{type(exc).__name__}: {exc}）",
            {"url": request.url, "detail": repr(exc)[:200]},
        )
        if entry is not None:
            return self._document_failure(state, entry, verdict, "detail")
        if request.meta.get("assembly") in state.assemblies:
            return self._attachment_failed(state, request.meta, verdict)
        return [
            self._problem(
                state,
                "CRAWL.DOCUMENT_FAILED",
                f"年报页面无法解析（{type(exc).__name__}）",
                request.url,
                {"url": request.url, "kind": "parse_error"},
                listing=False,
            )
        ]

    def _failure_verdict(self, failure: Failure, request: Request) -> Verdict:
        exc = failure.value
        url = request.url
        if isinstance(exc, HttpError):
            response = exc.response
            return classify_failure(response.status, response.body, response.url) or Verdict(
                "CRAWL.UNREACHABLE",
                "http",
                f"页面请求失败（HTTP {response.status}）",
                {"url": response.url, "status": response.status},
            )
        if isinstance(exc, IgnoreRequest):
            cause = exc.__cause__
            # Scrapy drops a body that inflates past the size cap (a gzip bomb) with IgnoreRequest; its cause is
            # a private class, known here by name.
            if type(cause).__name__ == "_DecompressionMaxSizeExceeded":
                return Verdict(
                    "CRAWL.DOCUMENT_FAILED",
                    "decompression_cap",
                    "文件解压后超过下载大小上限（疑似压缩炸弹），未下载",
                    {
                        "url": url,
                        "max_size": getattr(cause, "max_size", None),
                        "decompressed_so_far": getattr(cause, "decompressed_size", None),
                    },
                )
            if isinstance(exc, OffsiteRefused):
                redirects = request.meta.get("redirect_urls") or []
                return Verdict(
                    "offsite",
                    "offsite",
                    f"页面跳转到登记域名之外（{exc.host}），未跟随",
                    {"url": redirects[0] if redirects else url, "redirected_to": url, "host": exc.host},
                )
            if "robots" in str(exc).lower():
                return Verdict(
                    "CRAWL.BLOCKED",
                    "robots",
                    "robots.txt 禁止抓取该页面，已按规定停止；如站点另行许可，可在站点登记中设置 obey_robots: false",
                    {"url": url, "robots_txt": f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/robots.txt"},
                )
            return Verdict(
                "CRAWL.UNREACHABLE",
                "error",
                f"请求被放弃（{type(exc).__name__}）",
                {"url": url, "detail": str(exc)[:200]},
            )
        if isinstance(exc, DownloadCancelledError):
            return Verdict(
                "CRAWL.DOCUMENT_FAILED",
                "too_large",
                "文件超过下载大小上限，未下载",
                {"url": url, "detail": str(exc)[:200]},
            )
        if isinstance(exc, DownloadTimeoutError) or "timeout" in type(exc).__name__.lower():
            return Verdict("CRAWL.UNREACHABLE", "timeout", "连接超时，重试后仍无响应", {"url": url})
        if isinstance(exc, CannotResolveHostError):
            return Verdict("CRAWL.UNREACHABLE", "dns", "域名无法解析", {"url": url})
        if isinstance(exc, DownloadConnectionRefusedError) or "refused" in str(exc).lower():
            return Verdict("CRAWL.UNREACHABLE", "refused", "连接被拒绝，站点无法访问", {"url": url})
        return Verdict(
            "CRAWL.UNREACHABLE",
            "error",
            f"无法下载页面（{type(exc).__name__}）",
            {"url": url, "detail": str(exc)[:200]},
        )

    def _problem(
        self, state: SiteState, code: str, message: str, url: str, evidence: dict[str, Any], *, listing: bool
    ) -> ProblemItem:
        state.problems += 1
        if listing:
            state.listing_problems += 1
        return ProblemItem(state.site_id, code, message, url, evidence, listing)

    def _list_failure(self, state: SiteState, url: str, verdict: Verdict, start: bool) -> Out:
        if verdict.code == "CRAWL.DOCUMENT_FAILED":
            # A list page too large to read (or a bomb): part of the listing is unknown.
            verdict = Verdict(
                "CRAWL.UNREACHABLE", verdict.kind, f"列表页面{verdict.message}", verdict.evidence
            )
        if verdict.code in ("CRAWL.BLOCKED", "CRAWL.UNREACHABLE"):
            return [
                self._problem(
                    state,
                    verdict.code,
                    verdict.message,
                    url,
                    {**verdict.evidence, "kind": verdict.kind},
                    listing=True,
                )
            ]
        if start:
            message = {
                "soft404": "年报栏目页面不存在（返回 200 的“页面不存在”页）",
                "http404": "年报栏目页面不存在（HTTP 404），栏目地址可能已变更",
                "offsite": verdict.message,
            }.get(verdict.kind, verdict.message)
            return [
                self._problem(
                    state,
                    "CRAWL.NO_REPORT_COLUMN",
                    message,
                    url,
                    {**verdict.evidence, "kind": verdict.kind},
                    listing=True,
                )
            ]
        state.note(f"list page {url}: {verdict.kind}")
        return []

    def _document_failure(self, state: SiteState, entry: Entry, verdict: Verdict, role: str) -> Out:
        """A listed report whose page (or file) could not be fetched: a finding that names it."""
        year = classify_title(entry.title).year
        if year is not None:
            if verdict.kind in GONE_KINDS:
                state.gone.setdefault(year, []).append(
                    {
                        "title": entry.title,
                        "url": entry.url,
                        "kind": verdict.kind,
                        "reason": short_reason(verdict),
                    }
                )
            else:
                state.years_unsettled.add(year)
        code = "CRAWL.BLOCKED" if verdict.code == "CRAWL.BLOCKED" else "CRAWL.DOCUMENT_FAILED"
        what = "文件" if role == "document" else "页面"
        message = f"{report_name(entry.title, year)}{what}无法下载（{short_reason(verdict)}）"
        evidence = {
            **verdict.evidence,
            "kind": verdict.kind,
            "url": entry.url,
            **entry_facts(entry, year),
            "detail": verdict.message,
        }
        return [self._problem(state, code, message, entry.url, evidence, listing=False)]

    def _attachment_trouble(self, state: SiteState, meta: dict[str, Any], verdict: Verdict) -> Out:
        """An attachment that failed: once more through a fresh link when it came from a download gateway."""
        attachment: Attachment = meta["attachment"]
        if is_gateway(attachment.url) and verdict.kind in _REFRESHABLE and not meta.get("refreshed"):
            key = meta["assembly"]
            page_url = state.assemblies[key].item.url
            refresh = Request(
                page_url,
                callback=self.parse_refresh,
                errback=self.on_error,
                meta=self._meta(
                    state,
                    "refresh",
                    assembly=key,
                    attachment=attachment,
                    first_failure=verdict,
                    download_maxsize=self.page_maxsize,
                ),
                dont_filter=True,
            )
            return [self._send(state, refresh)]
        return self._attachment_failed(state, meta, verdict)

    def _attachment_failed(self, state: SiteState, meta: dict[str, Any], verdict: Verdict) -> Out:
        key = meta["assembly"]
        attachment: Attachment = meta["attachment"]
        assembly = state.assemblies[key]
        item = assembly.item
        item.failed.append(
            {
                "url": attachment.url,
                "name": attachment.name,
                "kind": verdict.kind,
                "message": short_reason(verdict),
            }
        )
        message = (
            f"{report_name(item.title, item.year)}附件“{attachment.name}”无法下载（{short_reason(verdict)}）"
        )
        evidence = {
            **verdict.evidence,
            "kind": verdict.kind,
            "url": attachment.url,
            "name": attachment.name,
            "report_url": item.url,
            **item.listing,
            "detail": verdict.message,
        }
        out: Out = [
            self._problem(state, "CRAWL.DOCUMENT_FAILED", message, attachment.url, evidence, listing=False)
        ]
        out.extend(self._assembly_step(state, key))
        return out

    # ---- the end of a site --------------------------------------------------------------------

    def _settle(self, state: SiteState, *, listing: bool) -> Out:
        """One of the site's requests was answered: what follows from that (held copies, the site's end)."""
        state.answered(listing=listing)
        return self._advance(state)

    def _advance(self, state: SiteState) -> Out:
        out: Out = []
        if state.pending_lists == 0 and not state.listing_done:
            state.listing_done = True
            for key, entry in state.held.items():
                if key in state.entries:
                    state.duplicates.append(
                        {"url": entry.url, "same_as": state.entries[key].url, "why": "_wap"}
                    )
                else:
                    state.entries[key] = entry
                    request = self._report_request(state, entry)
                    if request is not None:
                        out.append(request)
            out.extend(self._column_check(state))
        if state.pending == 0 and state.listing_done and not state.finished:
            state.finished = True
            out.extend(self._cap_reached(state))
            out.append(self._site_done(state))
        return out

    def _cap_reached(self, state: SiteState) -> Out:
        """One finding for every report link (and attachment) the site's cap left unfetched."""
        if not (state.capped_reports or state.capped_attachments):
            return []
        site = self.sites[state.site_id]
        parts = []
        if state.capped_reports:
            parts.append(f"另有 {state.capped_reports} 个年报链接未抓取（每站上限 {self.max_reports} 个）")
        if state.capped_attachments:
            parts.append(f"{state.capped_attachments} 个附件未下载（每站上限 {self.max_attachments} 个）")
        return [
            self._problem(
                state,
                "CRAWL.DOCUMENT_FAILED",
                "列出的年报过多，已达每站抓取上限：" + "，".join(parts),
                state.column_url or (site.start_urls[0] if site.start_urls else ""),
                {
                    "kind": "cap",
                    "not_fetched": state.capped_reports,
                    "attachments_not_fetched": state.capped_attachments,
                    "limit": self.max_reports,
                    "attachment_limit": self.max_attachments,
                    "examples": state.capped_examples,
                },
                listing=False,
            )
        ]

    def _column_check(self, state: SiteState) -> Out:
        """No report anywhere: a recognised but empty column, or no report column at all."""
        if state.entries or state.listing_problems or state.cut_short:  # a stop saw too little to say
            return []
        if state.column_hint and (state.dated_items or state.empty_column):
            return []  # the column is there and lists nothing: PUB.MISSING will speak
        site = self.sites[state.site_id]
        return [
            self._problem(
                state,
                "CRAWL.NO_REPORT_COLUMN",
                "起始页面上没有可识别的年报列表（未找到任何年报条目）",
                state.column_url or (site.start_urls[0] if site.start_urls else ""),
                {
                    "start_urls": list(site.start_urls),
                    "families": sorted(state.families),
                    "pages": state.pages,
                    "interpretations": len(state.interpretations),
                    "dated_items": state.dated_items,
                },
                listing=True,
            )
        ]

    def _on_idle(self, spider: Any = None) -> None:
        """Safety net: a site whose requests were lost (dropped without callback) is still closed."""
        stuck = [s for s in self.states.values() if not s.finished and s.site_id not in self._flushed]
        if not stuck:
            return
        for state in stuck:
            self._flushed.add(state.site_id)
            meta = {"site_id": state.site_id, "role": "flush"}
            self.crawler.engine.crawl(
                Request("data:,", callback=self._flush, errback=self._flush, meta=meta, dont_filter=True)
            )
        raise DontCloseSpider

    def _flush(self, response_or_failure: Any) -> Out:
        request = getattr(response_or_failure, "request", None)
        state = self.states[request.meta["site_id"]] if request is not None else None
        if state is None or state.finished:
            return []
        self.logger.warning("site %s: %d requests never answered; closing it", state.site_id, state.pending)
        state.note(f"{state.pending} requests never answered")
        out: Out = []
        if state.pending_lists > 0:  # part of the listing is unknown: absence cannot be judged
            site = self.sites[state.site_id]
            out.append(
                self._problem(
                    state,
                    "CRAWL.UNREACHABLE",
                    "部分栏目页面的请求没有得到回应，抓取不完整",
                    state.column_url or (site.start_urls[0] if site.start_urls else ""),
                    {"kind": "lost", "pending": state.pending},
                    listing=True,
                )
            )
        for key in list(state.assemblies):
            state.assemblies[key].pending = 1
            out.extend(self._assembly_step(state, key))
        state.abandon()
        # Releases held _wap copies if the listing never ended; their answers then close the site.
        out.extend(self._advance(state))
        return out

    def _site_done(self, state: SiteState) -> SiteDoneItem:
        unsettled = state.years_obtained | state.years_unsettled
        return SiteDoneItem(
            site_id=state.site_id,
            listing_complete=state.listing_problems == 0 and not state.errors,
            years_listed={y: sorted(urls) for y, urls in sorted(state.years_listed.items())},
            reports=state.reports,
            pages=state.pages,
            requests=state.requests,
            families=sorted(state.families),
            interpretations=state.interpretations,
            offsite=sorted(state.offsite),
            duplicates=state.duplicates,
            redirects=state.redirects,
            dated_items=state.dated_items,
            problems=state.problems,
            column_url=state.column_url,
            years_failed={y: gone for y, gone in sorted(state.gone.items()) if y not in unsettled},
            skipped_out_of_range=state.skipped_out_of_range,
            capped=state.capped_reports + state.capped_attachments,
            errors=list(state.errors),
            notes=list(state.notes),
            cut_short=state.cut_short,
        )


def _not_a_document(response: Response) -> Verdict | None:
    """An error page, a challenge, or a download gateway's refusal where a file should be."""
    content_type = (response.headers.get("Content-Type") or b"").lower()
    redirects = response.meta.get("redirect_urls", []) if response.request is not None else []
    gateway = any(is_gateway(u) for u in [response.url, *redirects])
    if content_type.startswith(b"text/html"):
        verdict = classify_failure(response.status, response.body, response.url)
        if verdict is not None or not gateway:
            return verdict
    elif not (
        content_type.startswith((b"application/json", b"text/json"))
        or (gateway and content_type.startswith(b"text/plain"))
    ):
        return None
    # JSON where a file should be: a download gateway saying no.
    head = response.body[:4096].decode("utf-8", "replace")
    limited = bool(_GATEWAY_LIMITED.search(head))
    return Verdict(
        "CRAWL.DOCUMENT_FAILED",
        "gateway_limited" if limited else ("gateway_expired" if gateway else "not_document"),
        "下载网关拒绝：下载次数受限" if limited else "链接返回的不是文件（下载链接可能已失效）",
        {"url": response.url, "status": response.status, "quote": head[:200]},
    )


def _same_attachment(candidate: Attachment, old: Attachment) -> bool:
    """The same attachment on a re-read page: the same file name (a gateway link's token changes)."""
    return bool(candidate.name and candidate.name == old.name) or file_name(candidate.url) == file_name(
        old.url
    )


def file_name(url: str) -> str:
    from urllib.parse import parse_qsl

    for key, value in parse_qsl(urlsplit(url).query):
        if key.lower() == "filename":
            return value
    return urlsplit(url).path.rsplit("/", 1)[-1]
