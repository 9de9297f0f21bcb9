"""How much of a document the readers read at most; past a limit the document is refused (OverLimit).

No real annual report comes near these figures (docs/reading.md, "Limits"): the largest seen are
~20 MB image-only PDFs, ~60 pages, six tables of a few hundred cells and ~2,000 lines. A hostile
file does: a zip bomb in a DOCX, a flate bomb in a PDF, colspan="1000" on every cell. Each limit
stops the work early, before memory or time is spent on it. Time and memory themselves are bounded
by the worker process that reads (``nianbao.reading``).
"""

from __future__ import annotations

from monitor.errors import OverLimit

MAX_INPUT_BYTES = 40 * 1024 * 1024  # the file as stored
MAX_PAGES = 300  # PDF pages
MAX_LINES = 100_000  # paragraphs and table rows of one document
MAX_TEXT_CHARS = 2_000_000  # characters of text in one document's lines (rules compare prose by shingles)
MAX_CELLS = 200_000  # table grid positions of one document, spans expanded
MAX_HTML_TAGS = 1_000_000  # elements of an HTML page
# Decompressed sizes. An XML tree takes 10-20 times its text on tiny elements, and pdfium ~20 bytes
# per byte of drawing operators: these caps keep either under ~500 MB.
MAX_XML_BYTES = 16 * 1024 * 1024  # one DOCX part (the body, the properties)
MAX_PDF_CONTENT_BYTES = 24 * 1024 * 1024  # a PDF's page contents, forms and object streams together
MAX_PDF_FONT_BYTES = 64 * 1024 * 1024  # a PDF's embedded font programs together
# A PDF page with more objects (text runs, paths, images) is read for its text only, without tables:
# laying out 75,000 paths took pdfplumber 13 s. Real report pages have under 1,000.
MAX_PAGE_OBJECTS = 20_000


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f}".removesuffix(".0")


def too_big(path: str, size: int) -> OverLimit:
    return OverLimit(path, f"文件过大（{size / 1048576:.1f} MB，上限 {_mb(MAX_INPUT_BYTES)} MB），未读取")


def too_many_pages(path: str, pages: int) -> OverLimit:
    return OverLimit(path, f"PDF 共 {pages} 页，超过上限 {MAX_PAGES} 页，未读取")


def inflates_too_much(path: str, what: str, cap: int) -> OverLimit:
    return OverLimit(path, f"{what}解压后超过 {_mb(cap)} MB（可能是压缩炸弹），未读取")


def too_many_tags(path: str) -> OverLimit:
    return OverLimit(path, f"HTML 页面的元素超过 {MAX_HTML_TAGS:,} 个，未读取")


def too_much_text(path: str) -> OverLimit:
    return OverLimit(path, f"文字超过 {MAX_TEXT_CHARS:,} 字，未读取")


class Budget:
    """Counts what one document's reader produces; raises OverLimit naming the file past a limit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines = 0
        self.cells = 0

    def add_lines(self, n: int = 1) -> None:
        self.lines += n
        if self.lines > MAX_LINES:
            raise OverLimit(self.path, f"内容超过 {MAX_LINES:,} 行（段落与表格行），未读取")

    def add_cells(self, n: int) -> None:
        self.cells += n
        if self.cells > MAX_CELLS:
            raise self._too_many_cells()

    def check_grid(self, rows: int, columns: int) -> None:
        """A table about to be laid out as ``rows`` x ``columns`` positions."""
        if rows * columns > MAX_CELLS:
            raise self._too_many_cells()

    def _too_many_cells(self) -> OverLimit:
        return OverLimit(self.path, f"表格超过 {MAX_CELLS:,} 个单元格（含合并单元格所占位置），未读取")
