"""Recognise, from a page itself, which CMS built it and whether it is a real page at all.

``detect_family`` keys on the fingerprints in portals.md §1 and §3 (the
configuration never says which family a site is). ``classify_failure``
turns a response that is not a usable page into a crawl-health verdict:
anti-bot challenges (瑞数 412 with ``$_ts``, 加速乐 521 with a cookie script,
403 walls) are reported, never worked around; soft 404s are pages that say
they are missing while answering 200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Family = Literal["gkmlpt", "epoint", "hanweb", "trs", "jiyue", "generic"]

_GKMLPT = re.compile(r"""\bSID\s*[:=]\s*['"]""")
_HANWEB = re.compile(
    r"(<datastore>|dataproxy\.jsp|jpageform_|/module/jslib/|/jcms_files/jcms|大汉版通|大汉网络|unitbuild\.js|"
    r"jpaas-publish-server)"
)
_TRS = re.compile(
    r"(createPageHTML|pageControl\s*\(|var\s+countPage|TRS_Editor|TRS_UEDITOR|/wcm/app/js|0;URL=/wcm|"
    r"list2\.trsapi|listModel\s*\()"
)
# Anhui's disclosure platform: columns /public/column/{organId}, lists from the label service.
_EPOINT_URL = re.compile(r"/public/column/\d+")
_EPOINT = re.compile(r"(/site/label/8888|labelName['\"]?\s*[:=]\s*['\"]?publicInfoList)")
_JIYUE = re.compile(
    r"""(name=["']?(SiteIDCode|ColumnName|ColumnType)["']?|ucap|开普云|/columns/[0-9a-f]{8}-|/\d{19}\.html)""",
    re.I,
)


def detect_family(url: str, text: str) -> Family:
    """The CMS family of a list page, from its content (and, for gkmlpt, the URL's shape)."""
    head = text[:400_000]
    if _GKMLPT.search(head) and ("gkmlpt" in url or "gkmlpt" in head):
        return "gkmlpt"
    if _EPOINT_URL.search(url) or _EPOINT.search(head):
        return "epoint"
    if _HANWEB.search(head):
        return "hanweb"
    if _TRS.search(head):
        return "trs"
    if _JIYUE.search(head):
        return "jiyue"
    return "generic"


# ---- crawl health ---------------------------------------------------------------------------

RESTRICTED_STATUSES = frozenset({401, 403, 407, 412, 423, 429, 451, 521})
_RUISHU = re.compile(rb"\$_ts\s*=|\$_ts\.|\$_ts\[")
_JIASULE = re.compile(rb"(__jsl_clearance|document\.cookie\s*=)")
_WAF = re.compile(
    "(滑动验证|安全验证|访问验证|人机验证|NWAF|WAF|拦截|访问被拒绝|禁止访问|Access Denied|Forbidden)".encode(),
    re.I,
)
_SOFT404 = re.compile(
    "(找不到|页面不存在|不存在或已删除|已被删除|(?<![0-9])404(?![0-9])|Not Found)".encode(), re.I
)
_TAGS = re.compile(rb"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_WS = re.compile(rb"\s+")


@dataclass
class Verdict:
    """Why a response is not a usable page; ``code`` is the CRAWL.* finding it gives."""

    code: str  # CRAWL.BLOCKED | CRAWL.UNREACHABLE | not_found
    kind: str  # ruishu | jiasule | waf | restricted | soft404 | http404 | http5xx | ...
    message: str  # Chinese, for the supervisor
    evidence: dict[str, Any] = field(default_factory=dict)


def visible_text_length(body: bytes) -> int:
    """Characters of visible text (tags, scripts and whitespace removed), decoded loosely."""
    stripped = _WS.sub(b"", _TAGS.sub(b" ", body))
    for encoding in ("utf-8", "gb18030"):
        try:
            return len(stripped.decode(encoding))
        except UnicodeDecodeError:
            continue
    return len(stripped)


def _snippet(body: bytes, pattern: re.Pattern[bytes]) -> str:
    m = pattern.search(body)
    if not m:
        return ""
    start = max(0, m.start() - 20)
    return body[start : m.end() + 40].decode("utf-8", "replace").replace("\n", " ")


def classify_failure(status: int, body: bytes, url: str) -> Verdict | None:
    """A verdict when ``status``/``body`` is a challenge, a refusal, an error or a soft 404; else None."""
    evidence: dict[str, Any] = {"url": url, "status": status}
    # 瑞数: a 412 (or a 200 shell with no text) carrying the $_ts script.
    if _RUISHU.search(body) and (status == 412 or visible_text_length(body) < 200):
        evidence["quote"] = _snippet(body, _RUISHU)
        return Verdict(
            "CRAWL.BLOCKED",
            "ruishu",
            f"站点以瑞数反爬挑战（HTTP {status}，$_ts 脚本）拒绝自动访问，未尝试绕过",
            evidence,
        )
    if status in (521, 512) and _JIASULE.search(body):
        evidence["quote"] = _snippet(body, _JIASULE)
        return Verdict(
            "CRAWL.BLOCKED",
            "jiasule",
            f"站点以加速乐 Cookie 脚本挑战（HTTP {status}）拒绝自动访问，未尝试绕过",
            evidence,
        )
    if status in RESTRICTED_STATUSES:
        if _WAF.search(body):
            evidence["quote"] = _snippet(body, _WAF)
        return Verdict("CRAWL.BLOCKED", "restricted", f"站点拒绝访问（HTTP {status}）", evidence)
    if status in (404, 410):
        return Verdict("not_found", "http404", f"页面不存在（HTTP {status}）", evidence)
    if status >= 500:
        return Verdict(
            "CRAWL.UNREACHABLE", "http5xx", f"站点服务器错误（HTTP {status}），重试后仍失败", evidence
        )
    if status >= 400:
        return Verdict("CRAWL.UNREACHABLE", "http4xx", f"页面请求失败（HTTP {status}）", evidence)
    if 200 <= status < 300:
        if len(body) < 2048 and _SOFT404.search(body):
            evidence["quote"] = _snippet(body, _SOFT404)
            return Verdict("not_found", "soft404", "页面返回 200 但内容为“页面不存在”（软 404）", evidence)
        if len(body) < 20_000 and _WAF.search(body) and visible_text_length(body) < 200:
            evidence["quote"] = _snippet(body, _WAF)
            return Verdict("CRAWL.BLOCKED", "waf", "站点返回人机验证或拦截页面，未尝试绕过", evidence)
    return None
