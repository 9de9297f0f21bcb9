"""Plain text and markdown, as produced by PDF-to-text converters (the seeds).

Table rows arrive as tab- or pipe-separated lines; markdown rule lines
(|---|---|, or ---- cells) carry nothing and are dropped.
"""

from __future__ import annotations

import re

from monitor.readers.base import Line, SourceDocument
from monitor.readers.encoding import decode_text
from monitor.readers.limits import Budget

_MD_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_DASH_CELL = re.compile(r"^-{2,}$")


def split_row(line: str) -> list[str] | None:
    """Cells of a table row, or None when the line is a paragraph."""
    stripped = line.strip()
    if stripped.startswith("|") and stripped.count("|") >= 2:
        inner = stripped[1:-1] if stripped.endswith("|") else stripped[1:]
        return [c.strip() for c in inner.split("|")]
    # Tabs after the text make a row ("行政强制\t\t\t" is a row of blanks); tabs only before it indent a paragraph.
    if "\t" in line.lstrip("\t "):
        return [c.strip() for c in line.rstrip("\n").split("\t")]
    return None


# What str.splitlines() breaks at besides "\n" and "\r".
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_count(text: str) -> int:
    """How many lines ``text.splitlines()`` gives, without making them."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    breaks += sum(text.count(sep) for sep in _OTHER_BREAKS)
    return breaks + (not text.endswith(("\n", "\r", *_OTHER_BREAKS)))


def parse_text(text: str, path: str, fmt: str = "text") -> SourceDocument:
    # Counted before any work: a 14 MB file of short lines would otherwise be read into millions of lines.
    Budget(path).add_lines(line_count(text))
    doc = SourceDocument(path=path, format=fmt)
    for raw in text.splitlines():
        line = raw.replace("\u00a0", " ").rstrip("\r\n ")
        if _MD_RULE.match(line.strip()) and "-" in line:
            continue
        cells = split_row(line)
        if cells is not None:
            if all(not c or _DASH_CELL.match(c) for c in cells):
                continue  # an empty row or a rule drawn with dashes
            doc.lines.append(Line(text="\t".join(cells), cells=cells))
        else:
            doc.lines.append(Line(text=line.strip()))
    return doc


def read_text(data: bytes, path: str) -> SourceDocument:
    text, encoding = decode_text(data, path)
    doc = parse_text(text, path)
    doc.meta["encoding"] = encoding
    return doc
