"""`nianbao serve` as a supervisor uses it: a real server process on loopback, driven in Debian's chromium.

- browse from the digest to an agency page to the stored copy;
- dismiss a finding with a (hostile) reason: the next digest no longer lists it as open, and a new
  version of its report brings it back for review;
- on a non-loopback address: a request without login gets 401, and a cross-site POST (from a page on
  another origin, the browser carrying the login) is refused.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.model import CST
from nianbao.digest.weeks import Week
from nianbao.ingest import ingest_bytes
from storage.clock import ManualClock
from tests.support.archive import open_archive, seed_bytes
from tests.support.digest_world import build_world, url_of
from tests.support.paths import ROOT

pytestmark = pytest.mark.browser


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
HOSTILE_REASON = "误报：<img src=x onerror=alert('reason')>第六部分已说明收费"
PASSWORD = "correct horse battery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Server:
    """`nianbao serve` in a child process; stopped (by its pid) when the test ends."""

    def __init__(self, data: Path, *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nianbao", "serve", "--data", str(data), "--port", str(self.port), *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError as exc:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        self.process.stderr.read().decode() if self.process.stderr else "serve exited"
                    ) from exc
                time.sleep(0.1)
        raise RuntimeError("serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    build_world(tmp_path / "data").close()
    return tmp_path / "data"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    # Imported here, not at collection: only the tests that drive Chromium need it.
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def this_week() -> str:
    return Week.containing(datetime.now(CST).date()).label


def test_browse_dismiss_and_a_new_version_brings_it_back(browser: Any, data: Path) -> None:
    server = Server(data)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        digest_url = f"{server.url}/digest-{this_week()}.html"
        page.goto(digest_url)
        assert page.locator('#details li[data-code="DATE.SIGNATURE_YEAR"]').count() == 1
        # Digest → agency page → stored copy.
        page.locator('#call tr[data-site="jgsw"] td.agency a').first.click()
        assert page.url == f"{server.url}/agencies/jgsw.html"
        assert page.locator("h1").inner_text() == "赣州经开区机关事务管理中心"
        item = page.locator('#open li[data-code="DATE.SIGNATURE_YEAR"]')
        item.locator("a.stored-link").click()  # opens in the same tab
        assert (
            page.url.startswith(f"{server.url}/docs/")
            and "机关事务管理中心" in page.locator("body").inner_text()
        )
        page.go_back()

        # Dismiss it with a reason that is meant to break the page.
        item = page.locator('#open li[data-code="DATE.SIGNATURE_YEAR"]')
        item.locator('input[name="note"]').fill(HOSTILE_REASON)
        item.locator('button[value="dismissed"]').click()
        assert "已排除（误报）" in page.locator("#notice").inner_text()
        reviews = page.locator('#open li[data-code="DATE.SIGNATURE_YEAR"] ul.reviews').inner_text()
        assert HOSTILE_REASON in reviews
        assert page.locator("#open img").count() == 0

        page.goto(digest_url)
        assert page.locator('#details li[data-code="DATE.SIGNATURE_YEAR"]').count() == 0
        assert page.locator('[data-figure="dismissed"] .value').inner_text() == "1"

        # A corrected version that still carries the error: back for review.
        archive = open_archive(data, ManualClock(datetime.now(CST) + timedelta(seconds=2)))
        ingest_bytes(
            archive,
            "jgsw",
            seed_bytes("001") + "\n更正版。\n".encode(),
            name="更正.txt",
            year=2023,
            url=url_of("jgsw"),
        )
        archive.close()
        page.goto(digest_url)
        back = page.locator('#details li[data-code="DATE.SIGNATURE_YEAR"]')
        assert back.count() == 1 and back.get_attribute("data-review") == "lapsed"
        assert "需重新审核" in (back.text_content() or "")
        page.goto(f"{server.url}/findings?state=all&code=DATE.SIGNATURE_YEAR")
        assert "需重新审核" in page.locator("table.findings-list").inner_text()
        assert dialogs == []
    finally:
        context.close()
        server.stop()


def test_beyond_loopback_login_is_required_and_cross_site_posts_are_refused(
    browser: Any, data: Path, tmp_path: Path
) -> None:
    from werkzeug.security import generate_password_hash

    config = tmp_path / "nianbao.toml"
    config.write_text(f'[serve.users]\nzhangsan = "{generate_password_hash(PASSWORD)}"\n', encoding="utf-8")
    server = Server(data, "--host", "0.0.0.0", "--config", str(config))
    evil = ThreadingHTTPServer(("127.0.0.2", 0), _evil_handler(server.url))
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/agencies/jgsw.html", timeout=10)
        assert refused.value.code == 401 and "Basic" in refused.value.headers["WWW-Authenticate"]
        refused.value.close()

        context = browser.new_context(http_credentials={"username": "zhangsan", "password": PASSWORD})
        page = context.new_page()
        page.goto(f"{server.url}/agencies/jgsw.html")
        assert page.locator("h1").inner_text() == "赣州经开区机关事务管理中心"
        finding = page.locator('#open li[data-code="DATE.SIGNATURE_YEAR"]').get_attribute("data-finding")

        # A page on another site posts a dismissal to the server; the browser would send the login along.
        page.goto(f"http://127.0.0.2:{evil.server_address[1]}/?finding={finding}")
        with page.expect_navigation():
            page.locator("button").click()
        assert "拒绝跨站请求" in page.locator("body").inner_text()

        page.goto(f"{server.url}/agencies/jgsw.html")
        assert (
            page.locator('#open li[data-code="DATE.SIGNATURE_YEAR"] ul.reviews').count() == 0
        )  # nothing recorded
        context.close()

        wrong = browser.new_context(http_credentials={"username": "zhangsan", "password": "wrong"})
        response = wrong.new_page().goto(f"{server.url}/")
        assert response is not None and response.status == 401
        wrong.close()
    finally:
        evil.shutdown()
        evil.server_close()
        server.stop()


def _evil_handler(target: str) -> type[BaseHTTPRequestHandler]:
    class Evil(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            finding = self.path.partition("finding=")[2]
            body = (
                f'<form method="post" action="{target}/review">'
                f'<input type="hidden" name="finding" value="{finding}">'
                '<input type="hidden" name="verdict" value="dismissed">'
                '<input type="hidden" name="note" value="forged">'
                '<button type="submit">go</button></form>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    return Evil
