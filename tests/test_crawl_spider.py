"""The spider's callbacks offline: responses built from fixture bytes, no network, no reactor.

What is checked here is the bookkeeping that turns a crawl into facts: every
request of a site ends in a callback or an errback, the site closes with a
SiteDoneItem, failures become ProblemItems, _wap copies wait for the listing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.items import ProblemItem, ReportItem, SiteDoneItem
from crawler.middlewares import BackoffRetryMiddleware, OffsiteRefused, SiteOffsiteMiddleware
from crawler.spiders.reports import ReportSpider
from crawler.state import Previous
from storage.sites import Site
from tests.support.checks import present
from tests.support.paths import FIXTURES

PORTALS = FIXTURES / "portals"
BASE = "http://trs.example.gov.cn"


def make_spider(*sites: Site, known: Any = None) -> ReportSpider:
    crawler = get_crawler(ReportSpider, {"NIANBAO_TODAY": "2024-06-01"})
    spider = ReportSpider.from_crawler(crawler, sites=list(sites))
    crawler.spider = spider
    if known is not None:
        spider.known = known
    return spider


def trs_site(**extra: Any) -> Site:
    return Site(
        id="trs", agency="青山市人民政府", start_urls=[f"{BASE}/zfxxgk/zfxxgknb/index.shtml"], **extra
    )


async def start_requests(spider: ReportSpider) -> list[Any]:
    return [r async for r in spider.start()]


def respond(
    request: Request,
    body: bytes,
    status: int = 200,
    url: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    cls = HtmlResponse if body.lstrip().startswith(b"<") or not body else TextResponse
    return cls(url or request.url, status=status, body=body, request=request, headers=headers)


def serve_file(request: Request) -> Response:
    """Answer a request from the TRS fixture tree, as the mock server would."""
    path = request.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
    target = PORTALS / "trs" / path
    if target.is_file():
        return respond(request, target.read_bytes().replace(b"{{host:mirror}}", b"http://mirror.example.com"))
    return respond(request, b"<html>404</html>", status=404)


def callback(request: Request) -> Callable[..., Any]:
    """The callback of a request the spider made (it always names one)."""
    assert callable(request.callback)
    return request.callback


def run_site(spider: ReportSpider, requests: list[Any]) -> list[Any]:
    """Drive the callbacks breadth-first until no request is left; return every item."""
    items: list[Any] = []
    queue = list(requests)
    while queue:
        request = queue.pop(0)
        response = serve_file(request)
        if response.status >= 400 and response.status not in request.meta.get("handle_httpstatus_list", []):
            failure = Failure(HttpError(response, "Ignoring non-200 response"))
            failure.request = request  # type: ignore[attr-defined]
            output = request.errback(failure)
        else:
            output = request.callback(response)
        for thing in output:
            (queue if isinstance(thing, Request) else items).append(thing)
    return items


def test_a_whole_trs_site_offline() -> None:
    import asyncio

    spider = make_spider(trs_site())
    items = run_site(spider, asyncio.run(start_requests(spider)))
    reports = [i for i in items if isinstance(i, ReportItem)]
    done = [i for i in items if isinstance(i, SiteDoneItem)]
    assert len(reports) == 9 and len(done) == 1 and items[-1] is done[0]
    assert done[0].listing_complete and sorted(done[0].years_listed) == [2021, 2022, 2023]
    assert done[0].offsite == ["http://mirror.example.com/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml"]
    assert [d["why"] for d in done[0].duplicates] == ["_wap"]
    assert len(done[0].interpretations) == 2
    with_files = next(r for r in reports if r.url.endswith("t20240129_1926722.shtml"))
    assert [d.role for d in with_files.documents] == ["page", "attachment", "attachment"]
    assert spider.states["trs"].pending == 0


def test_conditional_requests_and_304() -> None:
    import asyncio

    page = f"{BASE}/zfxxgk/zfxxgknb/202201/t20220118_1500001.shtml"
    stored = (PORTALS / "trs/zfxxgk/zfxxgknb/202201/t20220118_1500001.shtml").read_bytes()

    class Known:
        def previous(self, site_id: str, url: str) -> Previous | None:
            return Previous("abc123", '"etag-1"', "Mon, 01 Jan 2024 00:00:00 GMT") if url == page else None

        def body(self, sha256: str) -> bytes | None:
            return stored if sha256 == "abc123" else None

    spider = make_spider(trs_site(), known=Known())
    asyncio.run(start_requests(spider))
    from crawler.adapters.base import Entry

    request = spider._detail_request(
        spider.states["trs"],
        Entry(page, "青山市教育局2021年政府信息公开工作年度报告", f"{BASE}/zfxxgk/zfxxgknb/index.shtml"),
    )
    assert request.headers["If-None-Match"] == b'"etag-1"'
    assert request.meta["handle_httpstatus_list"] == [304]
    (item, *_rest) = callback(request)(respond(request, b"", status=304))
    assert isinstance(item, ReportItem) and item.unchanged and item.documents[0].sha256 == "abc123"
    # The publication is read from the stored copy.
    assert item.year == 2021 and present(item.publication).source == "text:发布时间"


def _fail(request: Request, exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = request  # type: ignore[attr-defined]
    return failure


@pytest.mark.parametrize(
    ("make_exc", "code", "kind"),
    [
        (
            lambda r: HttpError(
                HtmlResponse(
                    r.url, status=412, body=(PORTALS / "traps/ruishu412.html").read_bytes(), request=r
                ),
                "x",
            ),
            "CRAWL.BLOCKED",
            "ruishu",
        ),
        (
            lambda r: HttpError(HtmlResponse(r.url, status=403, body=b"<h1>Forbidden</h1>", request=r), "x"),
            "CRAWL.BLOCKED",
            "restricted",
        ),
        (lambda r: IgnoreRequest("Forbidden by robots.txt"), "CRAWL.BLOCKED", "robots"),
        (lambda r: DownloadTimeoutError("took longer than 1.0 seconds"), "CRAWL.UNREACHABLE", "timeout"),
        (
            lambda r: HttpError(HtmlResponse(r.url, status=503, body=b"", request=r), "x"),
            "CRAWL.UNREACHABLE",
            "http5xx",
        ),
        (
            lambda r: HttpError(HtmlResponse(r.url, status=404, body=b"", request=r), "x"),
            "CRAWL.NO_REPORT_COLUMN",
            "http404",
        ),
        # The column moved to another domain (Haidian → zyk.bjhd.gov.cn): reported, not followed.
        (
            lambda r: OffsiteRefused("zyk.bjhd.gov.cn"),
            "CRAWL.NO_REPORT_COLUMN",
            "offsite",
        ),
    ],
)
def test_start_page_failures_become_findings(make_exc: Any, code: str, kind: str) -> None:
    import asyncio

    spider = make_spider(trs_site())
    (request,) = asyncio.run(start_requests(spider))
    out = spider.on_error(_fail(request, make_exc(request)))
    problem, done = out
    assert isinstance(problem, ProblemItem) and (problem.code, problem.evidence["kind"]) == (code, kind)
    assert problem.listing
    assert isinstance(done, SiteDoneItem) and not done.listing_complete


def test_a_start_page_without_reports_is_no_report_column() -> None:
    import asyncio

    spider = make_spider(trs_site())
    (request,) = asyncio.run(start_requests(spider))
    page = (PORTALS / "traps/news/xwzx/index.html").read_bytes()
    problem, done = spider.parse_list(respond(request, page))
    assert problem.code == "CRAWL.NO_REPORT_COLUMN" and isinstance(done, SiteDoneItem)


def test_offsite_is_per_site() -> None:
    a = Site(id="a", agency="甲", start_urls=["http://a.gov.cn/nb/"])
    b = Site(id="b", agency="乙", start_urls=["http://b.gov.cn/nb/"])
    spider = make_spider(a, b)
    middleware = SiteOffsiteMiddleware(spider.crawler)
    middleware.process_request(Request("http://www.a.gov.cn/x.html", meta={"site_id": "a"}))
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://b.gov.cn/x.html", meta={"site_id": "a"}))
    with pytest.raises(IgnoreRequest):  # a redirect to a mirror keeps its site and is refused
        middleware.process_request(Request("http://brianwinch.com/zwgk/x.html", meta={"site_id": "b"}))
    middleware.process_request(Request("http://robots.example/robots.txt"))  # no site: not checked


def test_backoff_doubles_and_caps() -> None:
    crawler = get_crawler(ReportSpider, {"RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 10.0})
    middleware = BackoffRetryMiddleware(crawler.settings)
    assert [middleware.backoff(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]


def test_an_attachment_over_the_size_cap_is_a_document_failure() -> None:
    import asyncio

    from scrapy.exceptions import DownloadCancelledError

    spider = make_spider(trs_site())
    asyncio.run(start_requests(spider))
    page_url = f"{BASE}/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml"
    from crawler.adapters.base import Entry

    detail = spider._detail_request(
        spider.states["trs"],
        Entry(page_url, "青山市教育局2023年政府信息公开工作年度报告", f"{BASE}/zfxxgk/zfxxgknb/index.shtml"),
    )
    pdf, xls = callback(detail)(serve_file(detail))
    assert pdf.meta["download_maxsize"] == spider.attachment_maxsize
    assert xls.callback(serve_file(xls)) == []  # the report waits for its other attachment
    problem, item = spider.on_error(
        _fail(pdf, DownloadCancelledError("expected response size larger than max"))
    )
    assert (
        problem.code == "CRAWL.DOCUMENT_FAILED"
        and problem.evidence["kind"] == "too_large"
        and not problem.listing
    )
    assert isinstance(item, ReportItem) and [d.role for d in item.documents] == ["page", "attachment"]
    assert item.failed[0]["kind"] == "too_large"


def test_a_site_whose_requests_were_lost_is_still_closed() -> None:
    import asyncio

    spider = make_spider(trs_site())
    asyncio.run(start_requests(spider))
    state = spider.states["trs"]
    assert state.pending == 1  # the start page was "dropped": no callback will ever come
    problem, done = spider._flush(
        HtmlResponse("data:,", body=b"", request=Request("data:,", meta={"site_id": "trs"}))
    )
    assert problem.code == "CRAWL.UNREACHABLE" and problem.listing
    assert isinstance(done, SiteDoneItem) and state.finished and not done.listing_complete
    assert (
        spider._flush(HtmlResponse("data:,", body=b"", request=Request("data:,", meta={"site_id": "trs"})))
        == []
    )


# ---- failures name their report; hostile answers are findings (issues 12, 14) -------------------

REPORT_2023 = "青山市教育局2023年政府信息公开工作年度报告"


def _entry(url: str, title: str = REPORT_2023, listed: str | None = "2024-01-29") -> Any:
    from datetime import date

    from crawler.adapters.base import Entry

    return Entry(
        url, title, f"{BASE}/zfxxgk/zfxxgknb/index.shtml", date.fromisoformat(listed) if listed else None
    )


def _wrapped_report(spider: ReportSpider) -> tuple[Request, Request]:
    """The 2023 report page with its two attachments requested: (pdf, xls)."""
    import asyncio

    asyncio.run(start_requests(spider))
    detail = spider._detail_request(
        spider.states["trs"], _entry(f"{BASE}/zfxxgk/zfxxgknb/202401/t20240129_1926722.shtml")
    )
    assert detail.callback is not None
    pdf, xls = detail.callback(serve_file(detail))
    return pdf, xls


def test_a_gzip_bomb_attachment_is_a_finding_naming_its_report() -> None:
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded

    spider = make_spider(trs_site())
    pdf, xls = _wrapped_report(spider)
    assert xls.callback is not None
    xls.callback(serve_file(xls))
    bomb = IgnoreRequest("Ignored response … exceeded DOWNLOAD_MAXSIZE during decompression")
    bomb.__cause__ = _DecompressionMaxSizeExceeded(8454144, 8388608)
    problem, item = spider.on_error(_fail(pdf, bomb))
    assert (problem.code, problem.evidence["kind"], problem.listing) == (
        "CRAWL.DOCUMENT_FAILED",
        "decompression_cap",
        False,
    )
    assert (
        problem.message
        == f"2023年度报告附件“{pdf.meta['attachment'].name}”无法下载（解压后超过大小上限，疑似压缩炸弹）"
    )
    assert (problem.evidence["title"], problem.evidence["year"], problem.evidence["list_date"]) == (
        REPORT_2023,
        2023,
        "2024-01-29",
    )
    assert isinstance(item, ReportItem) and item.failed[0]["kind"] == "decompression_cap"


def test_a_report_page_redirected_off_the_site_is_a_finding_not_followed() -> None:
    import asyncio

    spider = make_spider(trs_site())
    asyncio.run(start_requests(spider))
    entry = _entry(
        f"{BASE}/zfxxgk/zfxxgknb/202301/t20230116_1700011.shtml",
        "青山市教育局2022年政府信息公开工作年度报告",
        "2023-01-16",
    )
    detail = spider._detail_request(spider.states["trs"], entry)
    moved = detail.replace(url="http://zyk.bjhd.gov.cn/nb/2022.html")
    moved.meta["redirect_urls"] = [detail.url]
    (problem,) = spider.on_error(_fail(moved, OffsiteRefused("zyk.bjhd.gov.cn")))
    assert problem.code == "CRAWL.DOCUMENT_FAILED" and problem.url == entry.url
    assert problem.message == "2022年度报告页面无法下载（跳转到登记域名之外：zyk.bjhd.gov.cn）"
    assert problem.evidence["redirected_to"] == "http://zyk.bjhd.gov.cn/nb/2022.html"
    assert problem.evidence["year"] == 2022
    assert spider.states["trs"].years_unsettled == {2022}  # the report may be there: not a missing year


def test_a_404_report_page_names_its_year_and_makes_the_year_not_found() -> None:
    import asyncio

    spider = make_spider(trs_site())
    asyncio.run(start_requests(spider))
    state = spider.states["trs"]
    entry = _entry(
        f"{BASE}/zfxxgk/zfxxgknb/202301/t20230199_404.shtml",
        "青山市教育局2022年政府信息公开工作年度报告",
        "2023-01-16",
    )
    detail = spider._detail_request(state, entry)
    failure = _fail(detail, HttpError(HtmlResponse(detail.url, status=404, body=b"", request=detail), "x"))
    (problem,) = spider.on_error(failure)
    assert problem.message == "2022年度报告页面无法下载（HTTP 404）"
    assert (problem.evidence["title"], problem.evidence["list_date"]) == (entry.title, "2023-01-16")
    state.pending = state.pending_lists = 0
    state.listing_done = True
    (*_, done) = spider._advance(state)
    assert list(done.years_failed) == [2022] and done.years_failed[2022][0]["reason"] == "HTTP 404"


def test_a_site_whose_requests_a_stop_dropped_is_not_judged() -> None:
    """A stop drops a site's waiting requests: the site ends, but as cut short, never judged on half a listing."""
    import asyncio

    from crawler.downloader import CrawlStopped

    spider = make_spider(trs_site())
    (start,) = asyncio.run(start_requests(spider))
    state = spider.states["trs"]
    done = spider.on_error(_fail(start, CrawlStopped("crawl stopped before it was sent")))
    (last,) = [item for item in done if isinstance(item, SiteDoneItem)]
    assert last.cut_short and state.problems == 0  # no finding about the site from a stop


