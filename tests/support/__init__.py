"""Code the tests share (never shipped with the product); the fixtures built on it are in tests/conftest.py.

- ``paths``: the repository, the fixture trees, the seed reports;
- ``archive``: an archive with a manual clock, registered sites, seeds, table snapshots;
- ``batch``, ``batch_ingest``: seed reports rewritten for many agencies and years, and the writer
  process the crash and concurrency tests run (``python -m tests.support.batch_ingest``);
- ``builders``: reader fixtures (table specs rendered as HTML, DOCX and PDF);
- ``renderers``: a seed-style text report rendered as a portal page or a Word document;
- ``digest_world``: the archive of three weekly crawls the digest tests read;
- ``mockportal``: mock government portals on loopback, for the crawl tests, the crawl benchmark and the demo;
- ``cli``, ``processes``: ``nianbao`` in-process and in a child process;
- ``checks``, ``html``, ``tables``: small typed assertions (a value, an element, a cell that must be there).
"""
