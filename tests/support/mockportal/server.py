"""The mock portal server: many loopback hosts in one process, each its own domain.

Run as a script with a JSON spec; it binds every host on its own loopback
address (127.0.0.2, 127.0.0.3, …) on a free port, prints one JSON line
``{"urls": {"name": "http://127.0.0.2:PORT", …}, "addresses": {…}}`` and serves
until killed (a host given a ``hostname`` has it in its URL instead of the
address)::

    python tests/support/mockportal/server.py spec.json

A host spec::

    {"name": "trs", "ip": "127.0.0.2", "root": "tests/fixtures/portals/trs",
     "hostname": "www.example.gov.cn",  # optional: URLs name the host, not the address
     "conditional": true,              # ETag / Last-Modified, 304 on a match
     "delay": 0,                       # seconds before every answer (a slow server)
     "robots": "User-agent: *\\nDisallow: /",
     "routes": {"/old/": {"status": 301, "location": "/new/index.shtml"},
                "*": {"status": 412, "body_file": "…", "content_type": "text/html"}}}

Dynamic endpoints read data files in the tree: Hanweb's
``/module/web/jpage/dataproxy.jsp`` (``_data/jpage_{columnid}.json``), its
``/module/download/downfile.jsp?filename=`` (``_files/``), gkmlpt's
``/gkmlpt/api/all/{cat}`` (``_data/gkmlpt_{cat}.json``), the TRS list model's
search service ``POST /fjdzapp/search`` (``_data/trsapi_{channelid}.json``),
Anhui's label service ``/site/label/8888`` (``_data/label_{organId}.json``)
and Zhejiang's JPaaS download gateway (``/api-gateway/jpaas-web-server/front/
document/download?fileUrl=TOKEN&fileName=…``; a page's ``{{jpaas:PATH}}`` is
replaced with a gateway link whose token expires, see ``_jpaas``).
``{{host:NAME}}`` in text (and in a route's ``location``) is replaced with host
NAME's base URL.

A host's ``connect_lag`` delays reading the first request of every new connection
(see ``PlainHTTPChannel``). A route can also serve a gzip bomb (``"gzip_bomb": BYTES``: that many zero
bytes, gzip-compressed, ``Content-Encoding: gzip``).

Every request is logged, with the Host header it named (several host names may point at one address).
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

import base64
import email.utils
import gzip
import hashlib
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from twisted.internet import reactor as installed_reactor
from twisted.web import http, resource, server

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
_BOMBS: dict[int, bytes] = {}
GATEWAY = "/api-gateway/jpaas-web-server/front/document/download"
_JPAAS_LINK = re.compile(rb"\{\{jpaas:([^}]+)\}\}")


def _substitute(data: bytes) -> bytes:
    if b"{{host:" not in data:
        return data
    for name, base in BASES.items():
        data = data.replace(f"{{{{host:{name}}}}}".encode(), base.encode())
    return data


def _bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of that)."""
    if size not in _BOMBS:
        _BOMBS[size] = gzip.compress(b"\0" * size, compresslevel=9)
    return _BOMBS[size]