def _list_of(entries: list[tuple[str, str, str | None]]) -> bytes:
    items = "".join(
        f'<li><a href="./{path}" title="{title}">{title}</a><span>{listed or ""}</span></li>'
        for path, title, listed in entries
    )
    return f"<html><head><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>".encode()


def _years_site_requests(first_year: int | None, **settings: Any) -> tuple[ReportSpider, list[str]]:
    import asyncio

    crawler = get_crawler(ReportSpider, {"NIANBAO_TODAY": "2024-06-01", **settings})
    spider = ReportSpider.from_crawler(crawler, sites=[trs_site(first_year=first_year)])
    crawler.spider = spider
    (start,) = asyncio.run(start_requests(spider))
    page = _list_of(
        [
            ("202401/t20240120_1.shtml", "青山市教育局2023年政府信息公开工作年度报告", "2024-01-20"),
            ("202301/t20230120_2.shtml", "青山市教育局2022年政府信息公开工作年度报告", "2023-01-20"),
            ("202201/t20220120_3.shtml", "青山市教育局2021年政府信息公开工作年度报告", "2022-01-20"),
            ("202501/t20250120_4.shtml", "青山市教育局2024年政府信息公开工作年度报告", "2025-01-20"),
            ("202101/t20210120_5.shtml", "关于政府信息公开工作的年度报告", "2021-01-20"),
        ]
    )
    out = spider.parse_list(respond(start, page))
    return spider, sorted(r.url.rsplit("_", 1)[1] for r in out if isinstance(r, Request))


