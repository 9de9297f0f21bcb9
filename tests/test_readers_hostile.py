"""Hostile inputs through monitor.readers.read_document: an UnreadableInput naming the file, or a
document -- never any other exception, never a hang."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from monitor.check import check_reports, read_report
from monitor.errors import DamagedDocument, NotARegularFile, OverLimit, UnreadableInput
from monitor.readers import MAX_INPUT_BYTES, SourceDocument, read_document, read_path
from monitor.readers.limits import MAX_PAGES
from tests.support import builders as b
from tests.support import hostile
from tests.support.cli import Cli
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


# ---------------------------------------------------------------- issue 12, points 1-8
# Each file below once crashed a reader, hung it or took gigabytes (tests/hostile.py builds them).


def _table_rows(doc: SourceDocument) -> list[list[str]]:
    return [ln.cells for ln in doc.lines if ln.cells is not None]


def test_infinite_column_width_is_read_as_a_wide_column() -> None:
    """1. w:w="1e400" (float infinity) once raised OverflowError in the twips conversion."""
    doc = read_document(hostile.build_docx_infinite_twips(), "twips.docx")
    assert _table_rows(doc) == _table_rows(read_document(hostile.seed_docx(), "seed.docx"))


def test_bit_flipped_deflate_in_a_docx_part_is_a_damaged_document() -> None:
    """2. zlib.error once escaped from the part reader."""
    with pytest.raises(DamagedDocument, match=r"^flipped\.docx: DOCX 文件已损坏.*（压缩数据已损坏）$"):
        read_document(hostile.build_docx_flipped_deflate(), "flipped.docx")


@pytest.mark.parametrize("span", ["99999999", str(2**64)])
def test_huge_grid_span_reaches_no_further_than_the_tables_real_width(span: str) -> None:
    """3. w:gridSpan="99999999" once laid out a hundred million cells per row (36 s, 8 GB, MemoryError)."""
    doc = read_document(hostile.build_docx_huge_gridspan(span), "span.docx")
    widest_grid = max(len(row) for row in _table_rows(read_document(hostile.seed_docx(), "seed.docx")))
    rows = _table_rows(doc)
    # Each span ends at the grid's last column; only the cells after it run past (one position each).
    assert rows and max(len(row) for row in rows) < 2 * widest_grid
    assert "一、本年新收政府信息公开申请数量" in {cell for row in rows for cell in row}


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_number_too_large_for_a_count_is_an_invalid_number(digits: int) -> None:
    """4. 400 nines once raised OverflowError in the CALC rules (5,000: ValueError in the cell model)."""
    report = read_report(hostile.build_text_huge_number(digits), "nines.txt")
    cell = report.tables["table3"].cell("new", "natural_person")
    assert cell is not None and cell.value is None and cell.oversized
    (findings,) = check_reports([report])
    (invalid,) = [f for f in findings if f.code == "CALC.INVALID_NUMBER"]
    assert invalid.message.endswith(f"…（共{digits}个字符）”，数值过大（不可能是件数或金额）")
    # No sum is asserted with a cell that holds no value.
    assert not [f for f in findings if f.code.startswith("CALC.T3")]


def test_huge_html_spans_are_refused_before_they_are_laid_out() -> None:
    """5. colspan/rowspan="1000" on every cell of a 100 KB page once took 30 s and 6.5 GB."""
    with pytest.raises(OverLimit, match=r"^spans\.html: 表格超过 200,000 个单元格"):
        read_document(hostile.build_html_huge_spans(), "spans.html")


def test_an_oversized_colspan_spans_the_tables_real_width() -> None:
    """5. A title row's colspan="1000" in a three-column table spans three columns (not 200)."""
    page = (
        "<table><tr><td colspan='1000'>表一</td></tr><tr><td>行政许可</td><td>3</td><td>5</td></tr>"
        "<tr><td rowspan='999'>行政处罚</td><td>1</td><td>2</td></tr></table>"
    )
    doc = read_document(page.encode(), "table.html")
    assert _table_rows(doc) == [["表一", "", ""], ["行政许可", "3", "5"], ["行政处罚", "1", "2"]]


def test_spans_and_counts_of_thousands_of_digits_are_no_crash() -> None:
    """Python refuses int() of more than 4,300 digits: such a span spans the table, such a count is none."""
    page = (
        f"<table><tr><td colspan='{'9' * 5000}'>表一</td></tr>"
        f"<tr><td rowspan='{'9' * 5000}'>行政许可</td><td>3</td><td>5</td></tr></table>"
    )
    assert _table_rows(read_document(page.encode(), "table.html")) == [
        ["表一", "", ""],
        ["行政许可", "3", "5"],
    ]
    seed = (FIXTURE_ROOT / "seeds" / "001_898f82200a7ede38.txt").read_text(encoding="utf-8")
    claim = "本年度共收到政府信息公开申请" + "9" * 5000 + "件。\n"
    report = read_report(seed.replace("二、主动公开", claim + "二、主动公开", 1).encode(), "claim.txt")
    (findings,) = check_reports([report])
    assert "DATE.SIGNATURE_YEAR" in {f.code for f in findings}  # checked as any other report


