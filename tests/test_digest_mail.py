"""E-mail delivery, against a local SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup

from nianbao.digest.mail import MailConfigError, MailError, MailSettings, load_mail_settings
from tests.support.cli import Cli
from tests.support.digest_world import WEEK
from tests.support.html import one


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def world(digest_world: Path) -> Path:
    return digest_world


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


def config(tmp_path: Path, port: int, **extra: str) -> Path:
    lines = [
        "[mail]",
        'host = "127.0.0.1"',
        f"port = {port}",
        'sender = "nianbao@example.gov.cn"',
        'to = ["督查科 <duchake@example.gov.cn>", "lead@example.gov.cn"]',
        'attach = ["xlsx", "csv"]',
    ]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path = tmp_path / "nianbao.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_digest_is_mailed_with_html_text_and_attachments(
    smtp: tuple[Inbox, int], world: Path, tmp_path: Path, cli: Cli
) -> None:
    inbox, port = smtp
    result = cli(
        "digest",
        "--data",
        world,
        "--week",
        WEEK,
        "--out",
        tmp_path / "out",
        "--xlsx",
        "--mail",
        "--config",
        config(tmp_path, port),
    )
    assert result.exit_code == 0, result.output
    assert "已发送至" in result.output
    ((sender, recipients, message),) = inbox.messages
    assert sender == "nianbao@example.gov.cn"
    assert recipients == ["duchake@example.gov.cn", "lead@example.gov.cn"]
    assert "年报监测周报 2024-W07" in message["Subject"] and "未解决错误 7" in message["Subject"]
    plain = body(message, "plain")
    assert (
        "监测机关 9 个：检查成功 6，未能检查 3。" in plain
        and "示例县交通运输局：未能检查：网站无法访问" in plain
    )
    html = body(message, "html")
    page = BeautifulSoup(html, "html.parser")
    assert one(page, '[data-figure="open_errors"] .value').get_text() == "7"
    assert page.find("script") is None
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert list(attachments) == ["digest-2024-W07.xlsx"]  # --csv was not asked for
    assert attachments["digest-2024-W07.xlsx"][:2] == b"PK"


def test_unreachable_server_is_a_clear_error(world: Path, tmp_path: Path, cli: Cli) -> None:
    result = cli(
        "digest",
        "--data",
        world,
        "--week",
        WEEK,
        "--out",
        tmp_path,
        "--mail",
        "--config",
        config(tmp_path, free_port()),
    )
    assert result.exit_code == 2
    assert "无法通过 127.0.0.1" in result.output and "发送周报" in result.output
    assert (tmp_path / "digest-2024-W07.html").exists()  # written before the delivery failed


def test_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PW", "s3cret")
    settings = load_mail_settings(
        config(tmp_path, 2525, security='"starttls"', username='"u"', password_env='"SMTP_PW"')
    )
    assert settings is not None
    assert (settings.port, settings.security, settings.password) == (2525, "starttls", "s3cret")
    assert "s3cret" not in repr(settings)
    assert (
        MailSettings.from_mapping({"host": "h", "sender": "a@b", "to": "c@d", "security": "ssl"}).port == 465
    )
    for table, problem in [
        ({"sender": "a@b", "to": ["c@d"]}, "缺少 host"),
        ({"host": "h", "sender": "a@b", "to": ["不是地址"]}, "收件地址"),
        ({"host": "h", "sender": "a@b", "to": ["c@d"], "security": "tls"}, "security"),
        ({"host": "h", "sender": "a@b", "to": ["c@d"], "password_env": "NOPE_UNSET"}, "NOPE_UNSET"),
        ({"host": "h", "sender": "a@b", "to": ["c@d"], "attach": ["pdf"]}, "attach"),
    ]:
        with pytest.raises(MailConfigError, match=problem):
            MailSettings.from_mapping(table, "x.toml")
    (tmp_path / "empty.toml").write_text("[schedule]\n", encoding="utf-8")
    assert load_mail_settings(tmp_path / "empty.toml") is None
    (tmp_path / "bad.toml").write_text("[mail\n", encoding="utf-8")
    with pytest.raises(MailConfigError, match="不是有效的 TOML"):
        load_mail_settings(tmp_path / "bad.toml")
    assert issubclass(MailError, Exception)
