"""Code the tests share (never shipped with the product).

- ``archive``: a fresh archive with a manual clock, sites, seeds, table snapshots;
- ``batch``: seed reports rewritten for many agencies and years (batch, crash and concurrency tests, benchmarks);
- ``batch_ingest``: the long-running writer those tests start (``python -m tests.support.batch_ingest``);
- ``builders``: reader fixtures (table specs rendered as HTML, DOCX and PDF);
- ``renderers``: a seed-style text report rendered as a portal page or a Word document;
- ``digest_world``: the archive the digest tests read;
- ``mockportal``: mock government portals on loopback, for crawl tests, the crawl benchmark and the demo;
- ``processes``: running the product in a child process, as a user does.

Fixtures built from these live in ``tests/conftest.py``.
"""
