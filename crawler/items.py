"""What the spider hands to the pipelines: plain dataclasses (Scrapy accepts them as items).

* ``ReportItem`` – one annual report found on a site: its detail page and
  attachments as ``FetchedDocument``s, its year, and every publication date
  seen with the one chosen;
* ``ProblemItem`` – a crawl-health problem (CRAWL.*), with its evidence;
* ``SiteDoneItem`` – emitted once per site when all its requests are done: what
  the listing saw (years listed, interpretation pages skipped, off-site links
  not followed), whether the listing was complete enough to judge PUB.MISSING.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from monitor.model import DateSeen, Publication
from nianbao.crawl_ledger import Listed, Problem, SiteDone
from nianbao.intake import LOOKED_AT, Incoming, Role, Submission


@dataclass
class FetchedDocument:
    """One downloaded (or confirmed unchanged) document."""

    url: str
    role: Role
    status: int = 200
    body: bytes | None = None  # None when the server answered 304 Not Modified
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    name: str = ""
    not_modified: bool = False
    sha256: str | None = None  # of body; for a 304, the stored version's

    def __post_init__(self) -> None:
        if self.body is not None and self.sha256 is None:
            self.sha256 = hashlib.sha256(self.body).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """Everything but the body (for logs and the items feed)."""
        return {
            "url": self.url,
            "role": self.role,
            "status": self.status,
            "content_type": self.content_type,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "name": self.name,
            "not_modified": self.not_modified,
            "sha256": self.sha256,
            "size": len(self.body) if self.body is not None else None,
        }


@dataclass
class ReportItem:
    site_id: str
    url: str  # the detail page (or the document itself, when the list links straight to a file)
    title: str
    year: int | None
    list_url: str
    family: str = ""
    image_only: bool = False
    publication: DateSeen | None = None
    date_evidence: list[DateSeen] = field(default_factory=list)
    documents: list[FetchedDocument] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # attachments that could not be fetched
    also_at: list[str] = field(default_factory=list)  # other URLs the same report was listed under
    listing: dict[str, Any] = field(default_factory=dict)  # the list entry: title, year, list date, list page

    @property
    def page(self) -> FetchedDocument | None:
        return self.documents[0] if self.documents else None

    @property
    def unchanged(self) -> bool:
        """Nothing new to read: every document answered 304 (or hashed as stored)."""
        return bool(self.documents) and all(d.not_modified for d in self.documents)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "report",
            "site_id": self.site_id,
            "url": self.url,
            "title": self.title,
            "year": self.year,
            "list_url": self.list_url,
            "family": self.family,
            "image_only": self.image_only,
            "publication": self.publication.to_json() if self.publication else None,
            "date_evidence": [e.to_json() for e in self.date_evidence],
            "documents": [d.to_json() for d in self.documents],
            "failed": self.failed,
            "also_at": self.also_at,
            "listing": self.listing,
        }


class ProblemItem(Problem):
    """A crawl problem (CRAWL.*) the spider found: the ledger's ``Problem`` itself, yielded as an item."""


@dataclass
class SiteDoneItem:
    site_id: str
    listing_complete: bool  # every list page was read: absence of a year's report can be judged
    years_listed: dict[int, list[str]] = field(default_factory=dict)  # year -> report URLs
    reports: int = 0
    pages: int = 0  # list pages and API answers read
    requests: int = 0
    families: list[str] = field(default_factory=list)
    interpretations: list[dict[str, Any]] = field(
        default_factory=list
    )  # 解读/图解 pages not taken as reports
    offsite: list[str] = field(default_factory=list)  # links to other domains, not followed
    duplicates: list[dict[str, str]] = field(default_factory=list)  # _wap copies and reports seen twice
    redirects: list[list[str]] = field(default_factory=list)  # [from, to] for moved columns
    dated_items: int = 0
    problems: int = 0
    column_url: str = ""
    # Years whose every listed report is gone (HTTP 404): year -> those entries.
    years_failed: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    skipped_out_of_range: int = 0  # listed reports outside the years that matter (not fetched)
    capped: int = 0  # listed reports or attachments not fetched: the per-site cap was reached
    errors: list[str] = field(default_factory=list)  # our own failures (a page we could not parse)
    notes: list[str] = field(default_factory=list)
    cut_short: bool = False  # a stop dropped some of its requests: not judged, recorded as stopped

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["kind"] = "site"
        data["years_listed"] = {str(k): v for k, v in self.years_listed.items()}
        data["years_failed"] = {str(k): v for k, v in self.years_failed.items()}
        return data


def submission_of(item: ReportItem) -> Submission:
    """The report as the intake takes it: its documents, the list title's year, its publication date."""
    documents = [
        Incoming(
            url=doc.url,
            body=doc.body,
            role=doc.role,
            name=doc.name,
            content_type=doc.content_type,
            etag=doc.etag,
            last_modified=doc.last_modified,
        )
        for doc in item.documents
    ]
    return Submission(
        key=item.url,
        documents=documents,
        year_hint=item.year,
        publication=Publication.of(item.publication, item.url, LOOKED_AT),
        dates=[_kept(seen) for seen in item.date_evidence],
        image_only=item.image_only,
        failed=[_failed(entry) for entry in item.failed],
        listing=dict(item.listing),
    )


def _failed(entry: dict[str, Any]) -> str:
    """An attachment that could not be fetched, in a few words (the intake's wrapper-page rule)."""
    name = entry.get("name") or entry.get("url") or ""
    return f"{name}：{entry.get('message') or entry.get('kind') or '无法下载'}"


def site_done_of(item: SiteDoneItem) -> SiteDone:
    """What the site's run is judged on (the application's view of the spider's last item for it)."""
    return SiteDone(
        site_id=item.site_id,
        listing_complete=item.listing_complete,
        years_listed=dict(item.years_listed),
        reports=item.reports,
        pages=item.pages,
        requests=item.requests,
        families=list(item.families),
        interpretations=len(item.interpretations),
        offsite=len(item.offsite),
        duplicates=len(item.duplicates),
        redirects=list(item.redirects),
        column_url=item.column_url,
        years_failed=dict(item.years_failed),
        skipped_out_of_range=item.skipped_out_of_range,
        capped=item.capped,
        errors=list(item.errors),
        notes=list(item.notes),
    )


def listed_of(item: ReportItem) -> Listed:
    """The report as the site's account names it in a problem."""
    return Listed(item.url, item.title, item.year, dict(item.listing))


def _kept(seen: DateSeen) -> DateSeen:
    """A list date is kept with the list page it was read from (the archive keeps dates by document)."""
    if seen.source == "list" and seen.url:
        return DateSeen(seen.source, seen.date, f"{seen.quote}（列表页 {seen.url}）", seen.url)
    return seen
