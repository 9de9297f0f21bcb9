"""From a SourceDocument (lines of any format) to a Report."""

from __future__ import annotations

from monitor.errors import NotAReport
from monitor.extract.facts import (
    agency_from_body,
    agency_from_title,
    fee_statement,
    find_period,
    find_signature,
    infer_level,
    is_government_name,
    is_subsequence,
    looks_like_agency,
    names_region,
    opening_year,
)
from monitor.extract.normalize import compact, squeeze_cjk_spaces
from monitor.extract.sections import find_layout, section_texts
from monitor.extract.tables import detect_template, read_table2, read_table3, read_table4
from monitor.model import GIVEN, CheckOptions, Report, Section
from monitor.portal.dates import choose_publication
from monitor.portal.titles import title_year
from monitor.readers.base import SourceDocument

__all__ = ["extract_report"]


def _heading_agency(title: str | None, letterhead: str | None) -> str | None:
    """The agency the heading names.

    The letterhead when it is the title's agency written out in full (湛江经济技术开发区教育局 over
    经开区教育局…) or the title names none; the title when it names a government (a government's
    report often sits under its office's letterhead) or another agency with its region.
    """
    from_title = agency_from_title(title)
    if not (letterhead and looks_like_agency(letterhead)):
        return from_title
    lh = compact(letterhead)
    if not from_title:
        return lh
    if is_government_name(from_title):
        return from_title
    if not names_region(from_title) or is_subsequence(from_title, lh):
        return lh
    return from_title


def extract_report(doc: SourceDocument, options: CheckOptions) -> Report:
    report = _extract(doc, options)
    if options.published:
        report.published, report.published_source = options.published, GIVEN
    else:  # what the page says of its own publication, by the one precedence (monitor.portal.dates)
        seen = choose_publication(doc.dates, options.today, report.year)
        if seen is not None:
            report.published, report.published_source = seen.date, seen.source
    return report


def _extract(doc: SourceDocument, options: CheckOptions) -> Report:
    report = Report(path=doc.path, format=doc.format, image_only=doc.image_only, meta=dict(doc.meta))
    report.lines = [ln.text for ln in doc.lines]
    if doc.image_only:
        report.title = doc.meta.get("title")
        report.agency, report.agency_source = options.agency, "option" if options.agency else None
        report.year = options.year or title_year(report.title)
        report.year_source = "option" if options.year else ("title" if report.year else None)
        if options.level:
            report.level, report.level_source = options.level, "option"
        return report

    lines = doc.lines
    layout = find_layout(lines)
    report.title = layout.title or doc.meta.get("title")
    report.letterhead = layout.letterhead
    report.body_text = "\n".join(squeeze_cjk_spaces(ln.text) for ln in lines if ln.text.strip())

    for number, (head, text) in section_texts(lines, layout).items():
        report.sections[number] = Section(number, head.text, text, head.line + 1)

    has_table_rows = any(ln.is_row for ln in lines)
    if not report.sections and not has_table_rows and not (report.title and "信息公开" in report.title):
        raise NotAReport(doc.path, "不是政府信息公开工作年度报告（未找到标题、章节或表格）")

    # Year: the option, else the title, else the year the opening statements report on.
    opening = opening_year(report.section_text(1))
    if options.year:
        report.year, report.year_source = options.year, "option"
    elif (ty := title_year(report.title)) is not None:
        report.year, report.year_source = ty, "title"
    elif opening:
        report.year, report.year_source = opening[0], "body"

    # Signature: after the start of section 六 (or the last heading), at the end of the document.
    after = layout.headings[-1].line + 1 if layout.headings else 0
    sig_agency, signed, used = find_signature(lines, after)
    report.signature_agency, report.signed = sig_agency, signed
    if used and 6 in report.sections:
        six = report.sections[6]
        dropped = {squeeze_cjk_spaces(lines[i].text) for i in used}
        six.text = "\n".join(p for p in six.text.split("\n") if p not in dropped)

    report.period = find_period(lines)
    report.fee_statement = fee_statement(report.section_text(6))

    # Agency: the option, the heading (letterhead or title), the signature, the body.
    heading = _heading_agency(report.title, report.letterhead)
    report.heading_agency = heading
    if options.agency:
        report.agency, report.agency_source = options.agency, "option"
    elif heading and names_region(heading):
        report.agency = heading
        report.agency_source = "letterhead" if heading == compact(report.letterhead or "") else "heading"
    elif sig_agency and names_region(sig_agency):
        report.agency, report.agency_source = sig_agency, "signature"
    elif body := agency_from_body(report.body_text, heading):
        report.agency, report.agency_source = body, "body"
    elif heading or sig_agency:
        report.agency, report.agency_source = heading or sig_agency, "heading" if heading else "signature"

    if options.level:
        report.level, report.level_source = options.level, "option"
    elif (level := infer_level(report.agency)) is not None:
        report.level, report.level_source = level, "name"

    template, evidence = detect_template(lines, report.year)
    report.template, report.template_evidence = template, evidence
    tmpl = template or "2021"
    report.tables = {
        "table2": read_table2(lines, layout, tmpl),
        "table3": read_table3(lines, layout, tmpl),
        "table4": read_table4(lines, layout),
    }
    return report
