"""Readers: turn the bytes of a report in any format into a SourceDocument.

``read_document`` sniffs the format from the content (not only the file
name: portals serve PDFs as .html and HTML as .doc) and dispatches to one
reader per format. Every failure is an UnreadableInput naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from io import BytesIO
from pathlib import Path

from monitor.errors import InputNotFound, NotARegularFile, NotAReport
from monitor.readers.base import Line, SourceDocument
from monitor.readers.limits import MAX_INPUT_BYTES, MAX_TEXT_CHARS, too_big, too_much_text

__all__ = [
    "MAX_INPUT_BYTES",
    "Line",
    "SourceDocument",
    "read_bytes",
    "read_document",
    "read_path",
    "sniff_format",
]

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
        except Exception:  # BadZipFile, and what a damaged directory raises (NotImplementedError ...)
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
    doc = _read_format(data, path, content_type)
    if sum(len(line.text) for line in doc.lines) > MAX_TEXT_CHARS:
        raise too_much_text(path)
    return doc


def _read_format(data: bytes, path: str, content_type: str | None) -> SourceDocument:
    if not data.strip():
        raise NotAReport(path, "文件为空")
    if len(data) > MAX_INPUT_BYTES:
        raise too_big(path, len(data))
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


def read_bytes(path: str | Path) -> bytes:
    """The bytes of the regular file at ``path``, at most MAX_INPUT_BYTES of them.

    Only a regular file is read: a device (a link to /dev/zero), a FIFO or a socket is refused
    before a byte is read, and opening does not wait for a FIFO's writer (O_NONBLOCK).
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputNotFound(name, "文件不存在") from None
    except IsADirectoryError:
        raise InputNotFound(name, "是目录而不是文件") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO's special case
            raise NotARegularFile(name, "不是普通文件（设备、管道或套接字），未读取") from None
        raise InputNotFound(name, f"无法读取：{exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputNotFound(name, "是目录而不是文件")
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(name, "不是普通文件（设备、管道或套接字），未读取")
        if info.st_size > MAX_INPUT_BYTES:
            raise too_big(name, info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_INPUT_BYTES + 1)  # a file growing while it is read stops here
    except OSError as exc:  # removed or made unreadable since it was opened
        raise InputNotFound(name, f"无法读取：{exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_INPUT_BYTES:
        raise too_big(name, len(data))
    return data


def read_path(path: str | Path) -> SourceDocument:
    return read_document(read_bytes(path), str(path))
