"""DOC/WPS reader: LibreOffice to DOCX first (faithful tables), antiword as the fallback.

report.doc is the sample report saved by LibreOffice as Word 97 (make_fixtures.py).
libreoffice-writer-nogui and antiword are in the Makefile's DEBIAN_PACKAGES.
"""

from __future__ import annotations

import shutil
import struct
import time
from pathlib import Path

import pytest

from monitor.errors import UnreadableInput
from monitor.readers import doc as doc_reader
from monitor.readers import read_document
from tests.support import builders as b
from tests.support.paths import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "readers"

SOFFICE = shutil.which("soffice")
ANTIWORD = shutil.which("antiword")
needs_soffice = pytest.mark.skipif(not SOFFICE, reason="needs libreoffice-writer-nogui (make system-deps)")
needs_antiword = pytest.mark.skipif(not ANTIWORD, reason="needs antiword (make system-deps)")

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]


@pytest.fixture(scope="module")
def report_doc() -> bytes:
    return (FIXTURES / "report.doc").read_bytes()


def rows_of(doc, table: int) -> list[list[str]]:
    return [ln.cells for ln in doc.lines if ln.table == table]


def texts(doc) -> list[str]:
    return [ln.text for ln in doc.lines if ln.cells is None]


def use_tools(monkeypatch: pytest.MonkeyPatch, soffice: str | None, antiword: str | None) -> None:
    monkeypatch.setattr(doc_reader, "_tools", lambda: {"soffice": soffice, "antiword": antiword})


def word_document_offset(data: bytes) -> int:
    streams = doc_reader._ole_streams(data)
    assert streams is not None
    start, _size = streams["WordDocument"]
    return (start + 1) * (1 << struct.unpack_from("<H", data, 0x1E)[0])


@pytest.mark.slow
@needs_soffice
def test_doc_through_libreoffice_keeps_merged_cells(report_doc: bytes) -> None:
    doc = read_document(report_doc, "report.doc")
    assert doc.format == "doc"
    assert doc.meta["converter"] == "libreoffice"
    assert doc.meta["title"] == "某市教育局2023年政府信息公开工作年度报告"
    paragraphs = texts(doc)
    assert paragraphs[0] == "某市教育局2023年政府信息公开工作年度报告"
    assert [t for t in paragraphs if t in HEADINGS] == HEADINGS
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert rows_of(doc, 1) == b.grid(b.table3_spec())
    # LibreOffice's DOC→DOCX adds a 1-twip grid column to table 4; the reader drops it
    assert rows_of(doc, 2) == b.grid(b.table4_spec())


@pytest.mark.slow
@needs_soffice
def test_wps_name_goes_the_same_way(report_doc: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    use_tools(monkeypatch, SOFFICE, None)
    doc = read_document(report_doc, "某单位年报.wps")
    assert doc.format == "doc" and rows_of(doc, 1) == b.grid(b.table3_spec())


@needs_antiword
def test_antiword_fallback(report_doc: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    # LibreOffice missing, or failing: /bin/false stands for a soffice that cannot convert
    for soffice in (None, "/bin/false"):
        use_tools(monkeypatch, soffice, ANTIWORD)
        start = time.perf_counter()
        doc = read_document(report_doc, "report.doc")
        assert time.perf_counter() - start < 5
        assert doc.meta["converter"] == "antiword"
        paragraphs = texts(doc)
        assert paragraphs[0] == "某市教育局2023年政府信息公开工作年度报告"
        assert paragraphs[-2:] == ["某市教育局", "2024年1月25日"]
        # antiword keeps simple rows (but not column spans, and it loses complex tables: hence LibreOffice first)
        assert ["规章", "0", "0", "0"] in [ln.cells for ln in doc.lines if ln.is_row]


def test_no_converter_installed(report_doc: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    use_tools(monkeypatch, None, None)
    with pytest.raises(UnreadableInput, match=r"report\.doc: .*libreoffice-writer-nogui"):
        read_document(report_doc, "report.doc")


def test_encrypted_doc(report_doc: bytes) -> None:
    data = bytearray(report_doc)
    flags_at = word_document_offset(report_doc) + 0x0A
    struct.pack_into("<H", data, flags_at, struct.unpack_from("<H", data, flags_at)[0] | 0x0100)  # fEncrypted
    with pytest.raises(UnreadableInput, match=r"secret\.doc: DOC 文件已加密"):
        read_document(bytes(data), "secret.doc")


def test_ole_files_that_are_not_word(report_doc: bytes) -> None:
    # the same compound file with its main stream renamed: what an .xls or an encrypted .docx looks like
    for stream, message in (("Workbook", "Excel"), ("EncryptedPackage", "已加密")):
        name = "WordDocument".encode("utf-16-le")
        new = stream.encode("utf-16-le")
        i = report_doc.index(name + b"\x00\x00")
        data = bytearray(report_doc)
        data[i : i + 64] = (new + b"\x00\x00").ljust(64, b"\x00")
        struct.pack_into("<H", data, i + 0x40, len(new) + 2)
        with pytest.raises(UnreadableInput, match=message):
            read_document(bytes(data), "attachment.doc")


@pytest.mark.slow
@pytest.mark.skipif(not (SOFFICE or ANTIWORD), reason="needs a converter")
def test_damaged_doc(report_doc: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(UnreadableInput, match=r"bad\.doc: DOC/WPS 文件已损坏"):
        read_document(report_doc[:512] + bytes(range(256)) * 40, "bad.doc")
    with pytest.raises(UnreadableInput, match=r"cut\.doc"):
        read_document(report_doc[:20000], "cut.doc")
    assert time.perf_counter() - start < 30


@pytest.mark.slow
def test_converter_timeout_kills_it(
    tmp_path: Path, report_doc: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    hang = tmp_path / "soffice"
    hang.write_text("#!/bin/sh\nsleep 60 &\nwait\n")
    hang.chmod(0o755)
    use_tools(monkeypatch, str(hang), None)
    monkeypatch.setattr(doc_reader, "SOFFICE_TIMEOUT", 1)
    start = time.perf_counter()
    with pytest.raises(UnreadableInput, match="转换超时"):
        read_document(report_doc, "slow.doc")
    assert time.perf_counter() - start < 10
