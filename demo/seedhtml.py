"""Seed reports (text converted from PDF) as the HTML article a portal would publish.

Headings (``## 一、总体情况``) become ``<h2>``/``<h3>``, tab- or pipe-separated
lines become table rows (consecutive ones one ``<table>``), everything else a
paragraph. Text is escaped: the demo's pages are built like real ones.
"""

from __future__ import annotations

import html
import re

from monitor.readers.text import parse_text


def report_html(text: str) -> str:
    """The report body as HTML: headings, paragraphs, and each run of table rows as one <table>.

    Lines are split by the same parser that reads text reports, so a row whose cells are all
    blank stays a row (its tabs are its cells) rather than becoming a paragraph.
    """
    parts: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            width = max(len(r) for r in rows)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r + [""] * (width - len(r))) + "</tr>"
                for r in rows
            )
            parts.append(f'<table border="1" cellspacing="0">{body}</table>')
            rows.clear()

    for line in parse_text(text, "<seed>").lines:
        if line.cells is not None:
            rows.append(line.cells)
            continue
        flush()
        stripped = line.text.strip()
        if not stripped:
            continue
        marks = len(stripped) - len(stripped.lstrip("#"))
        content = stripped.lstrip("#").strip().strip("*").strip()
        if marks:
            level = min(marks + 1, 4)
            parts.append(f"<h{level}>{html.escape(content)}</h{level}>")
        else:
            parts.append(f"<p>{html.escape(stripped)}</p>")
    flush()
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
