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
from click.testing import CliRunner
from fixtures.digest.world import WEEK, build_world

from nianbao.cli import cli
from nianbao.digest.mail import MailConfigError, MailError, MailSettings, load_mail_settings


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
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
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("mail") / "data"
    build_world(data).close()
    return data


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
    smtp: tuple[Inbox, int], world: Path, tmp_path: Path
) -> None:
    inbox, port = smtp
    result = CliRunner().invoke(
        cli,
        [
            "digest",
            "--data",
            str(world),
            "--week",
            WEEK,
            "--out",
            str(tmp_path / "out"),
            "--xlsx",
            "--mail",
            "--config",
            str(config(tmp_path, port)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "已发送至" in result.output
    ((sender, recipients, message),) = inbox.messages
    assert sender == "nianbao@example.gov.cn"
    assert recipients == ["duchake@example.gov.cn", "lead@example.gov.cn"]
    assert "年报监测周报 2024-W07" in message["Subject"] and "未解决错误 7" in message["Subject"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert (
        "监测机关 9 个：检查成功 6，未能检查 3。" in plain
        and "示例县交通运输局：未能检查：网站无法访问" in plain
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one('[data-figure="open_errors"] .value').get_text() == "7"
    assert page.find("script") is None
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert list(attachments) == ["digest-2024-W07.xlsx"]  # --csv was not asked for
    assert attachments["digest-2024-W07.xlsx"][:2] == b"PK"


def test_unreachable_server_is_a_clear_error(world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "digest",
            "--data",
            str(world),
            "--week",
            WEEK,
            "--out",
            str(tmp_path),
            "--mail",
            "--config",
            str(config(tmp_path, free_port())),
        ],
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
