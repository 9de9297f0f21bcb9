"""The crawler's read-only view of the archive: sites to crawl and what earlier crawls stored.

Used by the spider for conditional requests (ETag / Last-Modified of the last
fetch of a URL) and, when a detail page answers 304, to re-read the stored copy
for its attachment links instead of downloading it again.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler.state import Previous
from storage.archive import Archive
from storage.documents import previous_fetch
from storage.errors import UnknownSite
from storage.sites import Site, get_site, list_sites


class ArchiveKnown:
    """``KnownDocuments`` over the archive in ``data_dir`` (its own connection; WAL lets it read)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.archive = Archive.open(data_dir)

    def previous(self, site_id: str, url: str) -> Previous | None:
        found = previous_fetch(self.archive.db, url, site_id=site_id)
        return Previous(found.sha256, found.etag, found.last_modified) if found else None

    def body(self, sha256: str) -> bytes | None:
        try:
            return self.archive.blobs.get(sha256)
        except OSError:
            return None


class SnapshotKnown:
    """``KnownDocuments`` from a snapshot of the archive's last fetches (a queue's worker has no archive).

    The snapshot has no bodies, so pages (HTML) are asked for whole: a page that answered 304 would
    have to be re-read from the archive for its attachment links. Unchanged pages are still known
    by their sha256 and not read again; documents are asked for with their validators.
    """

    def __init__(self, path: str | Path) -> None:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.fetches: dict[tuple[str, str], Previous] = {}
        for site_id, rows in data.items():
            for url, sha256, etag, last_modified, content_type in rows:
                page = not content_type or "html" in content_type or content_type.startswith("text/")
                validators = (None, None) if page else (etag, last_modified)
                self.fetches[(site_id, url)] = Previous(sha256, *validators)

    def previous(self, site_id: str, url: str) -> Previous | None:
        return self.fetches.get((site_id, url))

    def body(self, sha256: str) -> bytes | None:
        return None


def registry_sites(data_dir: str | Path, site_ids: list[str] | None = None) -> list[Site]:
    """The named sites (all of them must be registered), or every enabled one."""
    with Archive.open(data_dir) as archive:
        if not site_ids:
            return list_sites(archive.db, enabled_only=True)
        sites = []
        for site_id in site_ids:
            site = get_site(archive.db, site_id)
            if site is None:
                raise UnknownSite(site_id)
            sites.append(site)
        return sites