class Host(resource.Resource):
    isLeaf = True

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.name = spec["name"]
        self.root: Path | None = None
        self.serve(spec.get("root"))
        self.routes: dict[str, dict[str, Any]] = spec.get("routes", {})
        self.served: set[str] = set()  # JPaaS pages served once (the first copy carries a stale link)

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
            "vhost": (request.getHeader("host") or "").rsplit(":", 1)[0],
        }
        if request.method == b"POST":  # the form, as the service read it
            entry["form"] = {k.decode(): v[0].decode("utf-8", "replace") for k, v in request.args.items()}
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
        if route and (
            route.get("status")
            or route.get("body") is not None
            or route.get("body_file")
            or route.get("gzip_bomb")
        ):
            return self._route(route)
        dynamic = self._dynamic(request, path)
        if dynamic is not None:
            return dynamic
        return self._file(request, path)

    def _route(self, route: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        status = int(route.get("status", 200))
        headers = {"Content-Type": route.get("content_type", "text/html")}
        if route.get("location"):
            headers["Location"] = _substitute(route["location"].encode()).decode()
        headers.update(route.get("headers", {}))
        if route.get("gzip_bomb"):
            headers["Content-Encoding"] = "gzip"
            return status, headers, _bomb(int(route["gzip_bomb"]))
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
            if b"{{jpaas:" in data:
                data = self._jpaas_links(path, data)
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
        if path == "/fjdzapp/search":
            return self._trs_search(args)
        if path == "/site/label/8888":
            return self._label(args)
        if path == GATEWAY:
            return self._jpaas(args)
        return None

    # -- TRS list model: the search service behind list2.trsapi ------------------------------------

    def _trs_search(self, args: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """``{"pageCount", "recordCount", "data": [...]}`` for the channel and column asked for, as TRS answers."""
        source = self.root / "_data" / f"trsapi_{args.get('channelid', '')}.json"  # type: ignore[operator]
        answer: dict[str, Any] = {"error": False, "page": 1, "prepage": 0, "pageCount": 0, "recordCount": 0}
        if source.is_file():
            data = json.loads(_substitute(source.read_bytes()))
            docs = data["docs"] if args.get("classsql") == data["classsql"] else []
            per_page = max(1, int(args.get("prepage", 10)))
            page = max(1, int(args.get("page", 1)))
            answer.update(
                page=page,
                prepage=per_page,
                pageCount=math.ceil(len(docs) / per_page),
                recordCount=len(docs),
                data=docs[(page - 1) * per_page : page * per_page],
            )
        else:
            answer["data"] = []
        body = json.dumps(answer, ensure_ascii=False).encode()
        return 200, {"Content-Type": "application/json;charset=UTF-8"}, body

    # -- Anhui's label service -------------------------------------------------------------------

    def _label(self, args: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """An HTML fragment of ``div.xxgk_navli`` items and ``pageCount:N``, for the right column and template."""
        source = self.root / "_data" / f"label_{args.get('organId', '')}.json"  # type: ignore[operator]
        items: list[dict[str, str]] = []
        per_page = max(1, int(args.get("pageSize", 15)))
        if source.is_file():
            data = json.loads(source.read_bytes())
            wanted = (data["file"], data["catId"], "publicInfoList")
            if (args.get("file"), args.get("catId"), args.get("labelName")) == wanted:
                items = data["items"]
        page = max(1, int(args.get("pageIndex", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        rows = "".join(
            f'<div class="xxgk_navli"><ul><li><a href="{i["href"]}" title="{i["title"]}">{i["title"]}</a>'
            f'<span class="date">{i["date"]}</span></li></ul></div>'
            for i in chunk
        )
        if not rows:
            rows = f'<div class="no-data">{args.get("result", "暂无相关信息")}</div>'
        pages = max(1, math.ceil(len(items) / per_page))
        pager = f"<script>pageInfo({{pageIndex:{page},pageCount:{pages},pageSize:{per_page}}});</script>"
        return 200, {"Content-Type": "text/html;charset=UTF-8"}, (rows + pager).encode()

    # -- Zhejiang JPaaS download gateway (its expiry answer is inferred: never seen in stored pages) ----

    def _jpaas_links(self, page: str, data: bytes) -> bytes:
        """Gateway links with a token valid ``ttl`` s; the first copy of a page carries an expired one."""
        settings = self.spec.get("jpaas", {})
        stale = settings.get("stale_first", False) and page not in self.served
        self.served.add(page)
        expires = time.time() + (-60 if stale else float(settings.get("ttl", 60)))

        def link(match: re.Match[bytes]) -> bytes:
            path = match.group(1).decode()
            token = base64.urlsafe_b64encode(f"{path}|{expires:.0f}".encode()).decode()
            name = path.rsplit("/", 1)[-1]
            return f"{GATEWAY}?fileUrl={quote(token)}&fileName={quote(name)}".encode()

        return _JPAAS_LINK.sub(link, data)

    def _jpaas(self, args: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json;charset=UTF-8"}
        try:
            path, expires = base64.urlsafe_b64decode(args.get("fileUrl", "")).decode().rsplit("|", 1)
        except ValueError:
            return 200, json_type, b'{"success":false,"code":"400","msg":"\u53c2\u6570\u9519\u8bef"}'
        if path in self.spec.get("jpaas", {}).get("limited", []):
            body = {"success": False, "data": 0, "msg": "您的下载次数已超过上限，请明日再试！"}
            return 200, json_type, json.dumps(body, ensure_ascii=False).encode()
        if float(expires) < time.time():
            body = {"success": False, "code": "500", "msg": "文件链接已失效"}
            return 200, json_type, json.dumps(body, ensure_ascii=False).encode()
        return 302, {"Content-Type": "text/html", "Location": path}, b""

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


class PlainHTTPChannel(http.HTTPChannel):
    """An http server met with a TLS handshake answers 400 and closes, as nginx or Apache do.

    A host's ``connect_lag`` makes a new connection wait that long before its first request is read
    (a loaded server, a slow handshake): the first request on a connection arrives late, the next
    ones on the same connection do not.
    """

    _first = True

    def connectionMade(self) -> None:
        super().connectionMade()
        site: Any = getattr(self, "site", None)  # set by the factory; Twisted's stubs do not say so
        transport: Any = self.transport
        lag = float(getattr(site.resource, "spec", {}).get("connect_lag", 0)) if site else 0.0
        if lag > 0:
            transport.pauseProducing()
            reactor.callLater(lag, transport.resumeProducing)

    def dataReceived(self, data: bytes) -> None:
        transport: Any = self.transport
        if self._first and data[:2] == b"\x16\x03":
            transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            transport.loseConnection()
            return
        self._first = False
        super().dataReceived(data)


def serve(spec: dict[str, Any]) -> None:
    addresses = {}
    for host in spec["hosts"]:
        HOSTS[host["name"]] = Host(host)
        site = server.Site(HOSTS[host["name"]])
        site.protocol = PlainHTTPChannel  # type: ignore[method-assign,assignment]  # Twisted's own idiom
        site.noisy = False
        site.displayTracebacks = False
        port = reactor.listenTCP(0, site, interface=host["ip"], backlog=512)
        addresses[host["name"]] = f"http://{host['ip']}:{port.getHost().port}"
        # A host with a "hostname" is addressed by it (the crawl resolves it through NIANBAO_HOSTS).
        BASES[host["name"]] = f"http://{host.get('hostname') or host['ip']}:{port.getHost().port}"
    print(json.dumps({"urls": BASES, "addresses": addresses}), flush=True)
    reactor.run()


if __name__ == "__main__":
    serve(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
