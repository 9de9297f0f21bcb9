"""The web application: the same pages as ``nianbao digest`` writes, read live from the archive.

URLs mirror the digest's output folder, so every relative link works the
same on disk and served: ``/digest-2024-W10.html``, ``/agencies/<id>.html``,
``/docs/<sha256 prefix>.<ext>``; plus ``/`` (the weeks), ``/findings`` (a
filtered, paginated list) and ``POST /review``.

Security, in order of each request:
- Host header: only the address served (a DNS-rebinding page cannot reach a loopback server);
- login (HTTP Basic against ``[serve.users]`` password hashes) on any address but loopback: 401 without it;
- POST: refused (403) unless same-origin (``Sec-Fetch-Site``/``Origin``/``Referer``) and carrying the
  form's token (an HMAC of the user with a secret made at start);
- every page: a content security policy without scripts; stored copies are served sandboxed.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, g, redirect, request, stream_with_context
from werkzeug.security import check_password_hash

from monitor.codes import CODES, LEVEL_NAMES, SEVERITY_NAMES, code_title
from monitor.errors import NianbaoError
from monitor.model import CST
from nianbao.digest.build import build_digest, page_of
from nianbao.digest.copies import charset_of, extension
from nianbao.digest.render import render_agency, render_chunks
from nianbao.digest.weeks import Week, resolve_period
from nianbao.serve.config import ServeSettings, is_loopback
from storage.archive import Archive
from storage.reviews import add_review

log = logging.getLogger(__name__)

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
)
COPY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
COPY_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".wps": "application/vnd.ms-works",
    ".html": "text/html",
    ".txt": "text/plain",
    ".md": "text/plain",
}
PAGE_SIZE = 50
FILTER_STATES = {
    "open": "未解决",
    "dismissed": "已排除",
    "confirmed": "已确认",
    "resolved": "已整改",
    "all": "全部",
}


def create_app(
    data_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    settings: ServeSettings | None = None,
    secret: bytes | None = None,
    today: date | None = None,
) -> Flask:
    """The application for the archive in ``data_dir``, as served on ``host:port``."""
    settings = settings or ServeSettings()
    loopback = is_loopback(host)
    if not loopback and not settings.users:
        raise NianbaoError(
            f"在 {host} 上提供服务需要登录：请在配置文件的 [serve.users] 中添加用户（nianbao serve --hash-password 生成密码哈希）"
        )
    key = secret or secrets.token_bytes(32)
    app = Flask("nianbao.serve")
    local = threading.local()
    allowed_hosts = _allowed_hosts(host, port)

    def archive() -> Archive:
        opened: Archive | None = getattr(local, "archive", None)
        if opened is None:
            opened = Archive.open(data_dir, create=False)
            local.archive = opened
        return opened

    def user() -> str:
        name: str | None = g.get("user")
        return name or getpass.getuser()

    def token() -> str:
        return hmac.new(key, user().encode("utf-8"), hashlib.sha256).hexdigest()

    def current_today() -> date:
        return today or datetime.now(CST).date()

    @app.before_request
    def guard() -> Response | None:
        host_header = (request.host or "").lower()
        if allowed_hosts is not None and host_header not in allowed_hosts:
            return _plain(f"不接受发往 {host_header} 的请求", 400)
        if not loopback:
            auth = request.authorization
            stored = settings.users.get(auth.username or "") if auth and auth.type == "basic" else None
            if stored is None or not check_password_hash(stored, auth.password or ""):  # type: ignore[union-attr]
                response = _plain("需要登录", 401)
                response.headers["WWW-Authenticate"] = 'Basic realm="nianbao", charset="UTF-8"'
                return response
            g.user = auth.username  # type: ignore[union-attr]
        if request.method == "POST" and not _same_origin():
            return _plain("拒绝跨站请求：审核操作只能在本站页面上提交", 403)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def index() -> str:
        today_ = current_today()
        weeks = [Week.containing(today_).previous(back) for back in range(0, 12)]
        return "".join(render_chunks("serve_index.html", weeks=weeks, today=today_, live=True))

    @app.get("/digest-<label>.html")
    def digest(label: str) -> Response:
        try:
            period = resolve_period(label, None, now=current_today())
        except ValueError:
            abort(404)
        db = archive().db
        built = build_digest(db, period)

        def chunks() -> Iterator[str]:
            try:
                yield from render_chunks("digest.html", digest=built, root="")
            finally:
                built.close()

        return Response(stream_with_context(chunks()), mimetype="text/html")

    @app.get("/agencies/<name>.html")
    def agency(name: str) -> str:
        from nianbao.digest.agency import build_agency_page

        db = archive().db
        site_id = _site_by_page(db, f"agencies/{name}.html")
        page = build_agency_page(db, site_id, today=current_today()) if site_id else None
        if page is None:
            abort(404)
        week = Week.containing(current_today()).label
        notice = request.args.get("notice", "")[:300] or None
        return render_agency(
            page,
            root="../",
            digest_link=f"../digest-{week}.html",
            live=True,
            notice=notice,
            csrf=token(),
            back=f"/agencies/{name}.html",
        )

    @app.get("/docs/<name>")
    def stored_copy(name: str) -> Response:
        stem, _, suffix = name.partition(".")
        if len(stem) != 16 or any(c not in "0123456789abcdef" for c in stem):
            abort(404)
        row = (
            archive()
            .db.execute(
                "SELECT sha256, name, url, content_type FROM documents WHERE sha256 LIKE ? || '%' ORDER BY id LIMIT 1",
                [stem],
            )
            .fetchone()
        )
        if row is None or extension(row[1], row[2], row[3]) != f".{suffix}":
            abort(404)
        data = archive().blobs.get(row[0])
        mime = COPY_TYPES.get(f".{suffix}", "application/octet-stream")
        charset = charset_of(row[3])
        if mime.startswith("text/"):
            mime += f"; charset={charset or _guess_charset(data)}"
        response = Response(data, content_type=mime)
        response.headers["Content-Security-Policy"] = COPY_CSP
        response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
        return response

    @app.get("/findings")
    def findings() -> str:
        return _findings_page(archive().db, request.args, current_today())

    @app.post("/review")
    def review() -> Response:
        form = request.form
        if not hmac.compare_digest(form.get("csrf", ""), token()):
            return _plain("拒绝请求：表单已过期或不是本站生成的，请刷新页面后重试", 403)
        back = form.get("back", "/")
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        verdict = form.get("verdict", "")
        if verdict not in ("confirmed", "dismissed"):
            return _plain("审核结论只能是确认或排除", 400)
        try:
            finding_id = int(form.get("finding", ""))
            done = add_review(
                archive().db,
                finding_id,
                verdict,  # type: ignore[arg-type]
                note=form.get("note", ""),
                reviewer=user(),
                now=archive().now(),
            )
        except ValueError:
            return _plain("问题编号无效", 400)
        except NianbaoError as exc:
            return redirect(f"{back}?notice={quote(str(exc))}", code=303)  # type: ignore[return-value]
        notice = f"问题 {finding_id} {done.verdict_name}（审核人 {done.reviewer}）"
        return redirect(f"{back}?notice={quote(notice)}#finding-{finding_id}", code=303)  # type: ignore[return-value]

    return app


def _allowed_hosts(host: str, port: int) -> set[str] | None:
    """The Host headers a request may carry; None when any is fine (serving on all addresses)."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = {host.lower(), f"[{host}]" if ":" in host else host.lower()}
    if is_loopback(host):
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return {n for name in names for n in (name, f"{name}:{port}")}