def test_only_the_years_that_matter_are_fetched() -> None:
    spider, fetched = _years_site_requests(2022)
    # 2021 is before the first year; the undated-title one listed in 2021 too; 2024's is listed after --today.
    assert fetched == ["1.shtml", "2.shtml"]
    assert spider.states["trs"].skipped_out_of_range == 3
    _, everything = _years_site_requests(2022, NIANBAO_ALL_YEARS=True)
    assert everything == [
        "1.shtml",
        "2.shtml",
        "3.shtml",
        "5.shtml",
    ]  # --all-years; still nothing after --today


def test_without_a_first_year_the_look_back_of_pub_missing_applies() -> None:
    _, fetched = _years_site_requests(None)
    assert fetched == [
        "1.shtml",
        "2.shtml",
        "3.shtml",
    ]  # due: 2021–2023 (three years back), the undated one is 2020's


def test_the_per_site_cap_is_reported_when_reached() -> None:
    import asyncio

    crawler = get_crawler(ReportSpider, {"NIANBAO_TODAY": "2024-06-01", "NIANBAO_MAX_REPORTS_PER_SITE": 2})
    spider = ReportSpider.from_crawler(crawler, sites=[trs_site(first_year=2020)])
    crawler.spider = spider
    (start,) = asyncio.run(start_requests(spider))
    page = _list_of(
        [
            (f"2024/t2024012{n}_{n}.shtml", f"青山市第{n}中学2023年政府信息公开工作年度报告", "2024-01-20")
            for n in range(5)
        ]
    )
    requests = [r for r in spider.parse_list(respond(start, page)) if isinstance(r, Request)]
    assert len(requests) == 2
    out: list[Any] = []
    for request in requests:
        out += spider.on_error(_fail(request, DownloadTimeoutError("x")))
    cap = next(p for p in out if isinstance(p, ProblemItem) and p.evidence["kind"] == "cap")
    assert cap.evidence["not_fetched"] == 3 and "每站上限 2 个" in cap.message
    assert isinstance(out[-1], SiteDoneItem) and out[-1].capped == 3


