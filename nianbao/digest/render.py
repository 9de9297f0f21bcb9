"""Render the digest and its pages with the Jinja2 templates in nianbao/templates/.

The digest page is written as it is rendered (``Template.generate``): the
per-agency details stream from the archive, so a digest of thousands of
agencies never holds them all. The output folder gets, beside the page,
``agencies/<id>.html`` (one page per agency) and ``docs/`` (the stored copy of
every document the pages cite).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlite_utils import Database

from monitor.model import CST
from nianbao.digest.model import Digest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
log = logging.getLogger(__name__)


@cache
def environment() -> Environment:
    """Autoescaping everywhere: every string that came from a crawled page is text, never markup."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_chunks(template: str, **context: Any) -> Iterator[str]:
    return environment().get_template(template).generate(**context)


def render_html(digest: Digest, *, root: str = "") -> str:
    return "".join(render_chunks("digest.html", digest=digest, root=root))


def digest_name(digest: Digest, suffix: str = "html") -> str:
    return f"digest-{digest.week_label}.{suffix}"


def write_html(digest: Digest, out_dir: str | Path) -> Path:
    """Write ``digest-YYYY-Www.html`` into ``out_dir`` as it renders (a reader never sees half a file)."""
    target = Path(out_dir) / digest_name(digest)
    write_stream(target, render_chunks("digest.html", digest=digest, root=""))
    return target


def write_stream(target: Path, chunks: Iterable[str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)


def render_agency(page: Any, *, root: str, digest_link: str | None, live: bool = False, **extra: Any) -> str:
    context = {
        "page": page,
        "root": root,
        "digest_link": digest_link,
        "live": live,
        "notice": None,
        "csrf": "",
        "back": "",
        "generated": datetime.now(CST).strftime("%Y-%m-%d %H:%M"),
        **extra,
    }
    return "".join(render_chunks("agency.html", **context))


def write_agency_pages(
    db: Database, digest: Digest, out_dir: str | Path, problems: list[str]
) -> dict[str, tuple[str, str | None]]:
    """One page per monitored agency; returns the stored copies they cite (sha256 → (file, content type)).

    Each agency's page fails alone: the failure is added to ``problems`` and the others are written.
    """
    from nianbao.digest.agency import build_agency_page

    cited: dict[str, tuple[str, str | None]] = {}
    link = f"../{digest_name(digest)}"
    for row in digest.agencies:
        try:
            page = build_agency_page(db, row.site_id, today=digest.period.today)
            if page is None:
                continue
            html = render_agency(page, root="../", digest_link=link)
            write_atomic(Path(out_dir) / row.page, html.encode("utf-8"))
            for sha, copy in page.cited.items():
                cited[sha] = (copy.file, copy.content_type)
        except Exception as exc:  # one agency's page must not stop the others
            log.warning("digest: agency page of %s: %s", row.site_id, exc, exc_info=True)
            problems.append(f"{row.agency}（{row.site_id}）：机关页未能生成（{type(exc).__name__}）")
    return cited
