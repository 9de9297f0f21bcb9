"""Links on portal pages: which point at documents (attachments) and which at images."""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

from monitor.text import halfwidth

DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "ofd", "et", "txt", "rtf")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "about:")


def url_safe(text: str) -> str:
    """``text`` that can be URL-encoded: a lone surrogate (from a JSON "\\ud800") becomes "?", as a browser does."""
    return text.encode("utf-8", "replace").decode("utf-8")


def absolute(base: str, href: str | None) -> str | None:
    """The absolute http(s) URL of a link, or None for javascript:, mailto:, anchors and junk."""
    if not href or not isinstance(href, str):  # JSON answers carry numbers and lists too
        return None
    href = href.strip().replace("\\", "/")
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        url = urljoin(base, href)
    except ValueError:
        # A host Python refuses ("http://[::1", "www.gov.cn：8080"): a browser reads full-width
        # punctuation in a host as ASCII, so try that once; anything else is junk, not a link.
        try:
            url = urljoin(base, halfwidth(href))
        except ValueError:
            return None
    return url_safe(url) if url.startswith(("http://", "https://")) else None


def extension(url: str) -> str:
    """The lower-case extension of the URL's file name, also for Hanweb's downfile.jsp?filename=x.pdf."""
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1]
    if name.lower().endswith((".jsp", ".do", ".aspx", ".php")) or "." not in name:
        for key, value in parse_qsl(parts.query):
            if key.lower() in ("filename", "file", "fileurl", "showname", "name") and "." in value:
                return value.rsplit(".", 1)[-1].lower()
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_document_link(url: str) -> bool:
    return extension(url) in DOCUMENT_EXTENSIONS


def is_image_link(url: str) -> bool:
    return extension(url) in IMAGE_EXTENSIONS