def test_a_list_page_our_code_cannot_read_makes_the_site_an_error_not_a_judgement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from crawler import adapters

    spider = make_spider(trs_site())
    (start,) = asyncio.run(start_requests(spider))

    def broken(*args: Any) -> Any:
        raise OverflowError("int too large")

    monkeypatch.setattr(adapters, "parse", broken)
    out = spider.parse_list(respond(start, b"<html><body>x</body></html>"))
    done = next(i for i in out if isinstance(i, SiteDoneItem))
    assert not done.listing_complete and "OverflowError" in done.errors[0]


def test_one_unusable_start_url_does_not_stop_the_other_sites() -> None:
    import asyncio

    bad = Site(id="bad", agency="甲", start_urls=["http://"], allowed_domains=["a.gov.cn"])
    good = trs_site()
    spider = make_spider(bad, good)
    out = asyncio.run(start_requests(spider))
    assert [type(o).__name__ for o in out] == ["ProblemItem", "SiteDoneItem", "Request"]
    assert out[0].code == "CRAWL.NO_REPORT_COLUMN" and out[2].meta["site_id"] == "trs"


def test_no_extension_listens_on_the_network() -> None:
    from scrapy.utils.conf import build_component_list

    from crawler.run import build_settings

    settings = build_settings()
    enabled = build_component_list(settings.getwithbase("EXTENSIONS"))
    assert "crawler.extensions.CrawlProgress" in enabled
    assert not {
        "scrapy.extensions.remote_control.RemoteControl",
        "scrapy.extensions.telnet.TelnetConsole",
    } & set(enabled)
    assert not settings.getbool("REMOTE_CONTROL_ENABLED") and not settings.getbool("TELNETCONSOLE_ENABLED")


