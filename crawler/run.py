"""Run one crawl in this process (the child ``nianbao crawl`` starts): ``python -m crawler.run``.

Twisted's reactor cannot be restarted, so every crawl gets a fresh process.
Settings are built explicitly from ``crawler.settings`` (no reliance on
``scrapy.cfg`` being found from the working directory), then overridden by
``--set KEY=VALUE`` (tests shrink delays and timeouts this way)::

    python -m crawler.run --data data --site gzjkq-jtfw --today 2025-02-10 \\
        --summary /tmp/summary.json --set DOWNLOAD_DELAY=0.2

Scrapy's log goes to a file, never to the terminal: ``LOG_FILE`` (``nianbao
crawl`` names one per crawl under ``<data>/logs/``; by default
``<data>/logs/crawl.log``). ``NIANBAO_VERBOSE`` shows it on stderr too. The
terminal gets the progress line and, when something goes wrong, one Chinese
line naming the log; a traceback only with ``NIANBAO_DEBUG`` set.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, cast

import crawler  # noqa: F401  (tldextract offline before Scrapy loads)


def build_settings(
    data_dir: str | None = None,
    today: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if data_dir:
        settings.set("NIANBAO_DATA", data_dir, priority="cmdline")
    if today:
        settings.set("NIANBAO_TODAY", today, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def _value(text: str) -> Any:
    """--set values: JSON when they parse (numbers, booleans, lists, dicts), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


KEEP_LOGS = 30  # crawl logs kept in <data>/logs/ (the oldest go first)


