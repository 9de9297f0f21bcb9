"""crawler/: the Scrapy project that finds, dates and fetches every site's annual reports.

tldextract (used by Scrapy's cookie middleware) would try to download the
public-suffix list on first use; nianbao runs offline-first, so it is told to
use its bundled snapshot before anything imports it.
"""

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", " ")
