"""Per-site bookkeeping of a crawl: what was requested, listed, held back and is still pending.

The spider crawls many sites at once; a ``SiteState`` per site counts its
outstanding requests so that the site's end is known (``SiteDoneItem``) and
so that ``_wap`` copies can wait until the listing is complete (they are
fetched only when the main copy never showed up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from crawler.adapters.base import Entry
from crawler.items import ReportItem


@dataclass(frozen=True)
class Previous:
    """What the archive holds for a URL: validators for a conditional request, and the stored body's hash."""

    sha256: str
    etag: str | None = None
    last_modified: str | None = None


class KnownDocuments(Protocol):
    """The crawler's read-only view of what earlier crawls stored."""

    def previous(self, site_id: str, url: str) -> Previous | None: ...

    def body(self, sha256: str) -> bytes | None: ...


class NothingKnown:
    """A first crawl: nothing stored yet."""

    def previous(self, site_id: str, url: str) -> Previous | None:
        return None

    def body(self, sha256: str) -> bytes | None:
        return None


@dataclass
class Assembly:
    """A report waiting for its attachments before it is handed on."""

    item: ReportItem
    pending: int = 0


@dataclass
class SiteState:
    site_id: str
    allowed: list[str]
    obey_robots: bool = True
    pending: int = 0  # requests not yet answered (callback or errback)
    pending_lists: int = 0
    listing_done: bool = False
    finished: bool = False
    list_keys: set[str] = field(default_factory=set)  # list requests made (method, canonical url, form)
    entries: dict[str, Entry] = field(default_factory=dict)  # canonical key -> entry requested
    held: dict[str, Entry] = field(default_factory=dict)  # _wap copies waiting for the listing's end
    hashes: dict[str, str] = field(default_factory=dict)  # content sha256 -> detail URL (same report twice)
    assemblies: dict[str, Assembly] = field(default_factory=dict)
    years_listed: dict[int, set[str]] = field(default_factory=dict)
    families: set[str] = field(default_factory=set)
    interpretations: list[dict[str, Any]] = field(default_factory=list)
    offsite: set[str] = field(default_factory=set)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    redirects: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    listing_problems: int = 0
    problems: int = 0
    reports: int = 0
    pages: int = 0
    requests: int = 0
    dated_items: int = 0
    column_hint: bool = False  # some list page names itself a report column
    empty_column: bool = False  # …and says it is empty (暂无信息, total 0)
    column_url: str = ""
    # Which years matter: reports before ``first_year`` or listed after ``latest`` (--today) are not fetched.
    first_year: int | None = None
    latest: date | None = None
    skipped: set[str] = field(default_factory=set)  # canonical keys of entries out of range
    skipped_out_of_range: int = 0
    skipped_examples: list[dict[str, Any]] = field(default_factory=list)
    # The per-site caps.
    report_requests: int = 0
    attachment_requests: int = 0
    capped_reports: int = 0
    capped_attachments: int = 0
    capped_examples: list[dict[str, Any]] = field(default_factory=list)
    # What became of each listed year: a report obtained, or every listed report gone (HTTP 404).
    years_obtained: set[int] = field(default_factory=set)
    years_unsettled: set[int] = field(default_factory=set)  # not fetched (cap) or failed for a passing reason
    gone: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # our own failures: the listing cannot be trusted
    cut_short: bool = False  # a stop dropped some of its requests: it is not judged on what was seen

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- the one ledger of a site's requests: ``sent`` when issued, ``answered`` when settled ----

    def sent(self, *, listing: bool) -> None:
        self.pending += 1
        self.requests += 1
        if listing:
            self.pending_lists += 1

    def answered(self, *, listing: bool) -> None:
        self.pending -= 1
        if listing:
            self.pending_lists -= 1

    def abandon(self) -> None:
        """Give up the requests never answered (dropped by the engine): the site can end."""
        self.pending = self.pending_lists = 0