def log_setup(settings: Any) -> Path | None:
    """Point Scrapy's log at a file (made ready here) and, with NIANBAO_VERBOSE, at stderr too."""
    path = settings.get("LOG_FILE")
    if not path and settings.get("NIANBAO_DATA"):
        path = str(Path(settings.get("NIANBAO_DATA")) / "logs" / "crawl.log")
        settings.set("LOG_FILE", path, priority="cmdline")
    if not path:
        return None
    log = Path(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    old = sorted(log.parent.glob("crawl-*.log"), key=lambda p: p.stat().st_mtime)
    for stale in old[: max(0, len(old) - KEEP_LOGS + 1)]:
        stale.unlink(missing_ok=True)
    return log


def _echo_log(settings: Any) -> None:
    """--verbose: the log on stderr as well as in its file (installed after Scrapy's own set-up)."""
    if not settings.getbool("NIANBAO_VERBOSE", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL"))
    logging.getLogger().addHandler(handler)


def crawl(settings: Any, site_ids: list[str] | None = None, sites: list[Any] | None = None) -> int:
    """Run the report spider to the end; returns 0 when the crawl itself ran (findings are data)."""
    from crawler.spiders.reports import ReportSpider

    log_setup(settings)
    process = _process_class()(settings)
    _echo_log(settings)
    kwargs: dict[str, Any] = {}
    if site_ids:
        kwargs["site_ids"] = site_ids
    if sites is not None:
        kwargs["sites"] = sites
    crawler_ = process.create_crawler(ReportSpider)
    process.crawl(crawler_, **kwargs)
    process.start()
    if process.stop_requested:
        return 1
    stats = crawler_.stats.get_stats() if crawler_.stats else {}
    return 0 if stats.get("finish_reason") in ("finished", None) else 1


def _sites(path: str) -> list[Any]:
    from storage.sites import Site

    with open(path, encoding="utf-8") as handle:
        return [Site.from_row(row) for row in json.load(handle)]


_stopped = False  # a stop signal arrived


def _hold_tmp_lock() -> None:
    """Share the lock on this crawl's temporary folder with the parent (``nianbao.crawling.crawl_tmp``).

    While either process lives the folder is in use; once both are gone (even killed) the lock is free
    and the next crawl's start removes the folder.
    """
    from nianbao.crawling import TMP_LOCK_ENV

    path = os.environ.get(TMP_LOCK_ENV)
    if not path:
        return
    try:
        import fcntl

        handle = open(path, "a")  # noqa: SIM115  (held open, and locked, for the life of the process)
        fcntl.flock(handle, fcntl.LOCK_SH)
    except OSError:
        return
    _held.append(handle)


_held: list[Any] = []


def _process_class() -> Any:
    """Scrapy's CrawlerProcess, stopping within seconds on SIGTERM/SIGINT (see ``crawler.signals``).

    Scrapy's graceful stop waits for every request the downloader holds, sent a delay apart, and for
    retries' back-off: minutes on a big site. Here the first signal first tells the crawl to stop
    asking (``crawl_stopping``), then stops gracefully; if the crawl has not closed after
    ``NIANBAO_STOP_GRACE`` seconds, the unfinished sites are recorded (``crawl_overdue``) and the
    process exits. A second signal stops at once, as in Scrapy.
    """
    from scrapy.crawler import CrawlerProcess

    class StoppingCrawlerProcess(CrawlerProcess):
        stop_requested = False

        def _signal_shutdown(self, signum: int, frame: Any) -> None:
            from twisted.internet import reactor

            global _stopped
            self.stop_requested = _stopped = True
            reactor.callFromThread(self._stopping)
            super()._signal_shutdown(signum, frame)

        def _stopping(self) -> None:
            from twisted.internet import reactor

            from crawler.signals import crawl_stopping

            for crawler_ in list(self.crawlers):
                crawler_.signals.send_catch_log(signal=crawl_stopping)
            grace = self.settings.getfloat("NIANBAO_STOP_GRACE", 10.0)
            cast(Any, reactor).callLater(grace, self._overdue)

        def _overdue(self) -> None:
            from crawler.signals import crawl_overdue

            logging.getLogger(__name__).warning("the crawl did not stop in time: recording unfinished sites")
            for crawler_ in list(self.crawlers):
                crawler_.signals.send_catch_log(signal=crawl_overdue)
            logging.shutdown()
            os._exit(1)

    return StoppingCrawlerProcess


def _stop_with_parent() -> None:
    """On Linux, receive SIGTERM when the parent ``nianbao crawl`` dies without forwarding a signal (SIGKILL).

    The parent starts this process in its own session and forwards SIGTERM/SIGINT to it; this covers the
    one case it cannot, so a crawl never outlives the command that started it.
    """
    from nianbao.crawling import PARENT_ENV

    parent = os.environ.pop(PARENT_ENV, "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data folder (archive)")
    parser.add_argument(
        "--sites-json", help="crawl these sites (JSON list of registry rows) without an archive"
    )
    parser.add_argument(
        "--site", action="append", default=[], help="site id (repeatable); default: all enabled"
    )
    parser.add_argument("--today", help="YYYY-MM-DD the deadlines are judged against")
    parser.add_argument("--summary", help="write the crawl summary (JSON) here")
    parser.add_argument("--items", help="write every item (JSON lines, no bodies) here")
    parser.add_argument(
        "--all-years",
        action="store_true",
        help="fetch every listed year (default: from the site's first year)",
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    args = parser.parse_args(argv)
    _stop_with_parent()
    overrides: dict[str, Any] = {}
    for pair in args.set:
        key, _, value = pair.partition("=")
        overrides[key.strip()] = _value(value)
    if args.summary:
        overrides["NIANBAO_SUMMARY_JSON"] = args.summary
    if args.items:
        overrides["NIANBAO_ITEMS_JSONL"] = args.items
    if not args.data and not args.sites_json:
        parser.error("--data or --sites-json is required")
    if args.all_years:
        overrides["NIANBAO_ALL_YEARS"] = True
    settings = build_settings(args.data, args.today, overrides)
    _hold_tmp_lock()
    try:
        if args.sites_json:  # a queue's worker: the sites come with its job
            code = crawl(settings, args.site or None, sites=_sites(args.sites_json))
        else:
            code = crawl(settings, args.site or None)
        if _stopped:
            # Stopped: the runs are written; do not wait at exit for a reader still busy with a document.
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except Exception as exc:  # e.g. an unknown site id: one line, no traceback for the user
        from monitor.errors import NianbaoError

        if isinstance(exc, NianbaoError):
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        if os.environ.get("NIANBAO_DEBUG"):
            raise
        if logging.getLogger().handlers:  # Scrapy's handler, to the log file (else: nowhere to put it)
            logging.getLogger(__name__).exception("the crawl failed")
        where = settings.get("LOG_FILE") or "（无日志文件）"
        print(f"错误：抓取程序出错（{type(exc).__name__}: {exc}），详情见日志 {where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
