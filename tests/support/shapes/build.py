"""Build the real-shape fixtures in tests/fixtures/shapes/: python -m tests.support.shapes.build

Each report in content.py is rendered the ways agencies publish it and written here with one
label file per rendering (<name>.<kind>.json):
  * <name>.wps.pdf  -- laid out like WPS output (wps_pdf.py): white boxes behind every line,
    letter-spaced justified lines, indented headings, page numbers; tables ruled or unruled;
  * <name>.docx     -- a Word document with merged cells, paragraph shading and indents;
  * <name>.lo.pdf   -- that document printed by LibreOffice headless (needs soffice);
  * <name>.html     -- a portal article page (TRS-style chrome, the report in div.TRS_Editor);
  * <name>.txt      -- a text dump with tab-separated rows.
The outputs are committed so tests never need fonts or LibreOffice. Labels come from the same
data the documents are printed from: they say what was printed, never what a reader returned.
"""

from __future__ import annotations

import html
import io
import json
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.paths import FIXTURES
from tests.support.shapes import content as C
from tests.support.shapes.wps_pdf import WIDTH, WpsPdf

HERE = FIXTURES / "shapes"  # where the renderings and their labels are written

Cell = tuple[str, int, int]
Spec = list[list[Cell]]

# Which renderings each report gets: (kind, options).
RENDERINGS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "layout_traps": [("wps.pdf", {"ruled": True}), ("html", {}), ("docx", {}), ("lo.pdf", {})],
    "unruled_centred": [("wps.pdf", {"ruled": False, "valign": "centre"})],
    "unruled_top": [("wps.pdf", {"ruled": False, "valign": "top"})],
    "unruled_offcolumn": [("wps.pdf", {"ruled": False, "valign": "centre"})],
    "misprinted_labels": [
        ("wps.pdf", {"ruled": True}),
        ("html", {}),
        ("docx", {}),
        ("lo.pdf", {}),
        ("txt", {}),
    ],
    "t2019_merged": [("html", {}), ("docx", {}), ("lo.pdf", {})],
    "t2019_ambiguous": [("html", {"header_colspan": False})],
}

# Fixed line breaks for the WPS rendering of layout_traps: the period's date broken over two lines,
# a line letter-spaced by the e-mail address that did not fit, a final "。" alone on its line.
TRAP_INTRO = [
    "本报告由清河区人民政府办公室根据《中华人民共和国政府信",
    "息公开条例》（以下简称《条例》）要求编制。报告中所列数据",
    "统计期限自 2023 年 1 月 1 日",
    "起至 2023 年 12 月 31 日止。如对本报告有疑问，请与清河区人",
    "民政府办公室联系（邮编：223100，电子邮箱：",
    "qinghe_gk@example.gov.cn）。",
]


# ---------------------------------------------------------------- tables as span specs


def c(text: str, rowspan: int = 1, colspan: int = 1) -> Cell:
    return (text, rowspan, colspan)


def table2_spec(report: C.Report, header_colspan: bool = True) -> Spec:
    """Table 2 on a four-column grid (2021) or five-column grid (2019: the middle column doubled)."""
    spec: Spec = []
    if report.template == "2021":
        for title, columns, items in report.table2:
            spec.append([c(title, 1, 4)])
            if len(columns) == 3:
                spec.append([c("信息内容"), *(c(x) for x in columns)])
            else:
                spec.append([c("信息内容"), c(columns[0], 1, 3)])
            for _key, label, cells in items:
                spec.append(
                    [c(label), *(c(x) for x in cells)] if len(cells) == 3 else [c(label), c(cells[0], 1, 3)]
                )
        return spec
    for title, columns, items in report.table2:
        spec.append([c(title, 1, 5)])
        if len(columns) == 3:
            head = (
                [c(columns[0]), c(columns[1], 1, 2), c(columns[2])]
                if header_colspan
                else [*(c(x) for x in columns), c("")]
            )
            spec.append([c("信息内容"), *head])
            for _key, label, cells in items:
                spec.append([c(label), c(cells[0]), c(cells[1], 1, 2), c(cells[2])])
        else:
            spec.append([c("信息内容"), c(columns[0], 1, 2), c(columns[1], 1, 2)])
            for _key, label, cells in items:
                spec.append([c(label), c(cells[0], 1, 2), c(cells[1], 1, 2)])
    return spec


