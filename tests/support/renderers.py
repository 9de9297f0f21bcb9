"""Render a seed-style text report into other formats, for tests that plant defects.

The text format (tab- or pipe-separated rows between paragraphs) is edited to
plant a defect, then rendered as a portal HTML page or a Word document so the
same defect is checked through every reader. PDF renderings of the seeds are
committed fixtures (tests/fixtures/renderings/).
"""

from __future__ import annotations

import html
import io
from functools import lru_cache

from demo.seedhtml import blocks, report_html

SEEDS = {
    "000": "000_b28c53098f8ab8fe",
    "001": "001_898f82200a7ede38",
    "002": "002_713013ca6148f03b",
    "003": "003_a50e7d005bc805e1",
    "004": "004_8a5c167a3bf215e4",
}


def to_html(
    text: str, title: str = "政府信息公开年报", charset: str = "utf-8", pubdate: str | None = None
) -> bytes:
    """A TRS-style portal article page with the report (rendered as the demo portal does) in div.TRS_Editor."""
    meta = f'<meta name="PubDate" content="{pubdate} 10:00">' if pubdate else ""
    shown = f"发布时间：{pubdate} 10:00 来源：办公室" if pubdate else "来源：办公室"
    page = f"""<!DOCTYPE html><html><head><meta charset="{charset}">
<meta name="ArticleTitle" content="{html.escape(title)}">{meta}
<title>{html.escape(title)}_政府信息公开年报_示例区人民政府</title></head>
<body><div class="header"><a href="/">网站首页</a> | 无障碍浏览 | 长者模式</div>
<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<div class="info">{shown} 浏览次数：12 字号：[ 大 中 小 ]</div>
<div class="TRS_Editor">{report_html(text)}</div>
<div class="footer">打印本页 关闭窗口 分享到：</div></body></html>"""
    return page.encode(charset)


def to_docx(text: str) -> bytes:
    from docx import Document

    document = Document()
    for block in blocks(text):
        if not block.rows:
            document.add_paragraph(block.text.strip("#* "))
            continue
        width = max(len(cells) for cells in block.rows)
        table = document.add_table(rows=len(block.rows), cols=width)
        table.style = "Table Grid"
        # Row by row: python-docx's table.cell(r, c) rescans the whole table on every call.
        for row, cells in zip(table.rows, block.rows, strict=True):
            for cell, value in zip(row.cells, cells, strict=False):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@lru_cache(maxsize=256)  # many tests render the same clean report
def render(text: str, fmt: str, **kwargs: str) -> tuple[bytes, str]:
    """(bytes, file suffix) of ``text`` rendered as ``fmt``: text, html or docx."""
    if fmt == "text":
        return text.encode("utf-8"), ".txt"
    if fmt == "html":
        return to_html(text, **kwargs), ".html"
    if fmt == "docx":
        return to_docx(text), ".docx"
    raise ValueError(fmt)
