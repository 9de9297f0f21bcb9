"""Keeping the sites registry: importing a list (planned, then applied), the lifecycle, finding a site by name.

An import is planned before it is applied, so the command can show what it
will do (added, changed, gone) and ``--dry-run`` can stop there. A row is
matched to a registered site by its id, else by its address, else by its
agency name: an agency renamed in the list (a reorganisation) stays the same
site, with its history. A site that a list brought in and that is no longer
in it is disabled, never deleted; ``remove_site`` deletes, and only when asked.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction
from storage.errors import AmbiguousSite, UnknownSite
from storage.sitefiles import LoadedSite, url_key
from storage.sites import Site, changes, get_site, insert_site, list_sites, record_event, update_site


@dataclass
class Change:
    old: Site
    new: Site
    fields: dict[str, list[Any]]  # field → [before, after]
    where: str  # the row or entry of the list


@dataclass
class ImportPlan:
    source: str
    added: list[LoadedSite] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: list[Site] = field(default_factory=list)
    gone: list[Site] = field(default_factory=list)  # brought in by this list, no longer in it: disabled

    @property
    def sites(self) -> list[Site]:
        """Every site of the list, as it will be registered."""
        return [item.site for item in self.added] + [c.new for c in self.changed] + self.unchanged


def plan_import(db: Database, loaded: list[LoadedSite], source: str, *, complete: bool = True) -> ImportPlan:
    """What importing ``loaded`` (read from ``source``) would change; writes nothing.

    ``complete=False`` (the list had rows that could not be read): no site is
    taken as gone, since a bad row may be the one that names it.
    """
    registered = list_sites(db)
    by_id = {site.id: site for site in registered}
    by_url: dict[str, list[Site]] = {}
    by_name: dict[str, list[Site]] = {}
    for site in registered:
        for url in site.start_urls[:1]:
            by_url.setdefault(url_key(url), []).append(site)
        by_name.setdefault(site.agency, []).append(site)
    plan = ImportPlan(source)
    used: set[str] = set()
    for item in loaded:
        match = _match(item, by_id, by_url, by_name, used)
        if match is None:
            site = item.site
            if site.id in by_id or site.id in used:  # a derived id taken by another site
                site = replace(site, id=_free_id(site.id, set(by_id) | used))
            used.add(site.id)
            plan.added.append(replace(item, site=site))
            continue
        used.add(match.id)
        new = _merged(item, match)
        if new == match:
            plan.unchanged.append(match)
        else:
            plan.changed.append(Change(match, new, changes(match, new), item.where))
    if complete:
        plan.gone = [
            site
            for site in registered
            if site.id not in used and site.enabled and _same_source(db, site, source)
        ]
    return plan


def apply_import(db: Database, plan: ImportPlan, *, now: str) -> None:
    """Apply a plan in one transaction; every change is kept in ``site_events``."""
    with write_transaction(db):
        for item in plan.added:
            insert_site(db, item.site, now=now, source=plan.source)
        for change in plan.changed:
            update_site(db, change.old, change.new, now=now, source=plan.source)
        for site in plan.gone:
            db.execute("UPDATE sites SET enabled = 0, updated_at = ? WHERE id = ?", [now, site.id])
            record_event(db, site.id, "disabled", {"reason": "名单中已没有", "source": plan.source}, now)


def _match(
    item: LoadedSite,
    by_id: dict[str, Site],
    by_url: dict[str, list[Site]],
    by_name: dict[str, list[Site]],
    used: set[str],
) -> Site | None:
    if item.explicit_id:
        return by_id.get(item.site.id)
    candidates: list[Site] = []
    if item.site.start_urls:
        candidates += by_url.get(url_key(item.site.start_urls[0]), [])
    candidates += by_name.get(item.site.agency, [])
    free = [site for site in candidates if site.id not in used]
    # Of several (one URL registered twice before renames were recognised): the enabled, same-named one.
    free.sort(key=lambda site: (not site.enabled, site.agency != item.site.agency))
    return free[0] if free else None


def _merged(item: LoadedSite, registered: Site) -> Site:
    """The registered site as the list now describes it; what the list leaves out stays as registered."""
    new = replace(item.site, id=registered.id)
    for name in ("first_year", "enabled", "contact", "phone", "region", "deadline", "allowed_domains"):
        if name not in item.given:
            setattr(new, name, getattr(registered, name))
    return new


def _free_id(site_id: str, taken: set[str]) -> str:
    number = 2
    while f"{site_id}-{number}" in taken:
        number += 1
    return f"{site_id}-{number}"


def _same_source(db: Database, site: Site, source: str) -> bool:
    row = db.execute("SELECT source FROM sites WHERE id = ?", [site.id]).fetchone()
    stored = row[0] if row else None
    if not stored:
        return False
    if stored == source:
        return True
    return not Path(stored).is_absolute() and Path(stored).name == Path(source).name


# ---- lifecycle ----------------------------------------------------------------------------------

# What a site's removal deletes, children first (the foreign keys point from each to the next ones).
_SITE_DATA = (
    ("finding_events", "finding_id IN (SELECT id FROM findings WHERE site_id = ?)", "问题记录"),
    ("report_findings", "report_id IN (SELECT id FROM reports WHERE site_id = ?)", None),
    ("findings", "site_id = ?", "问题"),
    # The report's body, its place as current and in the similarity index (m003).
    ("report_bands", "report_id IN (SELECT id FROM reports WHERE site_id = ?)", None),
    ("report_sketches", "report_id IN (SELECT id FROM reports WHERE site_id = ?)", None),
    ("report_bodies", "report_id IN (SELECT id FROM reports WHERE site_id = ?)", None),
    ("current_reports", "site_id = ?", None),
    ("reports", "site_id = ?", "报告"),
    ("document_dates", "document_id IN (SELECT id FROM documents WHERE site_id = ?)", None),
    ("documents", "site_id = ?", "文档"),
    ("runs", "site_id = ?", "抓取记录"),
)


def site_data(db: Database, site_id: str) -> dict[str, int]:
    """How many rows of each kind the site has (what ``remove_site`` would delete), by Chinese name."""
    counts = {}
    for table, where, label in _SITE_DATA:
        if label:
            (count,) = db.execute(f"SELECT count(*) FROM {table} WHERE {where}", [site_id]).fetchone()
            counts[label] = int(count)
    return counts


def set_enabled(db: Database, site: Site, enabled: bool, *, now: str, reason: str | None = None) -> bool:
    """Enable or disable a site; False when it already was."""
    if site.enabled == enabled:
        return False
    with write_transaction(db):
        db.execute("UPDATE sites SET enabled = ?, updated_at = ? WHERE id = ?", [int(enabled), now, site.id])
        record_event(db, site.id, "enabled" if enabled else "disabled", {"reason": reason}, now)
    return True


def rename_site(db: Database, site: Site, agency: str, *, now: str) -> Site:
    """Give the agency its new name (a reorganisation); the site, its id and its history stay."""
    renamed = replace(site, agency=agency)
    with write_transaction(db):
        db.execute("UPDATE sites SET agency = ?, updated_at = ? WHERE id = ?", [agency, now, site.id])
        record_event(db, site.id, "renamed", {"from": site.agency, "to": agency}, now)
    return renamed


def remove_site(db: Database, site: Site, *, now: str) -> dict[str, int]:
    """Delete a site and everything recorded about it; the stored document bytes stay (``db check``)."""
    counts = site_data(db, site.id)
    with write_transaction(db):
        for table, where, _label in _SITE_DATA:
            db.execute(f"DELETE FROM {table} WHERE {where}", [site.id])
        db.execute("DELETE FROM sites WHERE id = ?", [site.id])
        record_event(db, site.id, "removed", {"agency": site.agency, "deleted": counts}, now)
    return counts


def site_history(db: Database, site_id: str) -> list[dict[str, Any]]:
    import json

    rows = db.execute(
        "SELECT event, detail, at FROM site_events WHERE site_id = ? ORDER BY at, id", [site_id]
    ).fetchall()
    return [{"event": event, "detail": json.loads(detail), "at": at} for event, detail, at in rows]


# ---- finding a site by what people call it -----------------------------------------------------


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def resolve_site(db: Database, text: str) -> Site:
    """The site ``text`` names: its id, its agency name, or a part of the name only one site has.

    Raises ``UnknownSite`` (with the closest names) or ``AmbiguousSite`` (with the candidates).
    """
    found = get_site(db, text.strip())
    if found is not None:
        return found
    wanted = _normal(text)
    sites = list_sites(db)
    exact = [site for site in sites if _normal(site.agency) == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = exact or [site for site in sites if wanted and wanted in _normal(site.agency)]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise AmbiguousSite(text, [f"{site.agency}（{site.id}）" for site in partial])
    raise UnknownSite(text, suggest_sites(sites, text))


def suggest_sites(sites: list[Site], text: str, n: int = 3) -> list[str]:
    """The registered sites whose name or id is closest to ``text``, as "name（id）"."""
    names = {_normal(site.agency): site for site in sites}
    ids = {site.id: site for site in sites}
    close = difflib.get_close_matches(_normal(text), list(names), n=n, cutoff=0.4)
    picked = [names[name] for name in close]
    picked += [ids[i] for i in difflib.get_close_matches(text.strip(), list(ids), n=n, cutoff=0.6)]
    seen: list[str] = []
    for site in picked:
        label = f"{site.agency}（{site.id}）"
        if label not in seen:
            seen.append(label)
    return seen[:n]