def table2_widths(report: C.Report, total: float) -> list[float]:
    if report.template == "2021":
        return [total * 0.28] + [total * 0.24] * 3
    return [total * 0.28, total * 0.18, total * 0.09, total * 0.09, total * 0.36]


def table3_spec(report: C.Report) -> Spec:
    """Table 3 as the template prints it: three label columns (一-level, （一）-level and
    1.-level labels, merged where the template merges them) and seven figures."""
    spec: Spec = [
        [
            c("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
            c("申请人情况", 1, 7),
        ],
        [c("自然人", 2), c("法人或其他组织", 1, 5), c("总计", 2)],
        [c(x) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
    ]
    keys = list(report.table3)
    results = [k for k in keys if k not in ("new", "carried_over", "carried_forward")]
    for k in keys:
        group, label = C.T3_LABELS[k]
        label = report.table3_labels.get(k, label)
        cells = [c(v) for v in report.table3[k]]
        row: list[Cell] = []
        if k in ("new", "carried_over", "carried_forward"):
            row.append(c(label, 1, 3))
        else:
            if k == results[0]:
                row.append(c("三、本年度办理结果", len(results)))
            if group:
                members = [m for m in results if C.T3_LABELS[m][0] == group]
                if k == members[0]:
                    row.append(c(group, len(members)))
                row.append(c(label))
            else:
                row.append(c(label, 1, 2))
        spec.append(row + cells)
    return spec


def table4_spec(report: C.Report) -> Spec:
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", report.table4_total]
    return [
        [c("行政复议", 1, 5), c("行政诉讼", 1, 10)],
        [*(c(x, 2) for x in outcomes), c("未经复议直接起诉", 1, 5), c("复议后起诉", 1, 5)],
        [c(x) for x in outcomes * 2],
        [c(v) for v in report.table4],
    ]


def grid(spec: Spec) -> list[list[str]]:
    cells: dict[tuple[int, int], str] = {}
    for r, row in enumerate(spec):
        col = 0
        for text, rs, cs in row:
            while (r, col) in cells:
                col += 1
            for dr in range(rs):
                for dc in range(cs):
                    cells[(r + dr, col + dc)] = text if dr == dc == 0 else ""
            col += cs
    width = max(col for _, col in cells) + 1
    return [[cells.get((r, col), "") for col in range(width)] for r in range(len(spec))]


# ---------------------------------------------------------------- the report as blocks


def blocks(report: C.Report) -> list[tuple[str, Any]]:
    """The report's parts in print order: (kind, value), the value's type depending on the kind."""
    out: list[tuple[str, Any]] = [("title", report.title)]
    out += [("intro", p) for p in report.intro]
    for n in range(1, 7):
        heading, paragraphs = report.sections[n]
        out.append(("heading", heading))
        if n == 2:
            out.append(("table2", table2_spec(report)))
        elif n == 3:
            out.append(("table3", table3_spec(report)))
        elif n == 4:
            out.append(("table4", table4_spec(report)))
        out += [("para", p) for p in paragraphs]
    if report.signature:
        out += [("right", report.signature[0]), ("right", report.signature[1])]
    return out


# ---------------------------------------------------------------- renderers


def render_wps(
    report: C.Report,
    ruled: bool = True,
    valign: str = "centre",
    labels: tuple[float, float, float] = (18.0, 62.0, 44.0),
    size: float = 10.5,
) -> bytes:
    """The report as WPS prints it; ``labels``: widths of table 3's three label columns (points),
    ``size``: the tables' type size."""
    pdf = WpsPdf()
    shift = C.OFF_COLUMN.get(report.name)
    for kind, value in blocks(report):
        if kind == "title":
            pdf.title(value)
        elif kind == "intro":
            pdf.paragraph(str(value), lines=TRAP_INTRO if report.name == "layout_traps" else None)
        elif kind == "heading":
            pdf.heading(str(value))
        elif kind == "para":
            text = str(value)
            if report.name == "layout_traps" and text.startswith("2023 年，我单位"):
                # The closing stop wraps alone; the line before it is justified to the margin.
                pdf.paragraph(text, lines=[*pdf.wrap(text[:-1], WIDTH, 16.0, 32.0), "。"])
            else:
                pdf.paragraph(text)
        elif kind == "right":
            pdf.right(str(value))
        elif kind == "table2":
            pdf.table(value, table2_widths(report, WIDTH), size=size, ruled=ruled, valign=valign)
        elif kind == "table3":
            widths = [*labels] + [(WIDTH - sum(labels)) / 7] * 7
            spec = value
            pdf.table(
                spec, widths, size=size, ruled=ruled, valign=valign, shift=_shift_rows(report, spec, shift)
            )
        elif kind == "table4":
            pdf.table(value, [WIDTH / 15] * 15, size=9, ruled=ruled, valign=valign)
    return pdf.output()


def _shift_rows(report: C.Report, spec: Spec, shift: tuple[str, float] | None) -> dict[int, float]:
    if not shift:
        return {}
    key, points = shift
    return {3 + list(report.table3).index(key): points}


def render_docx(report: C.Report) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(16)
    style.font.name = "WenQuanYi Zen Hei"
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "WenQuanYi Zen Hei")

    def shade(p: object) -> None:  # white paragraph shading, as WPS writes it
        ppr = p._p.get_or_add_pPr()  # type: ignore[attr-defined]
        shd = ppr.makeelement(
            qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): "FFFFFF"}
        )
        ppr.append(shd)

    for kind, value in blocks(report):
        if kind == "title":
            for line in value:
                p = document.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = p.add_run(str(line))
                run.font.size = Pt(22)
        elif kind in ("intro", "para", "heading"):
            p = document.add_paragraph(str(value))
            p.paragraph_format.first_line_indent = Pt(32)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            shade(p)
        elif kind == "right":
            p = document.add_paragraph(str(value))
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            spec: Spec = value
            width = len(grid(spec)[0])
            widths = {
                4: [4.4, 3.4, 3.4, 3.4],
                5: [4.4, 2.6, 1.3, 1.3, 5.0],
                10: [0.8, 2.2, 2.0] + [1.3] * 7,
                15: [1.04] * 15,
            }[width]
            _docx_table(document, spec, widths, 9 if width == 15 else 10.5)
    stamp = datetime(2024, 1, 22, 9, 0)  # same bytes on every run
    document.core_properties.created = document.core_properties.modified = stamp
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _docx_table(document: object, spec: Spec, widths_cm: list[float], font_pt: float) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    rows = grid(spec)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(spec):
        col = 0
        for text, rs, cs in row:
            while (r, col) in taken:
                col += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, col + dc))
            cell = table.cell(r, col)
            if rs > 1 or cs > 1:
                cell = cell.merge(table.cell(r + rs - 1, col + cs - 1))
            cell.text = text
            for p in cell.paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.first_line_indent = Pt(0)
                for run in p.runs:
                    run.font.size = Pt(font_pt)
            col += cs


