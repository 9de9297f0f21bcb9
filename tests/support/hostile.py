"""Hostile report files, made from the seed reports: the twelve failures of issue 12 and a seeded mutator.

Each ``build_*`` function makes one file that once crashed, hung or exhausted a reader (issue 12,
points 1-7). ``mutants(seed, count)`` makes ``count`` mutated files (text, HTML, DOCX, PDF) from
the seeds and the committed renderings -- bit flips, truncations, absurd XML numbers, huge spans,
numbers too large for a count -- the same files for the same seed. The fuzz test runs a few
hundred of them through ``check``; ``bench/fuzz.py`` runs ten thousand.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache

from tests.support.paths import FIXTURES
from tests.support.renderers import SEEDS, to_docx, to_html

SEED_001 = FIXTURES / "seeds" / f"{SEEDS['001']}.txt"


@lru_cache(maxsize=8)
def seed_text(key: str = "001") -> str:
    return (FIXTURES / "seeds" / f"{SEEDS[key]}.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def seed_docx(key: str = "001") -> bytes:
    return to_docx(seed_text(key))


@lru_cache(maxsize=8)
def seed_html(key: str = "001") -> bytes:
    return to_html(seed_text(key))


@lru_cache(maxsize=8)
def seed_pdf(key: str = "001") -> bytes:
    return (FIXTURES / "renderings" / f"{SEEDS[key]}.pdf").read_bytes()


# ---------------------------------------------------------------- DOCX surgery


def docx_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(parts: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def docx_with_xml(edit: Callable[[bytes], bytes], data: bytes | None = None) -> bytes:
    """A DOCX whose word/document.xml is ``edit(xml)``."""
    parts = docx_parts(data or seed_docx())
    parts["word/document.xml"] = edit(parts["word/document.xml"])
    return rezip(parts)


# ---------------------------------------------------------------- the failures of issue 12


def build_docx_infinite_twips() -> bytes:
    """1. A grid column width of 1e400 twips (float infinity)."""
    return docx_with_xml(lambda xml: re.sub(rb'(<w:gridCol w:w=")\d+"', rb'\g<1>1e400"', xml, count=3))


def build_docx_flipped_deflate() -> bytes:
    """2. Bit flips inside word/document.xml's deflate stream (the zip directory intact)."""
    data = bytearray(seed_docx())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/document.xml")
    # the local header: 30 bytes + name + extra, then the compressed stream
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in (20, 40, 60, 200, 400):
        data[start + offset] ^= 0xFF
    return bytes(data)


def build_docx_huge_gridspan(span: str = "99999999") -> bytes:
    """3. ``w:gridSpan`` of 99999999 (or 2**64) on every cell of the first rows."""

    def edit(xml: bytes) -> bytes:
        return re.sub(rb"<w:tcPr>", f'<w:tcPr><w:gridSpan w:val="{span}"/>'.encode(), xml, count=40)

    return docx_with_xml(edit)


def build_text_huge_number(digits: int = 400) -> bytes:
    """4. A table-3 cell of 400 nines: too large for a count, and for a float."""
    lines = seed_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("一、本年新收政府信息公开申请数量"):
            cells = line.split("\t")
            cells[2] = "9" * digits
            lines[i] = "\t".join(cells)
            break
    else:
        raise AssertionError("seed 001 has no table-3 row")
    return "\n".join(lines).encode()