def test_special_files_are_never_opened(tmp_path: Path) -> None:
    """6. A link to /dev/zero once read 7.5 GB into memory; a FIFO hung forever."""
    zero = tmp_path / "report.pdf"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / "report.txt"
    os.mkfifo(fifo)
    for path in (zero, fifo):
        with pytest.raises(NotARegularFile, match=r": 不是普通文件（设备、管道或套接字），未读取$"):
            read_path(path)


def test_a_pdf_of_2000_pages_is_refused_before_its_pages_are_read() -> None:
    """7. A 2,000-page PDF once took 83 s."""
    with pytest.raises(OverLimit, match=rf"^pages\.pdf: PDF 共 2000 页，超过上限 {MAX_PAGES} 页，未读取$"):
        read_document(hostile.build_pdf_pages(2000), "pages.pdf")


def test_a_flate_bomb_pdf_is_refused_before_it_is_inflated() -> None:
    """7. A flate-bomb PDF once took 136 s and 3.7 GB."""
    bomb = hostile.build_pdf_flate_bomb(64 << 20)
    assert len(bomb) < 1 << 20
    with pytest.raises(
        OverLimit, match=r"^bomb\.pdf: PDF 的页面内容解压后超过 24 MB（可能是压缩炸弹），未读取$"
    ):
        read_document(bomb, "bomb.pdf")


def test_a_page_too_crowded_to_lay_out_is_read_for_its_text() -> None:
    """7. 30,000 drawn lines on one page (about 13 s in pdfplumber): read by pdfium, text only."""
    text = b"BT /F1 12 Tf 72 720 Td (Annual report 2023) Tj ET\n"
    page = hostile.build_pdf_flate_bomb(30_000 * 14, b"0 0 m 1 1 l S\n").replace(
        b"/MediaBox [0 0 612 792]", b"/MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"
    )
    pdf = _with_text_and_font(page, text)
    doc = read_document(pdf, "crowded.pdf")
    assert doc.meta["degraded_pages"] == "1"
    assert [ln.text for ln in doc.lines] == ["Annual report 2023"]


def _with_text_and_font(pdf: bytes, text: bytes) -> bytes:
    """The bomb builder's one-page PDF with ``text`` drawn before its lines, and a font object 5."""
    import zlib

    start = pdf.index(b"stream\n") + len(b"stream\n")
    end = pdf.index(b"\nendstream")
    content = zlib.compress(text + zlib.decompress(pdf[start:end]))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return hostile._pdf(objects)


def test_a_docx_inflating_past_the_cap_is_refused() -> None:
    """7. A 150 KB DOCX inflating to 150 MB of paragraphs once took 62 s and 3.8 GB."""
    bomb = hostile.build_docx_inflating(20 << 20)
    assert len(bomb) < 1 << 20
    with pytest.raises(OverLimit, match=r"^big\.docx: DOCX 文件的 word/document\.xml 解压后超过 16 MB"):
        read_document(bomb, "big.docx")


def test_a_text_of_millions_of_short_lines_is_refused_before_it_is_split() -> None:
    """7. 14 MB of short lines once took 55 s and 1.1 GB."""
    with pytest.raises(OverLimit, match=r"^lines\.txt: 内容超过 100,000 行"):
        read_document(hostile.build_text_short_lines(), "lines.txt")


# ---------------------------------------------------------------- through `check` and `ingest`


def _run(cli: Cli, *args: str) -> tuple[int, str, str]:
    result = cli(*args)
    return result.exit_code, result.stdout, result.stderr


SITES = """
sites:
  - id: gzjkq-jgsw
    agency: 赣州经开区机关事务管理中心
    level: department
    start_urls: [https://jgsw.example.gov.cn/zfxxgknb/]
"""


@pytest.mark.timeout(60)
def test_check_refuses_special_files_in_one_line(tmp_path: Path, cli: Cli) -> None:
    """6. Through `check`: exit 2 and one Chinese line per file, the seed beside them still checked."""
    (tmp_path / "zero.pdf").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.txt")
    code, out, err = _run(
        cli, "check", str(tmp_path / "zero.pdf"), str(tmp_path / "fifo.txt"), str(hostile.SEED_001)
    )
    assert code == 2
    assert err.splitlines() == [
        f"nianbao: 错误：{tmp_path / name}: 不是普通文件（设备、管道或套接字），未读取"
        for name in ("zero.pdf", "fifo.txt")
    ]
    assert "赣州经开区机关事务管理中心" in out


