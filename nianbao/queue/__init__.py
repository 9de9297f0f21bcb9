"""Crawling on many machines through Redis: the queue of crawl jobs, the workers, the one archive writer.

``nianbao crawl --queue redis://HOST:PORT/DB`` (on the machine that holds the
archive) groups the sites by host (``groups``), puts the groups on the queue as
RQ jobs of about 100 sites, whole groups only, with a snapshot of what the
archive already holds for them (``rounds``), then writes the results as they
come (``writer``) until the round is done. ``nianbao worker --queue …`` (on
any number of machines, no archive needed) takes jobs (``jobs``): it holds
the host lock of each group of the job, runs the ordinary crawl child on
their sites (one request at a time per host, as always), which reads every new document
and hands each report, problem and finished site to the results stream
(``messages``; document bodies travel by sha256 beside it). The writer checks
each report with the archive's context and writes each site's run in one
transaction, exactly as a crawl on one machine does (``nianbao.crawl_ledger``);
SQLite stays the single embedded archive and its only writer is the process
that holds the writer lock.

A worker killed mid-job loses nothing: RQ retries the job when its heartbeat
stops, the retry crawls its sites again, and the writer writes each site of a
round once (the first complete crawl of it), whatever arrives twice.
``nianbao queue status`` shows jobs, workers, failures and what waits to be written.
"""
