"""Scrapy settings for nianbao's crawler (``scrapy.cfg``: ``default = crawler.settings``).

Politeness: one request at a time per domain with a delay (1 s by default,
stretched by AutoThrottle when a server slows down), robots.txt obeyed unless
a site's registry entry says otherwise, retries with exponential backoff.
Throughput comes from crawling many sites at once: the global concurrency is
high and the scheduler (DownloaderAwarePriorityQueue) feeds idle servers first.
"One at a time" is per server address, not per host name (``crawler.downloader``),
and the delay runs from the server's answer, robots.txt included.
"""

from __future__ import annotations

import crawler  # noqa: F401  (sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS before Scrapy loads tldextract)

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An honest user agent: government portals are public, the monitor has nothing to hide.
USER_AGENT = "Mozilla/5.0 (compatible; nianbao/0.1; +government information-disclosure annual report monitor)"
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}

ROBOTSTXT_OBEY = True

# Many sites in parallel, each one polite.
CONCURRENT_REQUESTS = 256
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
# No jitter: the delay is a floor every site can count on (a random ±50% would dip to 0.5 s), and
# randomising request timing is a bot-evasion trick this crawler has no use for.
DOWNLOAD_DELAY_JITTER = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# One slot per server address (the subdomains of one 集约化 platform share it), delay from the answer.
DOWNLOADER = "crawler.downloader.PoliteDownloader"
TWISTED_DNS_RESOLVER = "crawler.resolver.HostsResolver"
# Scrapy starts this many asyncio tasks for every callback's output; a callback here yields a handful of
# requests and items, and 100 tasks per response (the default) cost more CPU than the crawl itself.
CONCURRENT_ITEMS = 8

DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 2
# 403/412/521 are refusals or challenges: reported as CRAWL.BLOCKED, never retried or worked around.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubled for each further one
RETRY_BACKOFF_MAX = 30.0
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # the crawl-health finding reports it; not a program error
REDIRECT_MAX_TIMES = 5

# Size caps: pages and list answers are small; report attachments (scanned PDFs) can be large.
DOWNLOAD_MAXSIZE = 40 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
NIANBAO_MAX_PAGE_BYTES = 8 * 1024 * 1024
NIANBAO_MAX_DOCUMENT_BYTES = 40 * 1024 * 1024

COOKIES_ENABLED = True
# No extension may listen on the network: the telnet console and the remote-control HTTP endpoint (which runs
# Python code, and writes a job file with its token) are off, by flag and by removal.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 60.0
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # Offsite per site: a site's links may only lead to its own allowed domains (mirrors copy gov pages).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.SiteOffsiteMiddleware": 50,
    "crawler.middlewares.ResolveFirstMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Above the retry middleware: it sees a failed https handshake first (process_exception runs downward).
    "crawler.middlewares.HttpsFallbackMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ItemsFeedPipeline": 100,
    "crawler.pipelines.IntakePipeline": 300,
    "crawler.pipelines.StreamPipeline": 310,  # a queue's worker: results to the archive's writer
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.extensions.CrawlProgress": 500,
}

# nianbao's own settings (set by `nianbao crawl` / crawler.run):
NIANBAO_DATA = None  # the data folder (archive); None: no storage, items only
NIANBAO_TODAY = None  # YYYY-MM-DD the deadlines are judged against; None: the real today
NIANBAO_ITEMS_JSONL = None  # write every item (without bodies) to this JSON-lines file
NIANBAO_SUMMARY_JSON = None  # write the crawl summary (per site) to this file at the end
NIANBAO_BATCH = None  # a label shared by the runs of one crawl
NIANBAO_PROGRESS = True  # one progress line on a terminal (else: progress lines in the log)
NIANBAO_VERBOSE = False  # Scrapy's log on stderr as well as in LOG_FILE (nianbao crawl --verbose)
NIANBAO_PROGRESS_INTERVAL = 5.0
NIANBAO_RESULTS = None  # a queue's worker: the Redis URL its results go to (nianbao.queue)
NIANBAO_JOB = None  # …the queue job and its attempt the results belong to
NIANBAO_ATTEMPT = None
NIANBAO_KNOWN_JSON = None  # …and what the archive held for its sites (validators for conditional requests)
NIANBAO_READ_WORKERS = 1  # processes reading reports beside the crawl (0: one thread in the crawl's process)
NIANBAO_ALL_YEARS = False  # fetch reports of every year listed, not only from the site's first year on
# Per-site caps (a list of 10,000 report links must not hold the crawl for hours); reported when reached.
NIANBAO_MAX_REPORTS_PER_SITE = 500  # report pages (or report files linked from the list) fetched per site
NIANBAO_MAX_ATTACHMENTS_PER_SITE = 1000  # attachments fetched per site
NIANBAO_STOP_GRACE = (
    10.0  # seconds a stopped crawl has to close before its unfinished sites are recorded as they are
)
NIANBAO_HOSTS: dict[str, str] = {}  # host name -> address, resolved without DNS (crawler.resolver)
NIANBAO_HOSTS_ONLY = False  # resolve only NIANBAO_HOSTS names (tests: nothing leaves loopback)
NIANBAO_READ_FUNCTION = None  # "module:function" reading a document in the worker (tests inject failures)
