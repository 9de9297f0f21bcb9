"""Decompression with a cap: a DOCX part or a PDF's streams never inflate past a limit.

A zip bomb (a DOCX of 150 KB whose body inflates to 150 MB) or a flate bomb (a PDF page whose
content stream inflates to gigabytes of drawing operators) is recognised here, from the
compressed bytes and before any parser holds the inflated data, and refused (OverLimit).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass

__all__ = ["Inflated", "PartTooLarge", "inflated_streams", "read_part"]


class PartTooLarge(Exception):
    """A part or stream inflates past the cap (the reader turns it into OverLimit naming the file)."""


def read_part(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """One zip member, inflated to at most ``cap`` bytes whatever size its header declares."""
    if info.file_size > cap:
        raise PartTooLarge(info.filename)
    with z.open(info) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise PartTooLarge(info.filename)
    return data


# "stream" followed by its end of line, not the end of "endstream".
_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
# Embedded font programs: TrueType (/Length1), Type 1 (/Length2), CFF and OpenType (FontFile3).
_FONT = re.compile(rb"/Length[12]\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)\b")
_FLATE = re.compile(rb"/FlateDecode\b|/Fl\b")
_DICT_LOOKBACK = 4096
_CHUNK = 1 << 16
_OUT = 1 << 20


@dataclass
class Inflated:
    """What a PDF's compressed streams inflate to, counted up to the caps: content (page content,
    forms, object streams) and embedded fonts. Images are not counted: text extraction never
    decodes them."""

    content: int = 0
    fonts: int = 0


def _inflated_size(data: bytes, start: int, cap: int) -> int:
    """How many bytes the zlib stream at ``start`` inflates to, counting to ``cap + 1`` at most."""
    inflater = zlib.decompressobj()
    size = 0
    pos = start
    try:
        while pos < len(data) and not inflater.eof and size <= cap:
            size += len(inflater.decompress(data[pos : pos + _CHUNK], _OUT))
            pos += _CHUNK
            while inflater.unconsumed_tail and not inflater.eof and size <= cap:
                size += len(inflater.decompress(inflater.unconsumed_tail, _OUT))
    except zlib.error:
        pass  # a damaged stream inflates only so far; the PDF libraries judge the rest
    return size


def inflated_streams(data: bytes, content_cap: int, font_cap: int) -> Inflated:
    """Count what the Flate streams of a PDF inflate to; raises PartTooLarge past a cap.

    The file is scanned for its ``stream`` keywords, not parsed: the dictionary before each
    (back to its ``obj``) says whether it is an image, a font or content.
    """
    total = Inflated()
    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - _DICT_LOOKBACK) : match.start()]
        obj = head.rfind(b"obj")
        if obj != -1:
            head = head[obj:]
        if not _FLATE.search(head) or _IMAGE.search(head):
            continue
        if _FONT.search(head):
            total.fonts += _inflated_size(data, match.end(), font_cap - total.fonts)
            if total.fonts > font_cap:
                raise PartTooLarge("font")
        else:
            total.content += _inflated_size(data, match.end(), content_cap - total.content)
            if total.content > content_cap:
                raise PartTooLarge("content")
    return total
