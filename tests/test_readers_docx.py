"""DOCX reader: document order, merged cells from the XML (gridSpan, vMerge), core properties."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from monitor.errors import UnreadableInput
from monitor.readers import read_document
from monitor.readers.docx import _visible_cells, read_docx
from tests.support import builders as b
from tests.support.paths import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "readers"


def rows_of(doc, table: int) -> list[list[str]]:
    return [ln.cells for ln in doc.lines if ln.table == table]


def texts(doc) -> list[str]:
    return [ln.text for ln in doc.lines if ln.cells is None]


def save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def report_docx() -> bytes:
    return b.build_docx(
        b.sample_report("某市教育局", 2023), core_title="某市教育局2023年政府信息公开工作年度报告"
    )


def test_paragraphs_and_tables_in_document_order(report_docx: bytes) -> None:
    doc = read_document(report_docx, "report.docx")
    assert doc.format == "docx"
    kinds: list[str] = []
    for ln in doc.lines:
        kind = f"table{ln.table}" if ln.is_row else ln.text
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    assert kinds == [
        "某市教育局2023年政府信息公开工作年度报告",
        "本报告根据《中华人民共和国政府信息公开条例》编制。本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。",
        "一、总体情况",
        "2023年，某市教育局认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息 75 条。",
        "二、主动公开政府信息情况",
        "table0",
        "三、收到和处理政府信息公开申请情况",
        "table1",
        "四、政府信息公开行政复议、行政诉讼情况",
        "table2",
        "五、存在的主要问题及改进情况",
        "信息公开的及时性有待提高。下一步将加强培训，规范发布流程。",
        "六、其他需要报告的事项",
        "本机关未收取信息处理费。",
        "某市教育局",
        "2024年1月25日",
    ]
    assert doc.meta["title"] == "某市教育局2023年政府信息公开工作年度报告"
    assert doc.meta["title_source"] == "DOCX 文档属性"


def test_merged_cells_are_not_repeated(report_docx: bytes) -> None:
    doc = read_docx(report_docx, "report.docx")
    assert rows_of(doc, 0) == b.grid(b.table2_spec())
    assert rows_of(doc, 1) == b.grid(b.table3_spec())
    assert rows_of(doc, 2) == b.grid(b.table4_spec())
    t3 = rows_of(doc, 1)
    # horizontal (gridSpan): 一、本年新收 spans the three label columns
    assert t3[3][:4] == ["一、本年新收政府信息公开申请数量", "", "", "10"]
    # vertical (vMerge): 三、本年度办理结果 and （三）不予公开 appear once, "" below
    assert [r[0] for r in t3].count("三、本年度办理结果") == 1
    assert [r[1] for r in t3].count("（三）不予公开") == 1
    # python-docx's own view repeats merged cells across the grid: that is what the reader avoids
    naive = docx.Document(io.BytesIO(report_docx)).tables[1]
    assert [c.text for c in naive.rows[3].cells][:3] == ["一、本年新收政府信息公开申请数量"] * 3


def test_committed_fixture_matches_builder() -> None:
    doc = read_document((FIXTURES / "report.docx").read_bytes(), "report.docx")
    assert rows_of(doc, 1) == b.grid(b.table3_spec())


def test_line_breaks_nested_tables_and_tabs() -> None:
    document = docx.Document()
    p = document.add_paragraph()
    p.add_run("某市教育局")
    p.add_run().add_break()
    p.add_run("2023年\t政府信息公开工作年度报告")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "社会公益"
    table.cell(0, 0).add_paragraph("组织")
    table.cell(0, 1).text = "5"
    inner = table.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "本年"
    inner.cell(0, 1).text = "3"
    table.cell(1, 0).text = "说明"
    doc = read_docx(save(document), "x.docx")
    assert texts(doc) == ["某市教育局", "2023年 政府信息公开工作年度报告"]
    first, second = rows_of(doc, 0)
    assert first == ["社会公益组织", "5"]
    assert second[0] == "说明" and second[1].endswith("本年 3")


def test_grid_before_and_deleted_text() -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for i, text in enumerate(["a", "b", "c"]):
        table.cell(0, i).text = text
    table.cell(1, 1).text = "x"
    table.cell(1, 2).text = "y"
    # row 2 starts one grid column in (w:gridBefore) and has only two cells
    tr = table.rows[1]._tr
    tr.remove(tr.tc_lst[0])
    tr_pr = tr.get_or_add_trPr()
    before = tr_pr.makeelement(qn("w:gridBefore"), {qn("w:val"): "1"})
    tr_pr.append(before)
    # a tracked deletion is not text of the document
    run = document.add_paragraph("保留")._p
    deleted = run.makeelement(qn("w:del"), {})
    r = deleted.makeelement(qn("w:r"), {})
    t = r.makeelement(qn("w:delText"), {})
    t.text = "删除"
    r.append(t)
    deleted.append(r)
    run.append(deleted)
    doc = read_docx(save(document), "g.docx")
    assert rows_of(doc, 0) == [["a", "b", "c"], ["", "x", "y"]]
    assert texts(doc) == ["保留"]


def test_sliver_grid_columns_are_dropped() -> None:
    # LibreOffice and Word add 1-twip grid columns where cell edges miss each other
    widths = [576, 575, 1, 576]
    assert _visible_cells([(0, 1, "结果维持"), (1, 2, "总计"), (3, 1, "x")], widths) == [
        "结果维持",
        "总计",
        "x",
    ]
    assert _visible_cells([(0, 1, "a"), (1, 1, "b"), (2, 2, "c")], widths) == ["a", "b", "c"]
    assert _visible_cells([(0, 2, "a"), (2, 1, "b"), (3, 1, "c")], [500, 500, 500, 500]) == [
        "a",
        "",
        "b",
        "c",
    ]


def test_scan_pasted_into_word_is_image_only() -> None:
    document = docx.Document()
    p = document.add_paragraph()._p
    r = p.makeelement(qn("w:r"), {})
    r.append(r.makeelement(qn("w:drawing"), {}))
    p.append(r)
    doc = read_docx(save(document), "scan.docx")
    assert doc.image_only and doc.lines == []


def test_corrupt_docx() -> None:
    with pytest.raises(UnreadableInput, match=r"bad\.docx: DOCX 文件已损坏"):
        read_docx(b"PK\x03\x04" + b"\x00" * 200, "bad.docx")
    # a zip holding word/document.xml that is not XML
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "not xml at all")
    with pytest.raises(UnreadableInput, match=r"broken\.docx"):
        read_document(buf.getvalue(), "broken.docx")
    # a truncated real document
    data = b.build_docx(b.sample_report())
    with pytest.raises(UnreadableInput, match=r"cut\.docx"):
        read_docx(data[: len(data) // 2], "cut.docx")


def _repack(data: bytes, rename: dict[str, str], edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(rename.get(item.filename, item.filename), edit(item.filename, src.read(item)))
    return out.getvalue()


def test_main_part_found_through_the_package_relationships(report_docx: bytes) -> None:
    def edit(name: str, body: bytes) -> bytes:
        return body.replace(b"word/document.xml", b"word/main.xml") if name.endswith(".rels") else body

    moved = _repack(report_docx, {"word/document.xml": "word/main.xml"}, edit)
    doc = read_docx(moved, "moved.docx")
    assert rows_of(doc, 1) == b.grid(b.table3_spec())


def test_strict_ooxml_namespace(report_docx: bytes) -> None:
    transitional = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    strict = b"http://purl.oclc.org/ooxml/wordprocessingml/main"

    def edit(name: str, body: bytes) -> bytes:
        return body.replace(transitional, strict) if name == "word/document.xml" else body

    doc = read_docx(_repack(report_docx, {}, edit), "strict.docx")
    assert texts(doc)[0] == "某市教育局2023年政府信息公开工作年度报告"
    assert rows_of(doc, 2) == b.grid(b.table4_spec())
