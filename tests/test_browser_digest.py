"""The digest in a real browser: Debian's chromium driven by Playwright (no browser download).

At desktop and phone widths (and as printed) the headline figures must be
visible and nothing may stick out sideways. Screenshots are saved in the
test's temporary folder, and also in $NIANBAO_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.digest import build_digest, render_html, resolve_period
from tests.support.archive import open_archive
from tests.support.digest_world import TODAY, WEEK

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


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
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
EXPECTED = {
    "monitored": "9",
    "checked": "6",
    "not_checked": "3",
    "reports": "5",
    "missing_or_late": "2",
    "open_errors": "7",
    "open_warnings": "1",
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
def digest_file(tmp_path_factory: pytest.TempPathFactory, digest_world: Path) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    archive = open_archive(digest_world)
    try:
        digest = build_digest(archive.db, resolve_period(WEEK, now=TODAY))
    finally:
        archive.close()
    # Worst cases for a narrow screen: an unbroken 300-character string and a long URL in evidence.
    digest = copy.deepcopy(digest)
    finding = digest.agencies[0].findings[0]
    finding.evidence = [
        *finding.evidence,
        ("原文", "表" * 5 + "x" * 300),
        ("网址", "https://example.gov.cn/" + "a/" * 80 + "t20240125_1926722.shtml"),
    ]
    finding.message += "；" + "长" * 120
    path = folder / f"digest-{WEEK}.html"
    path.write_text(render_html(digest), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def keep(screenshot: Path) -> None:
    target = os.environ.get("NIANBAO_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / screenshot.name)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_digest_fits_the_screen_and_shows_the_headline(
    browser: Any, digest_file: Path, device: str, tmp_path: Path
) -> None:
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(digest_file.as_uri())

    for name, value in EXPECTED.items():
        figure = page.locator(f'[data-figure="{name}"]')
        assert figure.is_visible(), name
        assert figure.locator(".value").inner_text() == value
        box = figure.bounding_box()
        assert (
            box is not None
            and box["x"] >= 0
            and box["x"] + box["width"] <= VIEWPORTS[device]["viewport"]["width"]
        )
    # The headline is on the first screen, not below the fold.
    last = page.locator('[data-figure="open_warnings"]').bounding_box()
    assert last is not None and last["y"] + last["height"] <= VIEWPORTS[device]["viewport"]["height"]

    layout = page.evaluate(OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert layout["bad"] == [], layout

    assert page.locator("#history svg rect.bar").count() == 12
    assert page.locator("text=本周已整改").first.is_visible()
    assert requests == [digest_file.as_uri()]  # self-contained: nothing else was fetched

    shot = tmp_path / f"digest-{device}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    keep(shot)
    context.close()


def test_digest_prints_without_overflow(browser: Any, digest_file: Path, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 700, "height": 1000})
    page = context.new_page()
    page.goto(digest_file.as_uri())
    page.emulate_media(media="print")
    assert page.locator(".toc").is_hidden()
    layout = page.evaluate(OVERFLOW_JS)
    assert layout["bad"] == [], layout
    pdf = page.pdf(path=str(tmp_path / "digest.pdf"), format="A4")
    assert pdf[:4] == b"%PDF"
    context.close()
