"""Serve the sample portal on loopback: each site on its own address (127.0.0.2, .3, …), like separate hosts.

Static files from the site's tree, plus what the two CMS styles need
dynamically: Hanweb's ``dataproxy.jsp`` (later list pages), and for the
blocked site a 412 answer carrying a Ruishu-style ``$_ts`` challenge, as
anti-bot walls answer. Switching ``Portal.week`` changes what every site
serves, so one process can show two crawls a week apart.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from portal import SITES, Site

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".shtml": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
CHALLENGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
    "<script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=23017;$_ts.cd='qhzrrrAlEqGr';</script>"
    "<script src='/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js'></script></body></html>"
)


class Portal:
    """Every site's server; ``week`` selects which snapshot they serve."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.week = 0
        self.servers: list[ThreadingHTTPServer] = []
        self.urls: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        """Bind every site (the unreachable one to an address nothing listens on); returns the base URLs."""
        for index, site in enumerate(SITES, start=2):
            host = _loopback(index)
            if site.cms == "unreachable":
                self.urls[site.id] = f"http://{host}:{_closed_port(host)}"
                continue
            server = ThreadingHTTPServer((host, 0), _handler(self, site))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, name=f"portal-{site.id}", daemon=True).start()
            self.servers.append(server)
            self.urls[site.id] = f"http://{host}:{server.server_address[1]}"
        return self.urls

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def tree(self, site: Site) -> Path:
        return self.root / f"week{self.week + 1}" / site.id


def _loopback(index: int) -> str:
    """127.0.0.N when the system routes it (Linux does), else 127.0.0.1 (then sites share one address)."""
    host = f"127.0.0.{index}"
    try:
        with socket.socket() as probe:
            probe.bind((host, 0))
        return host
    except OSError:
        return "127.0.0.1"


def _closed_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])  # closed again at once: connections are refused


def _handler(portal: Portal, site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "demo-portal"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the crawl prints progress
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length).decode("utf-8", "replace"))

        def _answer(self, form: str = "") -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            if site.cms == "blocked":
                return self._send(412, CHALLENGE.encode(), "text/html; charset=utf-8")
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow:\n", "text/plain")
            tree = portal.tree(site)
            if path.endswith("/dataproxy.jsp"):
                return self._dataproxy(tree, {**parse_qs(url.query), **parse_qs(form)})
            target = (tree / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(tree.resolve()) or not target.is_file():
                return self._send(
                    404,
                    "<html><body><h1>404 页面不存在</h1></body></html>".encode(),
                    "text/html; charset=utf-8",
                )
            self._send(200, target.read_bytes(), TYPES.get(target.suffix, "application/octet-stream"))

        def _dataproxy(self, tree: Path, params: dict[str, list[str]]) -> None:
            records = json.loads((tree / "_data" / "records.json").read_text(encoding="utf-8"))
            start = int(params.get("startrecord", ["1"])[0])
            end = int(params.get("endrecord", [str(len(records))])[0])
            chosen = records[start - 1 : end]
            body = (
                f"<datastore><totalrecord>{len(records)}</totalrecord><totalpage>1</totalpage><recordset>"
                + "".join(f"<record><![CDATA[{r}]]></record>" for r in chosen)
                + "</recordset></datastore>"
            )
            self._send(200, body.encode(), "text/xml; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler
