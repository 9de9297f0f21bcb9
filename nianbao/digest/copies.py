"""Stored copies: the archived bytes of each document a page cites, written next to the pages.

A supervisor opens exactly what was checked, even after the portal moved or
changed the file. Copies are named by content (``docs/<sha256 prefix>.<ext>``),
so writing the same digest twice, or two digests citing one document, costs
nothing. Copies, not links: a copy edited or saved over in the output folder
must never change the archive. HTML copies get a short prefix before the archived bytes: the charset
the portal declared in its HTTP header (a file has no header) and a content
security policy that keeps any script in the portal's page from running.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from storage.blobs import BlobStore

DOCS_DIR = "docs"
_EXTENSIONS = {".pdf", ".docx", ".doc", ".wps", ".html", ".htm", ".shtml", ".txt", ".xls", ".xlsx", ".md"}
_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "text/html": ".html",
    "text/plain": ".txt",
}
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
HTML_GUARD = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:\">\n"
)


def extension(name: str | None, url: str | None, content_type: str | None) -> str:
    """The file extension a browser opens the document by: from its name, its URL, or its type."""
    for candidate in (name, urlsplit(url).path if url else None):
        if candidate:
            suffix = PurePosixPath(candidate.replace("\\", "/")).suffix.lower()
            if suffix in _EXTENSIONS:
                return ".html" if suffix in (".htm", ".shtml") else suffix
    mime = (content_type or "").split(";")[0].strip().lower()
    return _TYPES.get(mime, ".bin")


def copy_path(sha256: str, name: str | None, url: str | None, content_type: str | None) -> str:
    """Where a document's copy goes, relative to the output folder."""
    return f"{DOCS_DIR}/{sha256[:16]}{extension(name, url, content_type)}"


def charset_of(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def viewable(data: bytes, file: str, content_type: str | None) -> bytes:
    """The bytes written for ``file``: the archived bytes, HTML behind its guard prefix."""
    if not file.endswith(".html"):
        return data
    charset = charset_of(content_type)
    head = f'<meta charset="{charset}">\n' if charset else ""
    return (head + HTML_GUARD).encode("ascii", "replace") + data


def write_copies(
    blobs: BlobStore, copies: Iterable[tuple[str, str, str | None]], out_dir: str | Path
) -> list[Path]:
    """Write (sha256, relative file, content type) copies into ``out_dir``; existing ones are kept."""
    root = Path(out_dir)
    written = []
    for sha256, file, content_type in copies:
        target = root / file
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(viewable(blobs.get(sha256), file, content_type))
        temporary.replace(target)
        written.append(target)
    return written
