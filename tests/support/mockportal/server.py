"""The mock portal server: many loopback hosts in one process, each its own domain.

Run as a script with a JSON spec; it binds every host on its own loopback
address (127.0.0.2, 127.0.0.3, …) on a free port, prints one JSON line
``{"name": "http://127.0.0.2:PORT", …}`` and serves until killed::

    python tests/support/mockportal/server.py spec.json

A host spec::

    {"name": "trs", "ip": "127.0.0.2", "root": "tests/fixtures/portals/trs",
     "conditional": true,              # ETag / Last-Modified, 304 on a match
     "delay": 0,                       # seconds before every answer (a slow server)
     "robots": "User-agent: *\\nDisallow: /",
     "routes": {"/old/": {"status": 301, "location": "/new/index.shtml"},
                "*": {"status": 412, "body_file": "…", "content_type": "text/html"}}}

Dynamic endpoints read data files in the tree: Hanweb's
``/module/web/jpage/dataproxy.jsp`` (``_data/jpage_{columnid}.json``), its
``/module/download/downfile.jsp?filename=`` (``_files/``), and gkmlpt's
``/gkmlpt/api/all/{cat}`` (``_data/gkmlpt_{cat}.json``). ``{{host:NAME}}``
in text is replaced with host NAME's base URL.

Control endpoints, on any host:

- ``GET /__mock__/log`` returns every request served, as JSON, and
  ``/__mock__/reset`` clears it (tests count requests with it);
- ``GET /__mock__/root?host=NAME&path=DIR`` serves DIR as host NAME's tree from
  now on (an empty path: no tree), so a test can edit a copy and the demo can
  switch between snapshots of its portal a week apart;
- ``GET /__mock__/delay?host=NAME&seconds=S`` makes host NAME answer S seconds late.


Only stdlib and Twisted (Scrapy's own dependency) are used.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from twisted.internet import reactor as installed_reactor
from twisted.web import resource, server

reactor: Any = installed_reactor  # the global reactor has no precise static type


CONTENT_TYPES = {
    ".html": "text/html",
    ".shtml": "text/html",
    ".htm": "text/html",
    "": "text/html",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".wps": "application/kswps",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".json": "application/json",
    ".xml": "text/xml",
    ".txt": "text/plain",
    ".js": "application/javascript",
}
TEXT_TYPES = ("text/", "application/json", "application/javascript")
FIXED_LAST_MODIFIED = email.utils.formatdate(1704067200, usegmt=True)  # 2024-01-01

LOG: list[dict[str, Any]] = []
BASES: dict[str, str] = {}
HOSTS: dict[str, Host] = {}


def _substitute(data: bytes) -> bytes:
    if b"{{host:" not in data:
        return data
    for name, base in BASES.items():
        data = data.replace(f"{{{{host:{name}}}}}".encode(), base.encode())
    return data


class Host(resource.Resource):
    isLeaf = True

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.name = spec["name"]
        self.root: Path | None = None
        self.serve(spec.get("root"))
        self.routes: dict[str, dict[str, Any]] = spec.get("routes", {})

    def serve(self, root: str | None) -> None:
        self.root = Path(root).resolve() if root else None

    # -- entry ------------------------------------------------------------------------------------

    def render(self, request: Any) -> Any:
        path = request.path.decode("utf-8", "replace")
        if path.startswith("/__mock__/"):
            return self._control(request, path)
        entry = {
            "t": round(time.monotonic(), 4),
            "host": self.name,
            "method": request.method.decode(),
            "path": path,
            "query": request.uri.decode("utf-8", "replace").partition("?")[2],
            "conditional": bool(request.getHeader("if-none-match") or request.getHeader("if-modified-since")),
            "user_agent": request.getHeader("user-agent") or "",
        }
        LOG.append(entry)
        status, headers, body = self._answer(request, path)
        entry["status"] = status
        entry["bytes"] = len(body)
        delay = float(self.routes.get(path, self.routes.get("*", {})).get("delay", self.spec.get("delay", 0)))
        if delay > 0:
            reactor.callLater(delay, self._finish, request, status, headers, body)
            return server.NOT_DONE_YET
        return self._write(request, status, headers, body)

    def _finish(self, request: Any, status: int, headers: dict[str, str], body: bytes) -> None:
        if getattr(request, "_disconnected", False) or request.finished:
            return
        request.write(self._write(request, status, headers, body))
        request.finish()

    def _write(self, request: Any, status: int, headers: dict[str, str], body: bytes) -> bytes:
        request.setResponseCode(status)
        for key, value in headers.items():
            request.setHeader(key, value)
        return body if request.method != b"HEAD" else b""

    def _control(self, request: Any, path: str) -> bytes:
        request.setHeader("Content-Type", "application/json")
        args = {k.decode(): v[0].decode() for k, v in request.args.items()}
        if path == "/__mock__/log":
            return json.dumps(LOG, ensure_ascii=False).encode()
        if path == "/__mock__/reset":
            LOG.clear()
        elif path == "/__mock__/root" and args.get("host") in HOSTS:
            HOSTS[args["host"]].serve(args.get("path"))
        elif path == "/__mock__/delay" and args.get("host") in HOSTS:
            HOSTS[args["host"]].spec["delay"] = float(args.get("seconds", 0))
        else:
            request.setResponseCode(400)
            return json.dumps({"ok": False, "error": f"unknown control {path} {args}"}).encode()
        return json.dumps({"ok": True}).encode()

    # -- answers ----------------------------------------------------------------------------------

    def _answer(self, request: Any, path: str) -> tuple[int, dict[str, str], bytes]:
        route = self.routes.get(path) or self.routes.get("*")
        if path == "/robots.txt" and "robots" in self.spec and not (route and path in self.routes):
            return 200, {"Content-Type": "text/plain"}, self.spec["robots"].encode()
        if route and (route.get("status") or route.get("body") is not None or route.get("body_file")):
            return self._route(route)
        dynamic = self._dynamic(request, path)
        if dynamic is not None:
            return dynamic
        return self._file(request, path)

    def _route(self, route: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        status = int(route.get("status", 200))
        headers = {"Content-Type": route.get("content_type", "text/html")}
        if route.get("location"):
            headers["Location"] = route["location"]
        headers.update(route.get("headers", {}))
        body = route.get("body", "")
        data = Path(route["body_file"]).read_bytes() if route.get("body_file") else str(body).encode()
        return status, headers, _substitute(data)

    def _not_found(self) -> tuple[int, dict[str, str], bytes]:
        return 404, {"Content-Type": "text/html"}, b"<html><body><h1>404 Not Found</h1></body></html>"

    def _file(self, request: Any, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.root is None:
            return self._not_found()
        target = (self.root / path.lstrip("/")).resolve()
        if not str(target).startswith(str(self.root)):
            return self._not_found()
        if target.is_dir():
            for index in ("index.html", "index.shtml", "index.htm"):
                if (target / index).is_file():
                    target = target / index
                    break
        if not target.is_file():
            return self._not_found()
        data = target.read_bytes()
        content_type = CONTENT_TYPES.get(target.suffix.lower(), "application/octet-stream")
        if content_type.startswith(TEXT_TYPES):
            data = _substitute(data)
        return self._conditional(request, content_type, data)

    def _conditional(self, request: Any, content_type: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": content_type}
        if not self.spec.get("conditional"):
            return 200, headers, data
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        headers["ETag"] = etag
        headers["Last-Modified"] = FIXED_LAST_MODIFIED
        if request.getHeader("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, headers, data

    def _dynamic(self, request: Any, path: str) -> tuple[int, dict[str, str], bytes] | None:
        if self.root is None:
            return None
        args = {k.decode(): v[0].decode() for k, v in request.args.items()}
        if path == "/module/web/jpage/dataproxy.jsp":
            return self._hanweb_proxy(args)
        if path == "/module/download/downfile.jsp":
            name = Path(args.get("filename", "")).name
            target = self.root / "_files" / name
            if not name or not target.is_file():
                return self._not_found()
            suffix = target.suffix.lower()
            return self._conditional(
                request, CONTENT_TYPES.get(suffix, "application/octet-stream"), target.read_bytes()
            )
        if path.startswith("/gkmlpt/api/all/"):
            return self._gkmlpt(path.rsplit("/", 1)[-1], args)
        return None

    def _hanweb_proxy(self, args: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        assert self.root is not None  # only called with a tree
        source = self.root / "_data" / f"jpage_{args.get('columnid', '')}.json"
        if not source.is_file():
            return 200, {"Content-Type": "text/xml"}, b"<datastore><totalrecord>0</totalrecord></datastore>"
        records = json.loads(_substitute(source.read_bytes()))
        per_page = max(1, int(args.get("perpage", 15)))
        start = max(1, int(args.get("startrecord", 1)))
        end = int(args.get("endrecord", start + per_page - 1))
        chunk = records[start - 1 : end]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<totalrecord>{len(records)}</totalrecord>\n<totalpage>{math.ceil(len(records) / per_page)}</totalpage>\n"
            "<recordset>\n"
            + "\n".join(f"<record><![CDATA[\n{r}\n]]></record>" for r in chunk)
            + "\n</recordset>\n</datastore>"
        )
        return 200, {"Content-Type": "text/xml"}, body.encode()

    def _gkmlpt(self, cat: str, args: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        assert self.root is not None  # only called with a tree
        source = self.root / "_data" / f"gkmlpt_{cat}.json"
        if not source.is_file():
            return self._not_found()
        data = json.loads(_substitute(source.read_bytes()))
        if args.get("sid") != data["sid"]:
            return 200, {"Content-Type": "application/json"}, b'{"total":0,"articles":[],"msg":"sid error"}'
        size = data["page_size"]
        page = max(1, int(args.get("page", 1)))
        articles = data["articles"][(page - 1) * size : page * size]
        body = json.dumps(
            {"total": len(data["articles"]), "page": page, "articles": articles}, ensure_ascii=False
        )
        return 200, {"Content-Type": "application/json"}, body.encode()


def serve(spec: dict[str, Any]) -> None:
    for host in spec["hosts"]:
        HOSTS[host["name"]] = Host(host)
        site = server.Site(HOSTS[host["name"]])
        site.noisy = False
        site.displayTracebacks = False
        port = reactor.listenTCP(0, site, interface=host["ip"], backlog=512)
        BASES[host["name"]] = f"http://{host['ip']}:{port.getHost().port}"
    print(json.dumps(BASES), flush=True)
    reactor.run()


if __name__ == "__main__":
    serve(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
