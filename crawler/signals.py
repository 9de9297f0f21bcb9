"""The crawl's own signals (Scrapy signals are plain objects), sent by ``crawler.run`` on a stop request.

* ``crawl_stopping`` – the first SIGTERM/SIGINT: stop asking for anything new. The downloader
  drops the requests still waiting for their delay, retries stop sleeping, the spider stops
  reporting failures (a stopped crawl's failures say nothing about the site) and the pipeline
  cancels the reports still waiting to be read.
* ``crawl_overdue`` – the crawl did not close within ``NIANBAO_STOP_GRACE`` seconds of that (a
  download still hanging): the pipeline records every unfinished site's partial run at once,
  then the process exits.
"""

from __future__ import annotations

crawl_stopping = object()
crawl_overdue = object()
