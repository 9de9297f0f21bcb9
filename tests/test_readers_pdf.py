"""PDF reader: ruled tables as rows, text as paragraphs in reading order, scans, broken files, speed.

PDFs are built with fpdf2 and WenQuanYi Zen Hei (Debian fonts-wqy-zenhei); report_lo.pdf is the
sample report as LibreOffice prints a Word document (tests/fixtures/readers/make_fixtures.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import UnreadableInput
from monitor.readers import read_document
from monitor.readers.base import Line
from monitor.readers.pdf import read_pdf
from tests.support import builders as b
from tests.support.paths import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "readers"

pytestmark = pytest.mark.skipif(
    not Path(b.FONT).exists(), reason="needs Debian fonts-wqy-zenhei (make system-deps)"
)

LONG = "政务公开工作坚持以公开为常态、不公开为例外，" * 12


def table_of(line: Line) -> int:
    assert line.table is not None, line
    return line.table


def page_of(line: Line) -> int:
    assert line.page is not None, line
    return line.page


def rows_of(doc, table: int) -> list[list[str]]:
    return [ln.cells for ln in doc.lines if ln.table == table]


def texts(doc) -> list[str]:
    return [ln.text for ln in doc.lines if ln.cells is None]


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    blocks = b.sample_report("某市教育局", 2023)
    blocks.insert(4, ("para", LONG))  # a paragraph wrapped over several lines
    return b.build_pdf(blocks, page_numbers=True)


def test_text_and_tables_in_reading_order(report_pdf: bytes) -> None:
    doc = read_document(report_pdf, "report.pdf")
    assert doc.format == "pdf" and not doc.image_only
    assert doc.meta["pages"] == "3"
    paragraphs = texts(doc)
    assert paragraphs[:5] == [
        "某市教育局2023年政府信息公开工作年度报告",
        "本报告根据《中华人民共和国政府信息公开条例》编制。本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。",
        "一、总体情况",
        "2023年，某市教育局认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息 75 条。",
        LONG,  # the wrapped lines are one paragraph again
    ]
    assert paragraphs[-4:] == [
        "六、其他需要报告的事项",
        "本机关未收取信息处理费。",
        "某市教育局",
        "2024年1月25日",
    ]
    assert not any(t.strip("- ").isdigit() for t in paragraphs)  # page numbers dropped
    # headings come right before their tables
    order = [("T" + str(ln.table)) if ln.is_row else ln.text[:2] for ln in doc.lines]
    assert order.index("二、") < order.index("T0") < order.index("三、") < order.index("T1")
    last_table = max(table_of(ln) for ln in doc.lines if ln.is_row)
    assert (
        order.index("三、")
        < order.index(f"T{last_table - 1}")
        < order.index("四、")
        < order.index(f"T{last_table}")
    )
    pages = [page_of(ln) for ln in doc.lines]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == 3


def test_ruled_tables_come_back_cell_for_cell(report_pdf: bytes) -> None:
    doc = read_pdf(report_pdf, "report.pdf")
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert rows_of(doc, 2) == b.grid(b.table4_spec())
    assert rows_of(doc, 1) == b.grid(b.table3_spec())
    assert max(table_of(ln) for ln in doc.lines if ln.is_row) == 2


def test_table_fragments_on_two_pages_share_one_grid(report_pdf: bytes) -> None:
    """fpdf2 breaks table 3 after its header rows: on page 1 no rule separates the three label
    columns (every cell there spans them), page 2 has all ten. The page-1 rows are re-gridded."""
    doc = read_pdf(report_pdf, "report.pdf")
    t3 = [ln for ln in doc.lines if ln.table == 1]
    assert {ln.page for ln in t3} == {1, 2}
    first_page = [ln.cells for ln in t3 if ln.page == 1]
    assert first_page[-1] == ["二、上年结转政府信息公开申请数量", "", "", "2", "0", "0", "0", "0", "0", "2"]


def test_word_pdf_table_continues_over_page_break() -> None:
    """LibreOffice breaks table 3 over pages and splits a row: one table index, the row joined again."""
    doc = read_pdf((FIXTURES / "report_lo.pdf").read_bytes(), "report_lo.pdf")
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert rows_of(doc, 1) == b.grid(b.table3_spec())
    assert rows_of(doc, 2) == b.grid(b.table4_spec())
    assert len({ln.page for ln in doc.lines if ln.table == 1}) > 1
    assert doc.meta["title"] == "某市教育局2023年政府信息公开工作年度报告"


def test_image_only_pdf() -> None:
    doc = read_document(b.build_image_pdf(pages=2), "scan.pdf")
    assert doc.image_only
    assert doc.lines == []
    assert doc.meta["pages"] == "2"
    assert doc.meta["image_pages"] == "1,2"


def test_truncated_pdf(report_pdf: bytes) -> None:
    with pytest.raises(UnreadableInput, match=r"cut\.pdf: PDF 文件不完整"):
        read_document(report_pdf[: len(report_pdf) // 2], "cut.pdf")


def test_corrupt_pdf(report_pdf: bytes) -> None:
    garbage = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    with pytest.raises(UnreadableInput, match=r"bad\.pdf: PDF 文件已损坏"):
        read_document(garbage, "bad.pdf")
    # the objects overwritten in the middle, the trailer intact
    broken = report_pdf[:2000] + b"\x00" * (len(report_pdf) - 4000) + report_pdf[-2000:]
    try:
        doc = read_document(broken, "broken.pdf")
    except UnreadableInput as exc:
        assert exc.path == "broken.pdf"
    else:
        assert doc.format == "pdf"


def test_encrypted_pdf() -> None:
    locked = b.build_pdf(b.sample_report(), encrypt={"owner_password": "o", "user_password": "u"})
    with pytest.raises(UnreadableInput, match=r"locked\.pdf: PDF 已加密"):
        read_document(locked, "locked.pdf")
    # an owner password alone (copy protection, common on portals) does not stop reading
    protected = b.build_pdf(b.sample_report(), encrypt={"owner_password": "o"})
    doc = read_document(protected, "protected.pdf")
    assert rows_of(doc, 0) == b.grid(b.table2_spec())


@pytest.mark.parametrize(
    ("stem", "row"),
    [
        ("003_a50e7d005bc805e1", ["行政事业性收费", "", "", ""]),  # figures blank, first on page 2
        ("004_8a5c167a3bf215e4", ["第二十条第（八）项", "", "", ""]),  # a block header first on page 2
    ],
)
def test_rows_after_a_page_break_are_not_glued_to_the_row_above(stem: str, row: list[str]) -> None:
    path = FIXTURES.parent / "renderings" / f"{stem}.pdf"
    doc = read_pdf(path.read_bytes(), path.name)
    table2 = [ln for ln in doc.lines if ln.table == 0]
    assert {ln.page for ln in table2} == {1, 2}
    assert row in [ln.cells for ln in table2 if ln.page == 2]
    assert all(ln.cells is not None and len(ln.cells) == 4 for ln in table2)