def test_slots_are_per_address_and_the_delay_runs_from_the_answer() -> None:
    from types import SimpleNamespace

    from scrapy.core.downloader import Slot
    from scrapy.resolver import dnscache

    from crawler.downloader import PoliteDownloader

    dnscache["a.platform.example.gov.cn"] = "10.1.2.3"
    dnscache["b.platform.example.gov.cn"] = "10.1.2.3"
    # A stale meta slot (a redirect keeps its source's) does not decide: the request's own host does.
    a = Request("http://a.platform.example.gov.cn/x", meta={"download_slot": "elsewhere.gov.cn"})
    b = Request("http://b.platform.example.gov.cn/y")
    key = PoliteDownloader.get_slot_key
    assert key(None, a) == key(None, b) == "10.1.2.3"  # type: ignore[arg-type]
    assert key(None, Request("http://unknown.example.gov.cn/")) == "unknown.example.gov.cn"  # type: ignore[arg-type]
    slot = Slot(1, 1.0, 0.0)
    downloader = SimpleNamespace(slots={"10.1.2.3": slot}, DOWNLOAD_SLOT="download_slot")
    b.meta["download_slot"] = "10.1.2.3"
    PoliteDownloader._answered(downloader, b)  # type: ignore[arg-type]
    assert slot.lastseen > 0.0  # the next request waits a full delay from this answer


def test_a_failed_https_handshake_is_asked_again_over_http() -> None:
    from OpenSSL.SSL import Error as SSLError
    from scrapy.exceptions import DownloadFailedError
    from twisted.web._newclient import ResponseNeverReceived

    from crawler.middlewares import HttpsFallbackMiddleware

    crawler = get_crawler(ReportSpider)
    middleware = HttpsFallbackMiddleware(crawler)
    request = Request("https://www.example.gov.cn:8443/nb/", meta={"site_id": "x"})
    failed = DownloadFailedError("handshake")
    failed.__cause__ = ResponseNeverReceived(
        [Failure(SSLError([("SSL routines", "", "wrong version number")]))]
    )
    again = middleware.process_exception(request, failed)
    assert again is not None and again.url == "http://www.example.gov.cn:8443/nb/"
    assert "https 握手失败" in again.meta["https_fallback"]["reason"]
    later = middleware.process_request(Request("https://www.example.gov.cn:8443/robots.txt"))
    assert later is not None and later.url.startswith("http://")
    assert middleware.process_exception(request, DownloadTimeoutError("x")) is None  # a timeout is not TLS
