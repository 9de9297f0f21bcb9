"""Render the digest: one self-contained HTML file from the Jinja2 templates in nianbao/templates/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from nianbao.digest.model import Digest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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


def render_html(digest: Digest) -> str:
    return environment().get_template("digest.html").render(digest=digest)


def digest_name(digest: Digest, suffix: str = "html") -> str:
    return f"digest-{digest.week_label}.{suffix}"


def write_html(digest: Digest, out_dir: str | Path) -> Path:
    """Write ``digest-YYYY-Www.html`` into ``out_dir`` (atomically: a reader never sees half a file)."""
    target = Path(out_dir) / digest_name(digest)
    write_atomic(target, render_html(digest).encode("utf-8"))
    return target


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
