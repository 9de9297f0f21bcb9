"""The digest of a generated 500-agency archive, parsed and in a real browser (Debian's chromium via Playwright).

- the first screen at 1280×800 shows the whom-to-call table, headed by the missing and late agencies;
- nothing sticks out sideways at 375 px, details open or closed;
- printed, the table is on page 1;
- every finding links to a stored copy that exists, and the copies open (a portal page's script never runs);
- the page stays under 3 MB; hostile text is text.

Screenshots are saved in the test's temporary folder, and also in $NIANBAO_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from nianbao.digest import resolve_period, write_digest
from tests.support.digest_generated import HOSTILE_QUOTE, HOSTILE_TITLE, TODAY, WEEK, build_archive
from tests.support.html import attr, one

pytestmark = pytest.mark.slow  # a 500-agency archive; the tests that drive Chromium are marked browser too

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Every element's box must lie within the viewport's width.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 1 || r.left < -1)) {
      bad.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''} right=${Math.round(r.right)}: `
               + (el.textContent || '').trim().slice(0, 40));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, bad: bad.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("digest500")
    build_archive(folder / "data", 500).close()
    files = write_digest(folder / "data", folder / "out", resolve_period(WEEK, now=TODAY), xlsx=True)
    assert files.problems == []
    return folder / "out"


@pytest.fixture(scope="module")
def html(out: Path) -> Path:
    return out / f"digest-{WEEK}.html"


@pytest.fixture(scope="module")
def soup(html: Path) -> BeautifulSoup:
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    # Imported here, not at collection: only the tests that drive Chromium need it.
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def keep(screenshot: Path) -> None:
    target = os.environ.get("NIANBAO_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)


# ---- the page, parsed ---------------------------------------------------------------------------


def test_500_agencies_fit_in_a_usable_page(html: Path, soup: BeautifulSoup) -> None:
    assert html.stat().st_size <= 3_000_000
    figures = {attr(a, "data-figure"): int(one(a, ".value").get_text()) for a in soup.select("#headline a")}
    assert figures["monitored"] == 500
    assert figures["missing"] == 20 and figures["late"] == 30 and figures["not_checked"] == 20
    states = [attr(tr, "data-state") for tr in soup.select("#call tr[data-site]")]
    assert states == sorted(states, key=["missing", "late", "unchecked", "errors", "warnings"].index)
    assert states[:20] == ["missing"] * 20 and states[20:50] == ["late"] * 30
    assert len(soup.select("#regions tbody tr")) == 20
    ranks = [one(tr, "td").get_text() for tr in soup.select("#regions tbody tr")]
    assert ranks[0] == "1"
    rates = [tr.select("td")[5].get_text() for tr in soup.select("#regions tbody tr")]
    known = [int(r.rstrip("%")) for r in rates if r != "—"]
    assert known == sorted(known, reverse=True) and rates[len(known) :] == ["—"] * (len(rates) - len(known))


def test_every_finding_links_to_a_stored_copy_that_exists(out: Path, soup: BeautifulSoup) -> None:
    findings = soup.select("#details li.finding")
    assert len(findings) > 400
    report_findings = [
        li
        for li in findings
        if attr(li, "data-code") not in ("PUB.MISSING", "CRAWL.UNREACHABLE", "CRAWL.BLOCKED")
    ]
    for li in report_findings:
        link = one(li, "a.stored-link")
        assert link is not None, attr(li, "data-finding")
        assert (out / attr(link, "href")).is_file(), attr(link, "href")
    for li in findings:  # site-level findings have the site's column instead
        assert li.select_one("a.stored-link, a.live-link") is not None
    for row in soup.select("#call tr[data-site]"):
        assert (out / attr(one(row, "td.agency a"), "href")).is_file()


def test_hostile_text_is_text_on_every_page(out: Path, soup: BeautifulSoup) -> None:
    assert soup.find("script") is None and soup.find("img") is None
    assert HOSTILE_QUOTE in soup.get_text()
    agency = BeautifulSoup((out / "agencies" / "a00000.html").read_text(encoding="utf-8"), "html.parser")
    assert agency.find("script") is None and agency.find("img") is None
    assert HOSTILE_TITLE in agency.get_text() and HOSTILE_QUOTE in agency.get_text()
    assert not [a for a in agency.find_all("a") if attr(a, "href").lower().startswith("javascript")]
    assert not [a for a in soup.find_all("a") if attr(a, "href").lower().startswith("javascript")]


def test_evidence_says_where_in_words(soup: BeautifulSoup) -> None:
    item = one(soup, '#details li[data-code="CALC.T3_RESULT_TOTAL"]')
    evidence = {one(d, "dt").get_text(): one(d, "dd").get_text() for d in item.select("dl.evidence div")}
    assert evidence["位置"] == "表三 第（七）行 总计列"
    assert "行号" not in evidence and "71" not in " ".join(evidence.values())
    fee = one(soup, '#details li[data-code="STRUCT.FEE_STATEMENT_MISSING"]')
    assert {one(d, "dt").get_text(): one(d, "dd").get_text() for d in fee.select("dl.evidence div")}[
        "位置"
    ] == "第六部分 第2段"
    late = one(soup, '#details li[data-code="PUB.LATE"]')
    assert "<meta" not in late.get_text()


# ---- in the browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_first_screen_is_whom_to_call_headed_by_missing_and_late(
    browser: Any, html: Path, tmp_path: Path
) -> None:
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri())
    table = page.locator("#call table.call")
    assert table.is_visible()
    box = table.bounding_box()
    assert box is not None and box["y"] < 400  # the table starts in the upper half of the first screen
    rows = page.locator("#call tr[data-site]")
    first = rows.first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= 800
    assert rows.first.get_attribute("data-state") == "missing"
    visible = [r for r in range(8) if (b := rows.nth(r).bounding_box()) and b["y"] + b["height"] <= 800]
    assert len(visible) >= 5  # several agencies to call, above the fold
    assert page.locator("#call-late tr[data-site]").first.get_attribute("data-state") == "late"
    layout = page.evaluate(OVERFLOW_JS)
    assert layout["bad"] == [], layout
    assert requests == [html.as_uri()]  # self-contained: nothing else was fetched
    shot = tmp_path / "digest500-desktop.png"
    page.screenshot(path=str(shot))
    keep(shot)
    context.close()


@pytest.mark.browser
def test_nothing_overflows_on_a_phone(browser: Any, html: Path, tmp_path: Path) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(html.as_uri())
    layout = page.evaluate(OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert layout["bad"] == [], layout
    assert page.locator("#call tr[data-site]").first.is_visible()
    # Open a few agencies' details (the long evidence lines) and look again.
    page.evaluate(
        "() => document.querySelectorAll('details').forEach((d, i) => { if (i < 40) d.open = true; })"
    )
    layout = page.evaluate(OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert layout["bad"] == [], layout
    shot = tmp_path / "digest500-phone.png"
    page.screenshot(path=str(shot))
    keep(shot)
    context.close()


@pytest.mark.browser
def test_printing_puts_the_table_on_page_one(browser: Any, html: Path, tmp_path: Path) -> None:
    import pypdfium2

    context = browser.new_context(viewport={"width": 800, "height": 1000})
    page = context.new_page()
    page.goto(html.as_uri())
    page.emulate_media(media="print")
    first_agency = page.locator("#call tr[data-site] td.agency a").first.inner_text()
    pdf_path = tmp_path / "digest.pdf"
    page.pdf(path=str(pdf_path), format="A4")
    context.close()
    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        first = re.sub(r"\s+", "", document[0].get_textpage().get_text_range())
    finally:
        document.close()
    assert "需要联系的机关" in first and "未发布年报" in first
    assert re.sub(r"\s+", "", first_agency) in first


@pytest.mark.browser
def test_stored_copies_open_and_their_scripts_never_run(browser: Any, out: Path, soup: BeautifulSoup) -> None:
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    hrefs = list(dict.fromkeys(attr(a, "href") for a in soup.select("#details a.stored-link")))
    hostile = BeautifulSoup((out / "agencies" / "a00000.html").read_text(encoding="utf-8"), "html.parser")
    hostile_copy = attr(one(hostile, "a.stored-link"), "href").removeprefix("../")
    for href in [hostile_copy, *hrefs[:: max(1, len(hrefs) // 15)]]:
        page.goto((out / href).as_uri())
        assert "年度报告" in page.locator("body").inner_text(), href
    assert dialogs == []  # the hostile portal page's <script> and onerror stayed inert
    context.close()
