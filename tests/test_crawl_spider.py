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
from crawler.middlewares import BackoffRetryMiddleware, SiteOffsiteMiddleware
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
            lambda r: IgnoreRequest("offsite: zyk.bjhd.gov.cn is not an allowed domain"),
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
