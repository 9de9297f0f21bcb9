"""Seed reports (text converted from PDF) as the HTML article a portal would publish.

Headings (``## 一、总体情况``) become ``<h2>``/``<h3>``, tab- or pipe-separated
lines become table rows (consecutive ones one ``<table>``), everything else a
paragraph. Text is escaped: the demo's pages are built like real ones.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from monitor.readers.text import parse_text


@dataclass
class Block:
    """A heading (level 2–4), a paragraph (level 0), or a table (its rows)."""

    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """The report's headings, paragraphs, and each run of table rows as one table.

    Lines are split by the same parser that reads text reports, so a row whose cells are all
    blank stays a row (its tabs are its cells) rather than becoming a paragraph.
    """
    out: list[Block] = []
    for line in parse_text(text, "<seed>").lines:
        if line.cells is not None:
            if out and out[-1].rows:
                out[-1].rows.append(line.cells)
            else:
                out.append(Block(rows=[line.cells]))
            continue
        stripped = line.text.strip()
        if not stripped:
            continue
        marks = len(stripped) - len(stripped.lstrip("#"))
        if marks:
            out.append(Block(stripped.lstrip("#").strip().strip("*").strip(), min(marks + 1, 4)))
        else:
            out.append(Block(stripped))
    return out


def report_html(text: str) -> str:
    """The report body as HTML: <h2>–<h4> headings, <p> paragraphs, <table> tables."""
    parts: list[str] = []
    for block in blocks(text):
        if block.rows:
            width = max(len(r) for r in block.rows)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r + [""] * (width - len(r))) + "</tr>"
                for r in block.rows
            )
            parts.append(f'<table border="1" cellspacing="0">{body}</table>')
        elif block.level:
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        else:
            parts.append(f"<p>{html.escape(block.text)}</p>")
    return "\n".join(parts)


def title_of(text: str) -> str:
    """The report's title: the first heading or the first line that names the report."""
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip()
        if "年度报告" in line or "年报" in line:
            return re.sub(r"\s+", "", line)
    raise ValueError("no title line")


def without_title(text: str, title: str) -> str:
    """The body without its title line (the page shows the title in its own header)."""
    out, dropped = [], False
    for raw in text.splitlines():
        if not dropped and re.sub(r"\s+", "", raw.strip().lstrip("#").strip()) == title:
            dropped = True
            continue
        out.append(raw)
    return "\n".join(out)
