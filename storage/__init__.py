"""storage/: the archive — sites, documents, reports, runs and findings with their history.

SQLite (through sqlite-utils) beside a content-addressed document store, in
one data folder. Start from ``Archive.open(data_dir)``; the crawler writes
through ``storage.runs.start_run``, received files go through
``storage.ingest``, the digest reads through ``storage.queries``. The schema
and the API are described in docs/storage.md. Never imports Scrapy.
"""
