"""Read a report's detail page: its title, dates, attachments and whether it is only images.

Body containers by family: ``div.TRS_Editor`` / ``TRS_UEDITOR`` /
``Custom_UnionStyle`` (TRS), the ``ZJEG_RSS.content`` comment markers
(Hanweb), ``div.news_cont_d_wrap`` (NFCMS), else the block with the most text.
Attachments are links to documents anywhere on the page (also those written by
``document.write`` in a script, and Hanweb's ``downfile.jsp?filename=…``);
images count only inside the body, and are fetched only when the body is
nothing but images (an image-only report, PUB.NOT_MACHINE_READABLE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

from monitor.model import DateSeen
from monitor.portal.dates import dates_from_doc, strip_scripts
from monitor.portal.links import absolute, is_document_link, is_image_link
from monitor.portal.titles import classify_title, normalize_title

MIN_BODY_TEXT = 200  # portals.md §3: judge a real page by at least 200 characters of body text

_BODY_SELECTORS = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//div[contains(@class, 'TRS_UEDITOR')]",
    "//div[contains(@class, 'Custom_UnionStyle')]",
    "//div[contains(@class, 'news_cont_d_wrap')]",
    "//*[@id='zoom']",
    "//*[@id='UCAP-CONTENT']",
    "//div[contains(@class, 'article-content')]",
    "//div[@id='content' or @class='content']",
)
_ZJEG = re.compile(r"<!--ZJEG_RSS\.content\.begin-->(.*?)<!--ZJEG_RSS\.content\.end-->", re.S)
_SCRIPT_LINK = re.compile(r"""(?:href|src)\s*=\s*\\?['"]([^'"\\]+)\\?['"]""", re.I)
_ICON = re.compile(r"(icon|logo|print|share|qr|weixin|wechat|erweima|close|btn|arrow|dot|blank|spacer)", re.I)
_WS = re.compile(r"\s+")


@dataclass
class Attachment:
    url: str
    name: str
    kind: str  # document | image


@dataclass
class DetailPage:
    title: str | None
    year: int | None
    dates: list[DateSeen] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    body_text_length: int = 0
    body_images: list[str] = field(default_factory=list)
    image_only: bool = False
    container: str = ""
    source: str = ""  # 信息来源 / ContentSource


def parse_html(text: str) -> Any:
    """A page's element tree; an empty page for text lxml cannot parse (binary junk, an empty body)."""
    try:
        return lxml_html.fromstring(text or "<html></html>")
    except (ValueError, lxml_html.etree.ParserError):
        return lxml_html.fromstring("<html></html>")


def _meta(doc: Any, *names: str) -> str:
    for name in names:
        values = doc.xpath(
            f"//meta[translate(@name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
            f"'abcdefghijklmnopqrstuvwxyz')='{name.lower()}']/@content"
        )
        if values and values[0].strip():
            return str(values[0]).strip()
    return ""


def _titles(doc: Any) -> list[str]:
    candidates = [_meta(doc, "ArticleTitle")]
    for xp in ("//h1", "//*[contains(@class, 'title')]", "//h2"):
        candidates.extend(el.text_content() for el in doc.xpath(xp)[:3])
    page_title = " ".join(doc.xpath("//title//text()"))
    candidates.extend(re.split(r"\s*[-_|—]+\s*", page_title))
    return [normalize_title(c) for c in candidates if c and c.strip()]


def body_element(html_text: str, doc: Any) -> tuple[Any, str]:
    """The element holding the report body and how it was found."""
    m = _ZJEG.search(html_text)
    if m:
        return parse_html("<div>" + m.group(1) + "</div>"), "ZJEG_RSS"
    for xp in _BODY_SELECTORS:
        found = doc.xpath(xp)
        if found:
            return found[0], xp
    best, best_len = doc, 0
    for el in doc.xpath("//div|//td|//article|//section"):
        own = len(_WS.sub("", el.text_content() or ""))
        links = sum(len(a.text_content() or "") for a in el.iter("a"))
        score = own - 2 * links
        if score > best_len and el.xpath("count(.//div|.//td)") < 40:
            best, best_len = el, score
    return best, "largest text block"


def parse_detail(html_text: str, url: str) -> DetailPage:
    """Everything the crawler needs from a detail page, as plain data (one parse of the page)."""
    doc = parse_html(html_text)
    scripts = [str(t) for t in doc.xpath("//script/text()")]
    title = None
    year = None
    for candidate in _titles(doc):
        info = classify_title(candidate)
        if info.kind == "report":
            title, year = candidate, info.year
            if year:
                break
    page = DetailPage(title, year)
    page.source = _meta(doc, "ContentSource")

    seen: set[str] = set()
    for anchor in doc.iter("a"):
        target = absolute(url, anchor.get("href"))
        if target and is_document_link(target) and target not in seen:
            seen.add(target)
            name = (
                normalize_title(anchor.get("title") or anchor.text_content() or "")
                or target.rsplit("/", 1)[-1]
            )
            page.attachments.append(Attachment(target, name, "document"))
    for script in scripts:  # links a template writes with document.write
        for href in _SCRIPT_LINK.findall(script):
            target = absolute(url, href)
            if target and is_document_link(target) and target not in seen:
                seen.add(target)
                page.attachments.append(Attachment(target, target.rsplit("/", 1)[-1], "document"))

    strip_scripts(doc)
    body, how = body_element(html_text, doc)
    page.container = how
    # Labelled dates are read outside the body (a guessed block only when it is clearly the body).
    own = (
        body
        if how != "largest text block" or len(_WS.sub("", body.text_content() or "")) >= MIN_BODY_TEXT
        else None
    )
    page.dates = dates_from_doc(doc, url, body=own)
    page.body_text_length = len(_WS.sub("", body.text_content() or ""))
    for img in body.iter("img"):
        src = absolute(url, img.get("src") or img.get("data-src"))
        if not src or _ICON.search(src.rsplit("/", 1)[-1]):
            continue
        width = re.sub(r"\D", "", img.get("width") or "")
        if width and int(width) < 100:
            continue
        if src not in page.body_images:
            page.body_images.append(src)

    title_image = bool(title and classify_title(title).image_edition)
    page.image_only = (
        bool(page.body_images) and page.body_text_length < MIN_BODY_TEXT and not page.attachments
    )
    page.image_only = page.image_only or (title_image and not page.attachments and bool(page.body_images))
    if page.image_only:
        page.attachments.extend(
            Attachment(src, src.rsplit("/", 1)[-1], "image")
            for src in page.body_images
            if is_image_link(src) or "." not in src.rsplit("/", 1)[-1]
        )
    return page
