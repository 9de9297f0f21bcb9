"""The shape every reader produces: a document as a list of lines.

A line is either a paragraph of text (``cells is None``) or one table row
(``cells`` holds its cells in order, spanned positions left as ""). Every
format (plain text, HTML, DOCX, PDF) is reduced to this one shape so that a
single extractor finds the title, sections and tables in all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.model import DateSeen


@dataclass
class Line:
    text: str
    cells: list[str] | None = None
    page: int | None = None  # 1-based page for PDF input
    table: int | None = None  # index of the source table (HTML/DOCX/PDF), None for text input
    # Why the reader is not sure of this row's cells (in Chinese, for evidence), None when it is:
    # e.g. a figure of an unruled PDF table that lines up with no column.
    uncertain: str | None = None

    @property
    def is_row(self) -> bool:
        return self.cells is not None


@dataclass
class SourceDocument:
    """What a reader returns: the lines plus facts about the file itself."""

    path: str
    format: str  # text | html | docx | pdf | doc
    lines: list[Line] = field(default_factory=list)
    # Metadata found in the file: "title" (<title>/ArticleTitle/core props), "encoding", "pages" ...
    meta: dict[str, str] = field(default_factory=dict)
    # What a portal page states about its own publication (monitor.portal.page): the evidence, unranked.
    dates: list[DateSeen] = field(default_factory=list)
    image_only: bool = False  # a PDF or page with no text layer: only images