def render_lo_pdf(docx_bytes: bytes) -> bytes:
    soffice = shutil.which("soffice")
    if not soffice:
        raise SystemExit("soffice (LibreOffice) is needed to print the .lo.pdf fixtures")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx_bytes)
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (Path(tmp) / "report.pdf").read_bytes()


def _html_table(spec: Spec) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">', "<tbody>"]
    for row in spec:
        out.append("<tr>")
        for text, rs, cs in row:
            span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            out.append(
                f'<td{span} valign="center"><p style="text-align:center">'
                f'<span style="font-family:宋体;font-size:10.5pt">{html.escape(text)}</span></p></td>'
            )
        out.append("</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render_html(report: C.Report, header_colspan: bool = True) -> bytes:
    body: list[str] = []
    for kind, value in blocks(report):
        if kind == "title":
            # Two centred lines, as the Word original: agency, then the year and the report's name.
            body += [
                f'<p style="text-align:center"><strong><span style="font-size:22pt">{html.escape(str(t))}'
                "</span></strong></p>"
                for t in value
            ]
        elif kind == "heading":
            # Indented like a paragraph, with the editor's non-breaking spaces in front.
            body.append(
                f'<p style="text-indent:2em">&nbsp;&nbsp;<strong>{html.escape(str(value))}</strong></p>'
            )
        elif kind in ("intro", "para"):
            body.append(f'<p style="text-indent:2em;text-align:justify">{html.escape(str(value))}</p>')
        elif kind == "right":
            body.append(f'<p style="text-align:right">{html.escape(str(value))}</p>')
        elif kind == "table2":
            body.append(_html_table(table2_spec(report, header_colspan)))
        else:
            body.append(_html_table(value))
    title = "".join(t.replace(" ", "") for t in report.title)
    published = report.published or f"{report.year + 1}-01-25"
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{published} 09:30">
<meta name="ContentSource" content="{html.escape(report.agency)}">
<title>{html.escape(title)}_政府信息公开年报_清河区人民政府门户网站</title></head>
<body><div class="top"><a href="/">网站首页</a> | 无障碍浏览 | 长者模式</div>
<div class="position">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<div class="article"><h1>{html.escape(title)}</h1>
<div class="info"><span>发布时间：{published} 09:30</span> <span>来源：{html.escape(report.agency)}</span>
<span>字号：[ 大 中 小 ]</span></div>
<div class="TRS_Editor">
{chr(10).join(body)}
</div></div>
<div class="tools">打印本页 关闭窗口</div></body></html>
"""
    return page.encode("utf-8")


def render_text(report: C.Report) -> bytes:
    out: list[str] = []
    for kind, value in blocks(report):
        if kind == "title":
            out += [str(t) for t in value] + [""]
        elif kind in ("table2", "table3", "table4"):
            out += ["\t".join(row) for row in grid(value)] + [""]
        else:
            out += [str(value), ""]
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------- labels


def label(report: C.Report, kind: str, options: dict[str, object]) -> dict[str, object]:
    """What a correct reading of this rendering gives."""
    tables: dict[str, object] = {}
    cols2 = C.T2_COLUMNS_2019 if report.template == "2019" else C.T2_COLUMNS_2021
    rows2 = {
        key: dict(zip(cols2[key.split(".")[0]], cells, strict=True))
        for _title, _cols, items in report.table2
        for key, _label, cells in items
    }
    rows3 = {k: dict(zip(C.T3_COLUMNS, v, strict=True)) for k, v in report.table3.items()}
    required = [k for k in C.T3_KEYS]
    if report.template == "2019":
        required = [k for k in required if not k.startswith("other.")]
        required.insert(required.index("results_total"), "other")
    missing3 = [k for k in required if k not in rows3]
    tables["table2"] = {"rows": rows2, "missing_rows": [], "uncertain": report.uncertain.get("table2", [])}
    tables["table3"] = {
        "rows": rows3,
        "missing_rows": missing3,
        "uncertain": report.uncertain.get("table3", []),
    }
    tables["table4"] = {
        "rows": {"cases": dict(zip(C.T4_COLUMNS, report.table4, strict=True))},
        "missing_rows": [],
        "uncertain": [],
    }
    fmt = {"wps.pdf": "pdf", "lo.pdf": "pdf", "docx": "docx", "html": "html", "txt": "text"}[kind]
    return {
        "document": f"{report.name}.{kind}",
        "format": fmt,
        "options": {},
        "fields": {
            "year": report.year,
            "agency": report.agency,
            "level": report.level,
            "template": report.template,
            "signed": report.signed,
            "period": list(report.period) if report.period else None,
            "sections": {str(n): h for n, (h, _p) in report.sections.items()},
        },
        "tables": tables,
        "findings": sorted(report.findings),
        "ignore": ["PUB.DATE_UNKNOWN"],
        "shape": {"kind": kind, **options},
    }


def main() -> None:
    by_name = {r.name: r for r in C.REPORTS}
    for name, renderings in RENDERINGS.items():
        report = by_name[name]
        docx_bytes = None
        for kind, options in renderings:
            if kind == "wps.pdf":
                data = render_wps(report, **options)
            elif kind == "docx":
                data = docx_bytes = render_docx(report)
            elif kind == "lo.pdf":
                data = render_lo_pdf(docx_bytes or render_docx(report))
            elif kind == "html":
                data = render_html(report, **options)
            else:
                data = render_text(report)
            (HERE / f"{name}.{kind}").write_bytes(data)
            (HERE / f"{name}.{kind}.json").write_text(
                json.dumps(label(report, kind, options), ensure_ascii=False, indent=1) + "\n",
                encoding="utf-8",
            )
            print(f"{name}.{kind}")


if __name__ == "__main__":
    main()
