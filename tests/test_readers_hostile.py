"""Hostile inputs through monitor.readers.read_document: an UnreadableInput naming the file, or a
document -- never any other exception, never a hang."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from monitor.errors import UnreadableInput
from monitor.readers import MAX_INPUT_BYTES, SourceDocument, read_document, read_path
from tests.support import builders as b
from tests.support.paths import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "readers"


def read_or_refuse(data: bytes, name: str) -> SourceDocument | UnreadableInput:
    try:
        return read_document(data, name)
    except UnreadableInput as exc:
        assert exc.path == name and str(exc).startswith(f"{name}: ")
        assert exc.problem and not exc.problem.isascii(), exc.problem  # a Chinese message
        return exc


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\r\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(UnreadableInput, match=r"^empty\.html: 文件为空$"):
        read_document(data, "empty.html")


def test_binary_file_renamed_html() -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(50_000))
    junk = junk.replace(b"%PDF-", b"%PDX-")
    with pytest.raises(UnreadableInput, match=r"^2023年报\.html: .*二进制"):
        read_document(b"\x7fELF\x02\x01\x01\x00" + junk, "2023年报.html")


def test_png_named_html() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x01" * 200
    with pytest.raises(UnreadableInput, match=r"^scan\.html: "):
        read_document(png, "scan.html")


def test_corrupt_pdf() -> None:
    data = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\xff" * 5000 + b"\n%%EOF\n"
    with pytest.raises(UnreadableInput, match=r"^年报\.pdf: PDF 文件已损坏"):
        read_document(data, "年报.pdf")


def test_pdf_served_as_html_is_read_as_pdf() -> None:
    doc = read_document(b.build_image_pdf(1), "detail.html")
    assert doc.format == "pdf" and doc.image_only


def test_50_megabyte_file_is_refused_quickly(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:
        f.write(b"%PDF-1.7\n")
        f.truncate(50 * 1024 * 1024)
    assert big.stat().st_size > MAX_INPUT_BYTES
    start = time.perf_counter()
    with pytest.raises(UnreadableInput, match=r"huge\.pdf: 文件过大（50\.0 MB"):
        read_path(big)
    data = big.read_bytes()
    with pytest.raises(UnreadableInput, match=r"huge\.pdf: 文件过大"):
        read_document(data, str(big))
    assert time.perf_counter() - start < 2


def test_script_in_title_stays_text() -> None:
    page = (
        "<html><head><title>年报<script>alert(1)</script></title></head>"
        "<body><div class='TRS_Editor'><p>一、总体情况</p><script>alert(2)</script><p>正文</p>"
        "<p onclick='alert(3)'><img src=x onerror=alert(4)>说明</p></div></body></html>"
    )
    doc = read_document(page.encode(), "xss.html")
    assert isinstance(doc.meta["title"], str)
    # <title> is RCDATA: the tag is characters of the title, never parsed or run
    assert doc.meta["title"] == "年报<script>alert(1)</script>"
    assert [ln.text for ln in doc.lines] == ["一、总体情况", "正文", "说明"]


def test_deep_nesting_does_not_crash() -> None:
    page = "<html><body>" + "<div><table><tr><td>" * 2000 + "一、总体情况" + "</td></tr></table></div>" * 2000
    assert isinstance(read_or_refuse(page.encode(), "deep.html"), SourceDocument | UnreadableInput)


def test_zip_that_is_not_a_document() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("年报.pdf", b"%PDF-1.4 " * 100)
    with pytest.raises(UnreadableInput, match=r"附件\.zip: 不是可识别的年报格式"):
        read_document(buf.getvalue(), "附件.zip")


@pytest.mark.parametrize("name", ["trs_detail.shtml", "report.docx", "report_lo.pdf", "gbk_meta.html"])
def test_mangled_fixtures(name: str) -> None:
    """Truncations and byte flips of real fixtures: a document or an UnreadableInput, nothing else."""
    data = (FIXTURES / name).read_bytes()
    rng = random.Random(name)
    cases = [data[:n] for n in (10, 100, 1000, len(data) // 3, len(data) - 10)]
    for _ in range(12):
        mangled = bytearray(data)
        for _ in range(rng.randrange(1, 40)):
            mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        cases.append(bytes(mangled))
    start = time.perf_counter()
    for case in cases:
        result = read_or_refuse(case, name)
        assert isinstance(result, SourceDocument | UnreadableInput)
    assert time.perf_counter() - start < 60