def _same_origin() -> bool:
    """A POST from this site's own page: the browser's word (Sec-Fetch-Site), else Origin or Referer."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    own = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == own
    return False


def _guess_charset(data: bytes) -> str:
    """UTF-8 when the bytes are UTF-8, else GB18030 (what Chinese portals use when they say nothing)."""
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 65530:
            return "gb18030"
    return "utf-8"


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _site_by_page(db: Any, page: str) -> str | None:
    for (site_id,) in db.execute("SELECT id FROM sites"):
        if page_of(site_id) == page:
            return str(site_id)
    return None


def _findings_page(db: Any, args: Any, today: date) -> str:
    """Findings filtered by region, level, code and state; one page of PAGE_SIZE, newest first."""
    from nianbao.digest.evidence import day
    from storage.reviews import LATEST_REVIEWS

    region, level, code, state = (args.get(k, "") for k in ("region", "level", "code", "state"))
    state = state if state in FILTER_STATES else "open"
    try:
        page = max(1, int(args.get("page", "1")))
    except ValueError:
        page = 1
    where, params = ["t.enabled = 1"], {}
    if region:
        where.append("t.region = :region")
        params["region"] = region
    if level in LEVEL_NAMES:
        where.append("t.level = :level")
        params["level"] = level
    if code:
        where.append("f.code = :code")
        params["code"] = code
    dismissed = "(lr.in_force AND lr.verdict = 'dismissed')"
    where.append(
        {
            "open": f"f.resolved_at IS NULL AND NOT coalesce({dismissed}, 0)",
            "dismissed": f"f.resolved_at IS NULL AND coalesce({dismissed}, 0)",
            "confirmed": "f.resolved_at IS NULL AND coalesce(lr.in_force AND lr.verdict = 'confirmed', 0)",
            "resolved": "f.resolved_at IS NOT NULL",
            "all": "1",
        }[state]
    )
    sql = f"""FROM findings f JOIN sites t ON t.id = f.site_id
              LEFT JOIN ({LATEST_REVIEWS}) lr ON lr.finding_id = f.id
              WHERE {" AND ".join(where)}"""
    params["cutoff"] = "9999-12-31"
    (total,) = db.execute(f"SELECT count(*) {sql}", params).fetchone()
    rows = db.execute(
        f"""SELECT f.id, f.site_id, t.agency, t.region, t.level, f.year, f.code, f.severity, f.message,
                   f.first_seen, f.resolved_at, lr.verdict, lr.in_force {sql}
            ORDER BY f.last_seen DESC, f.id DESC LIMIT :limit OFFSET :offset""",
        {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    ).fetchall()
    items = [
        {
            "id": r[0],
            "page": page_of(r[1]),
            "agency": r[2],
            "region": r[3],
            "level": LEVEL_NAMES.get(r[4], r[4]),
            "year": r[5],
            "code": r[6],
            "title": code_title(r[6]),
            "severity": r[7],
            "severity_name": SEVERITY_NAMES.get(r[7], r[7]),
            "message": r[8],
            "first_seen": day(r[9]),
            "resolved_at": day(r[10]),
            "review": (
                {"confirmed": "已确认", "dismissed": "已排除"}.get(r[11] or "", "")
                if r[12]
                else ("需重新审核" if r[11] else "")
            ),
        }
        for r in rows
    ]
    regions = [
        r[0] for r in db.execute("SELECT DISTINCT region FROM sites WHERE region IS NOT NULL ORDER BY 1")
    ]
    query = {"region": region, "level": level, "code": code, "state": state}
    pages = max(1, -(-int(total) // PAGE_SIZE))
    return "".join(
        render_chunks(
            "serve_findings.html",
            items=items,
            total=total,
            page=page,
            pages=pages,
            query=query,
            link=lambda n: (
                "/findings?" + "&".join(f"{k}={quote(v)}" for k, v in {**query, "page": str(n)}.items() if v)
            ),
            regions=regions,
            levels=LEVEL_NAMES,
            codes=sorted(CODES),
            states=FILTER_STATES,
            week=Week.containing(today).label,
            live=True,
        )
    )


def run(app: Flask, host: str, port: int, *, threads: int = 4) -> None:
    """Serve with waitress until interrupted."""
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="nianbao", _quiet=True)
