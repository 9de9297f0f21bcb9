"""Readers: turn the bytes of a report in any format into a SourceDocument.

``read_document`` sniffs the format from the content (not only the file
name: portals serve PDFs as .html and HTML as .doc) and dispatches to one
reader per format. Every failure is an UnreadableInput naming the file.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from monitor.errors import InputNotFound, NotAReport, UnreadableInput
from monitor.readers.base import Line, SourceDocument

__all__ = ["MAX_INPUT_BYTES", "Line", "SourceDocument", "read_document", "read_path", "sniff_format"]

# Larger inputs are refused with a clear error rather than read into memory; no real
# annual report comes close (the largest image-only PDFs seen are ~20 MB).
MAX_INPUT_BYTES = 40 * 1024 * 1024

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(data: bytes, name: str = "") -> str:
    """One of pdf, docx, doc, html, text, or 'binary' / 'zip' for what we cannot read."""
    head = data[:1024].lstrip()
    # Container signatures first: a zip or OLE file may store a PDF uncompressed near its start.
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return "binary"
        return "zip"
    if data.startswith(_OLE):
        return "doc"
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    lowered = head[:1024].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
        tag in lowered for tag in (b"<html", b"<body", b"<table", b"<div", b"<p>", b"<p ", b"<meta", b"<head")
    ):
        return "html"
    suffix = Path(name).suffix.lower()
    if suffix in {".htm", ".html", ".shtml", ".jhtml"} and b"<" in data[:65536]:
        return "html"
    return "text"


def read_document(data: bytes, path: str, content_type: str | None = None) -> SourceDocument:
    """Read one report's bytes; ``path`` names it in errors and in the result."""
    if not data.strip():
        raise NotAReport(path, "文件为空")
    if len(data) > MAX_INPUT_BYTES:
        raise UnreadableInput(
            path, f"文件过大（{len(data) / 1048576:.1f} MB，上限 {MAX_INPUT_BYTES // 1048576} MB），未读取"
        )
    fmt = sniff_format(data, path)
    if fmt == "pdf":
        from monitor.readers.pdf import read_pdf

        return read_pdf(data, path)
    if fmt == "docx":
        from monitor.readers.docx import read_docx

        return read_docx(data, path)
    if fmt == "doc":
        from monitor.readers.doc import read_doc

        return read_doc(data, path)
    if fmt == "html":
        from monitor.readers.html import read_html

        return read_html(data, path, content_type)
    if fmt in {"zip", "binary"}:
        raise NotAReport(path, "不是可识别的年报格式（压缩包或二进制文件）")
    from monitor.readers.text import read_text

    return read_text(data, path)


def read_path(path: str | Path) -> SourceDocument:
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputNotFound(str(path), "文件不存在") from None
    except OSError as exc:
        raise InputNotFound(str(path), f"无法读取：{exc.strerror}") from None
    if p.is_dir():
        raise InputNotFound(str(path), "是目录而不是文件")
    if size > MAX_INPUT_BYTES:
        raise UnreadableInput(
            str(path), f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_INPUT_BYTES // 1048576} MB），未读取"
        )
    try:
        data = p.read_bytes()
    except OSError as exc:  # removed or made unreadable since the stat
        raise InputNotFound(str(path), f"无法读取：{exc.strerror or exc}") from None
    return read_document(data, str(path))
