"""Deliver the digest by e-mail over SMTP; settings come from the ``[mail]`` table of a TOML file.

    [mail]
    host = "smtp.example.gov.cn"
    port = 587
    security = "starttls"          # none | starttls | ssl
    username = "nianbao"
    password_env = "NIANBAO_SMTP_PASSWORD"   # the password is read from this variable, never the file
    sender = "nianbao@example.gov.cn"
    to = ["督查科 <duchake@example.gov.cn>"]
    attach = ["xlsx"]              # which exports to attach, if written

The message is the digest page itself (HTML) with a plain-text summary for
mail readers that show no HTML.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from monitor.errors import NianbaoError
from nianbao.digest.model import Digest
from nianbao.tomlconfig import model_problems, read_toml

SECURITY = ("none", "starttls", "ssl")
MIME_TYPES = {
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("text", "csv"),
}


class MailConfigError(NianbaoError):
    """The [mail] settings are missing or wrong; the message names the file and the key."""


class MailError(NianbaoError):
    """The SMTP server refused or could not be reached."""


@dataclass
class MailSettings:
    host: str
    sender: str
    to: list[str]
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    attach: list[str] = field(default_factory=lambda: ["xlsx"])

    @classmethod
    def from_mapping(cls, table: dict[str, Any], source: str = "配置文件") -> MailSettings:
        def fail(problem: str) -> MailConfigError:
            return MailConfigError(f"{source}：[mail] {problem}")

        for key in ("host", "sender", "to"):
            if not table.get(key):
                raise fail(f"缺少 {key}")
        to = table["to"]
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not all(isinstance(a, str) and "@" in a for a in to):
            raise fail("to 应为收件地址列表")
        security = str(table.get("security", "none")).lower()
        if security not in SECURITY:
            raise fail(f"security 应为 {'、'.join(SECURITY)} 之一")
        password = table.get("password")
        if table.get("password_env"):
            password = os.environ.get(str(table["password_env"]))
            if password is None:
                raise fail(f"环境变量 {table['password_env']} 未设置（password_env）")
        attach = [str(a).lower() for a in table.get("attach", ["xlsx"])]
        if unknown := [a for a in attach if a not in MIME_TYPES]:
            raise fail(f"attach 只能包含 xlsx、csv（而不是 {'、'.join(unknown)}）")
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
        return cls(
            host=str(table["host"]),
            sender=str(table["sender"]),
            to=list(to),
            port=int(table.get("port", default_port)),
            security=security,
            username=table.get("username"),
            password=password,
            timeout=float(table.get("timeout", 30)),
            attach=attach,
        )


class _MailTable(BaseModel):
    """The [mail] table as written: unknown keys and wrongly typed values are refused, every one named."""

    model_config = ConfigDict(extra="forbid", strict=True)
    host: str
    sender: str
    to: str | list[str]
    port: int | None = None
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    attach: list[Literal["xlsx", "csv"]] = ["xlsx"]


def mail_problems(table: Any, environ: Mapping[str, str] | None = None) -> list[str]:
    """Everything wrong with a [mail] table (Chinese, one line each, naming the key); [] when it is right."""
    if not isinstance(table, dict):
        return ["[mail] 应为表"]
    problems = []
    environ = os.environ if environ is None else environ
    variable = table.get("password_env")
    if isinstance(variable, str) and variable not in environ:
        problems.append(f"[mail] password_env：环境变量 {variable} 未设置（发送周报时要从中读取密码）")
    try:
        parsed = _MailTable.model_validate(table)
    except ValidationError as exc:
        return model_problems(exc, "mail", _MailTable) + problems
    to = [parsed.to] if isinstance(parsed.to, str) else parsed.to
    if not to or not all("@" in address for address in to):
        problems.append(
            f'[mail] to = {parsed.to!r}：应为收件地址（或地址列表），如 ["督查科 <dck@example.gov.cn>"]'
        )
    if "@" not in parsed.sender:
        problems.append(f"[mail] sender = {parsed.sender!r}：应为发件地址")
    return problems


def load_mail_settings(path: str | Path) -> MailSettings | None:
    """The [mail] settings of a TOML file, or None when it has no [mail] table; every problem at once."""
    data = read_toml(Path(path), MailConfigError)
    table = data.get("mail")
    if table is None:
        return None
    problems = mail_problems(table)
    if len(problems) == 1:
        raise MailConfigError(f"{path}：{problems[0]}")
    if problems:
        raise MailConfigError(
            f"{path}：发现 {len(problems)} 处问题：\n" + "\n".join(f"  {p}" for p in problems)
        )
    return MailSettings.from_mapping(table, str(path))


def text_summary(digest: Digest) -> str:
    h = digest.headline
    p = digest.period
    lines = [
        f"政府信息公开年报监测周报 {digest.week_label}（{p.week.monday} 至 {p.week.sunday}，数据截至 {p.today}）",
        "",
        f"监测机关 {h.monitored} 个：检查成功 {h.checked}，未能检查 {h.not_checked}。",
        f"已找到年报 {h.reports} 份；未发布 {h.missing}，逾期 {h.late}；未解决错误 {h.open_errors}，警告 {h.open_warnings}"
        + (f"；已排除误报 {h.dismissed}" if h.dismissed else "")
        + "。",
        "",
    ]
    to_call = digest.to_call
    if to_call:
        lines.append(f"需要联系的机关（{len(to_call)} 个，按轻重排列）：")
        for row in to_call[:50]:
            contact = "，".join(x for x in (row.contact, row.phone) if x)
            lines.append(
                f"- {row.agency}：{row.status_text}；错误 {row.errors}，警告 {row.warnings}"
                + (f"（{contact}）" if contact else "")
            )
        if len(to_call) > 50:
            lines.append(f"- ……另有 {len(to_call) - 50} 个，见周报网页")
    if digest.problems:
        lines += ["", "未能生成的部分："] + [f"- {line}" for line in digest.problems]
    lines += ["", "详细内容见本邮件的网页版正文或附件。"]
    return "\n".join(lines)


def build_message(
    digest: Digest,
    html: str,
    settings: MailSettings,
    attachments: list[Path] = (),  # type: ignore[assignment]
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = (
        f"年报监测周报 {digest.week_label}：未解决错误 {digest.headline.open_errors}，"
        f"未能检查 {digest.headline.not_checked}"
    )
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text_summary(digest))
    message.add_alternative(html, subtype="html")
    for path in attachments:
        kind = path.suffix.lstrip(".").lower()
        if kind not in settings.attach:
            continue
        maintype, subtype = MIME_TYPES[kind]
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


def send(message: EmailMessage, settings: MailSettings) -> None:
    """Send over SMTP (plain, STARTTLS or implicit TLS, with login if a username is set)."""
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"无法通过 {settings.host}:{settings.port} 发送周报（{exc}）") from exc