@pytest.mark.parametrize(
    ("name", "build", "problem"),
    [
        ("twips.docx", hostile.build_docx_infinite_twips, None),
        ("span.docx", hostile.build_docx_huge_gridspan, None),
        ("nines.txt", hostile.build_text_huge_number, None),
        (
            "flipped.docx",
            hostile.build_docx_flipped_deflate,
            "DOCX 文件已损坏或不是 Word 文档，无法解析（压缩数据已损坏）",
        ),
        (
            "spans.html",
            hostile.build_html_huge_spans,
            "表格超过 200,000 个单元格（含合并单元格所占位置），未读取",
        ),
        ("lines.txt", hostile.build_text_short_lines, "内容超过 100,000 行（段落与表格行），未读取"),
    ],
)
def test_check_gives_a_report_or_one_line_never_a_traceback(
    tmp_path: Path, cli: Cli, name: str, build, problem
) -> None:
    path = tmp_path / name
    path.write_bytes(build())
    code, out, err = _run(cli, "check", "--json", str(path))
    if problem is None:
        assert code == 0 and err == "" and json.loads(out)["year"] == 2023
    else:
        assert (code, out, err) == (2, "", f"nianbao: 错误：{path}: {problem}\n")


def test_a_newline_in_a_file_name_keeps_the_error_on_one_line(tmp_path: Path, cli: Cli) -> None:
    """8. The one-line error contract holds for a name with a newline (and bytes that are not UTF-8)."""
    bad = tmp_path / "2023\n年报.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/\xff\xfe\n.pdf"))
    odd.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    code, _, err = _run(cli, "check", str(bad), str(odd))
    assert code == 2
    assert err.splitlines() == [
        f"nianbao: 错误：{tmp_path}/2023\\n年报.pdf: PDF 文件不完整（缺少文件结尾，可能下载中断），无法解析",
        f"nianbao: 错误：{tmp_path}/\\xff\\xfe\\n.pdf: PDF 文件不完整（缺少文件结尾，可能下载中断），无法解析",
    ]


def test_ingest_of_a_file_named_in_bytes_that_are_not_utf8(tmp_path: Path, cli: Cli) -> None:
    """8. `ingest` once failed with UnicodeEncodeError from the database on such a name (`check` did not)."""
    sites = tmp_path / "sites.yaml"
    sites.write_text(SITES, encoding="utf-8")
    data = str(tmp_path / "data")
    assert _run(cli, "sites", "import", str(sites), "--data", data)[0] == 0
    folder = os.fsencode(tmp_path)
    gbk = folder + "/2023年报.txt".encode("gb18030")  # as unzipped from a Chinese Windows machine
    odd = folder + b"/\xff\n.txt"
    with open(gbk, "wb") as f:
        f.write(hostile.SEED_001.read_bytes())
    with open(odd, "wb") as f:
        f.write(hostile.SEED_001.read_bytes().replace("2023年1月29日".encode(), "2024年1月29日".encode()))
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    code, out, err = _run(
        cli, "ingest", os.fsdecode(gbk), os.fsdecode(odd), str(fifo), "--site", "gzjkq-jgsw", "--data", data
    )
    assert code == 2, out + err
    shown_gbk = os.fsdecode(gbk).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    assert out.splitlines() == [
        f"已入库 {shown_gbk}：gzjkq-jgsw，2023 年，发现问题 1 项（新增 1，重新出现 0，已解决 0）",
        f"已入库 {tmp_path}/\\xff\\n.txt：gzjkq-jgsw，2023 年，发现问题 0 项（新增 0，重新出现 0，已解决 1）",
    ]
    assert err == f"nianbao: 错误：{fifo}: 不是普通文件（设备、管道或套接字），未读取\n"
    from storage.archive import Archive

    with Archive.open(data, create=False) as archive:
        names = [row[0] for row in archive.db.execute("SELECT name FROM documents ORDER BY id")]
    assert names == ["2023年报.txt", "\ufffd\n.txt"]


@pytest.mark.timeout(30)
def test_the_inflation_count_ends_at_the_end_of_a_stream() -> None:
    """A stream inflating past 1 MB that ends inside the scanner's input chunk once looped forever."""
    from monitor.readers.inflate import inflated_streams

    pdf = hostile.build_pdf_flate_bomb(1_400_000, b"0 0 m 1 1 l S\n")
    assert inflated_streams(pdf, 24 << 20, 64 << 20).content == 1_400_000 // 14 * 14
