"""Decoding bytes of unknown encoding: BOM, declared charset, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from monitor.errors import UnreadableInput

_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([\w-]+)""", re.I)
# GB2312 and GBK pages routinely use characters outside their declared set; GB18030 is the superset.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


def normalise_encoding(name: str) -> str:
    name = name.strip().lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return "utf-8"
    return _ALIASES.get(name, name)


def declared_charset(data: bytes, header: str | None = None) -> str | None:
    """The charset declared by an HTTP header value or in the first 4 KB of the body."""
    for source in (header.encode("latin-1", "ignore") if header else b"", data[:4096]):
        m = _CHARSET.search(source)
        if m:
            return normalise_encoding(m.group(1).decode("ascii", "ignore"))
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes or a high share of control characters: not text of any encoding we read."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05


def decode_text(data: bytes, path: str, header: str | None = None) -> tuple[str, str]:
    """Decode to str, returning (text, encoding); raise UnreadableInput for binary data."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    if looks_binary(data):
        raise UnreadableInput(path, "不是文本文件（含二进制内容），无法作为年报读取")
    declared = declared_charset(data, header)
    candidates = [declared] if declared else []
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), normalise_encoding(best.encoding)
    return data.decode("utf-8", errors="replace"), "utf-8"
