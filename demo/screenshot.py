"""A screenshot of a digest page in Debian's chromium (Playwright drives it; no browser is downloaded)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def screenshot(page: Path, target: Path, *, width: int = 1100, height: int = 1500) -> Path:
    """The top of the page (headline and the first agencies) at a desktop width."""
    from playwright.sync_api import sync_playwright

    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        view = browser.new_page(viewport={"width": width, "height": height})
        view.goto(page.resolve().as_uri())
        view.screenshot(path=str(target))
        browser.close()
    return target