def build_html_huge_spans(span: int = 1000, size: int = 100_000) -> bytes:
    """5. A ~100 KB page whose table cells all have colspan and rowspan of 1000."""
    row = "<tr>" + f'<td colspan="{span}" rowspan="{span}">1</td>' * 20 + "</tr>"
    rows = row * (size // len(row) + 1)
    return (
        "<html><head><title>2023年政府信息公开工作年度报告</title></head><body>"
        f"<p>一、总体情况</p><table>{rows}</table></body></html>"
    ).encode()


def build_pdf_pages(pages: int = 2000) -> bytes:
    """7a. A PDF of 2,000 pages of text (a small text stream per page, written by hand: fpdf2 takes minutes)."""
    content = b"BT /F1 12 Tf 72 720 Td (Annual report page) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # the page tree is filled in below
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    stream = len(objects) + 1
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    kids = []
    for _ in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (stream, font)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    return _pdf(objects)


def build_pdf_flate_bomb(inflated: int = 1 << 30, operator: bytes = b"0 0 m 1 1 l S\n") -> bytes:
    """7b. A one-page PDF whose content stream inflates to ``inflated`` bytes of drawing operators."""
    compressor = zlib.compressobj(9)
    count, per = inflated // len(operator), max(1, (1 << 20) // len(operator))
    body = b"".join(compressor.compress(operator * min(per, count - i)) for i in range(0, count, per))
    body += compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def build_docx_inflating(size: int = 150 * 1024 * 1024) -> bytes:
    """7c. A small DOCX whose body inflates to ``size`` bytes of paragraphs (its sizes declared truly)."""
    parts = docx_parts(seed_docx())
    xml = parts["word/document.xml"]
    paragraph = "<w:p><w:r><w:t>本机关主动公开政府信息。</w:t></w:r></w:p>".encode()
    head, tail = xml.split(b"<w:body>", 1)
    parts["word/document.xml"] = head + b"<w:body>" + paragraph * (size // len(paragraph)) + tail
    return rezip(parts, level=9)


def build_text_short_lines(size: int = 14 * 1024 * 1024) -> bytes:
    """7d. A text file of ``size`` bytes of short lines."""
    return ("一、\n2\n" * (size // 10)).encode()


# ---------------------------------------------------------------- the mutator

MUTATIONS = ("flip", "truncate", "xml_number", "span", "huge_number", "bomb")
FORMATS = ("text", "html", "docx", "pdf")

_ABSURD = (
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "99999999",
    str(2**64),
    "-2147483649",
    "9" * 400,
    "9" * 5000,  # past Python's 4,300-digit limit of int()
    "0x7fffffff",
    "",
    "-0",
    "1.5e308",
)


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 3, 10, 40, 200))):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _absurd_attributes(xml: bytes, names: tuple[bytes, ...], rng: random.Random) -> bytes:
    """Replace the values of some numeric attributes named ``names`` with absurd ones."""
    pattern = re.compile(rb"(\b(?:" + b"|".join(names) + rb')=")([^"]*)"')
    hits = list(pattern.finditer(xml))
    if not hits:
        return xml
    chosen = {m.start() for m in rng.sample(hits, min(len(hits), rng.choice((1, 3, 20))))}
    return pattern.sub(
        lambda m: m.group(1) + rng.choice(_ABSURD).encode() + b'"' if m.start() in chosen else m.group(0), xml
    )


_DOCX_NUMBERS = (b"w:w", b"w:val", b"w:gridSpan", b"w:gridBefore", b"w:sz", b"w:space")


def _docx_spans(xml: bytes, rng: random.Random) -> bytes:
    span = rng.choice(("99999999", str(2**64), "1000", "65535", "-5", "0", "1e9"))
    xml = re.sub(
        rb"<w:tcPr>", f'<w:tcPr><w:gridSpan w:val="{span}"/>'.encode(), xml, count=rng.choice((1, 5, 50))
    )
    if rng.random() < 0.5:
        xml = re.sub(
            rb"<w:trPr>|<w:tr>",
            lambda m: (
                m.group(0) + f'<w:trPr><w:gridBefore w:val="{span}"/></w:trPr>'.encode()
                if m.group(0) == b"<w:tr>"
                else m.group(0)
            ),
            xml,
            count=3,
        )
    return xml


def _html_spans(page: bytes, rng: random.Random) -> bytes:
    span = rng.choice(("1000", "65534", "99999999", "0", "-1", "1e9", str(2**64)))
    attr = rng.choice(("colspan", "rowspan", "both"))
    extra = {"colspan": f' colspan="{span}"', "rowspan": f' rowspan="{span}"'}.get(
        attr, f' colspan="{span}" rowspan="{span}"'
    )
    return re.sub(rb"<td(?=[ >])", b"<td" + extra.encode(), page, count=rng.choice((1, 10, 1000)))


def _huge_numbers(text: str, rng: random.Random) -> str:
    digits = rng.choice((16, 30, 400, 5000))
    number = rng.choice(("9" * digits, "1" + "0" * digits, "9" * digits + ".5", "-" + "9" * digits))
    lines = text.splitlines()
    rows = [i for i, line in enumerate(lines) if "\t" in line and re.search(r"\t\d+", line)]
    for i in rng.sample(rows, min(len(rows), rng.choice((1, 5)))):
        cells = lines[i].split("\t")
        numeric = [k for k, c in enumerate(cells) if c.strip().isdigit()]
        if numeric:
            cells[rng.choice(numeric)] = number
        lines[i] = "\t".join(cells)
    if rng.random() < 0.5:  # a count in the prose too, where the cross-checks read it
        lines.insert(rng.randrange(len(lines) + 1), f"本年度共收到政府信息公开申请{number}件。")
    return "\n".join(lines)


def _bomb(fmt: str, rng: random.Random) -> bytes:
    """A file built to exhaust a reader: decompression bombs, thousands of pages, millions of lines."""
    kind = rng.randrange(3)
    if fmt == "pdf":
        if kind == 0:
            operator = rng.choice((b"0 0 m 1 1 l S\n", b"q Q\n", b"BT /F1 1 Tf (A) Tj ET\n", b" " * 64))
            return build_pdf_flate_bomb(rng.randrange(25, 80) << 20, operator)
        if kind == 1:
            return build_pdf_pages(rng.randrange(301, 2500))
        return build_pdf_flate_bomb(rng.randrange(300_000, 1_400_000), b"0 0 m 1 1 l S\n")  # crowded page
    if fmt == "docx":
        if kind == 0:
            return build_docx_inflating(rng.randrange(17, 40) << 20)
        columns = rng.choice((5_000, 100_000))
        grid = b"<w:tblGrid>" + b'<w:gridCol w:w="100"/>' * columns + b"</w:tblGrid>"
        return docx_with_xml(
            lambda xml: re.sub(rb"<w:tblGrid>.*?</w:tblGrid>", lambda _: grid, xml, count=1, flags=re.S)
        )
    if fmt == "html":
        if kind == 0:
            return build_html_huge_spans(rng.choice((100, 1000, 65534)), rng.randrange(20_000, 200_000))
        if kind == 1:
            return b"<html><body><p>" + b"<b>" * rng.randrange(1_000_001, 1_300_000) + b"</p></body></html>"
        return seed_html().replace(b"<td", b'<td rowspan="65534"', 3)
    if kind == 0:
        return build_text_short_lines(rng.randrange(1, 14) << 20)
    if kind == 1:
        return ("一、总体情况" * rng.randrange(100_000, 1_500_000)).encode()  # one line of megabytes
    return (seed_text() + "\n" + "\t".join(["9"] * rng.randrange(50_000, 300_000))).encode()


def mutate(fmt: str, mutation: str, rng: random.Random) -> bytes:
    """One hostile file of ``fmt`` made by ``mutation`` from a random seed report."""
    key = rng.choice(sorted(SEEDS))
    if mutation == "bomb":
        return _bomb(fmt, rng)
    if mutation == "huge_number":
        text = _huge_numbers(seed_text(key), rng)
        if fmt == "html":
            return to_html(text)
        if fmt == "docx":
            return to_docx(text)
        if fmt == "pdf":  # no PDF renderer at hand: a text-layer PDF's stream edited instead
            return _flip(seed_pdf(key), rng)
        return text.encode()
    base = {"text": lambda: seed_text(key).encode(), "html": lambda: seed_html(key)}.get(fmt)
    data = base() if base else seed_docx(key) if fmt == "docx" else seed_pdf(key)
    if mutation == "flip":
        return _flip(data, rng)
    if mutation == "truncate":
        return _truncate(data, rng)
    if fmt == "docx":
        edit = (
            (lambda xml: _absurd_attributes(xml, _DOCX_NUMBERS, rng))
            if mutation == "xml_number"
            else (lambda xml: _docx_spans(xml, rng))
        )
        mutated = docx_with_xml(edit, data)
        return _flip(mutated, rng) if rng.random() < 0.2 else mutated
    if fmt == "html":
        if mutation == "xml_number":
            return _absurd_attributes(data, (b"colspan", b"rowspan", b"width", b"height", b"size"), rng)
        return _html_spans(data, rng)
    if fmt == "pdf":  # absurd numbers in the PDF's own syntax: object lengths, counts, boxes
        return re.sub(
            rb"/(Length|Count|Size|W|First|N) \d+",
            lambda m: b"/" + m.group(1) + b" " + rng.choice(_ABSURD).encode(),
            data,
            count=rng.choice((1, 3, 30)),
        )
    # text: a table row widened to an absurd number of cells
    return (seed_text(key) + "\n" + "\t".join(["9"] * rng.choice((1000, 20000)))).encode()


def mutants(seed: int, count: int, formats: tuple[str, ...] = FORMATS) -> Iterator[tuple[str, bytes]]:
    """``count`` hostile files, (name, bytes), cycling through formats and mutations."""
    rng = random.Random(seed)
    suffix = {"text": ".txt", "html": ".html", "docx": ".docx", "pdf": ".pdf"}
    for i in range(count):
        fmt = formats[i % len(formats)]
        mutation = MUTATIONS[(i // len(formats)) % len(MUTATIONS)]
        yield f"{i:05d}-{mutation}{suffix[fmt]}", mutate(fmt, mutation, rng)
