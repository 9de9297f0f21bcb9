"""The ``[serve]`` table of the config file: who may log in when serving beyond this machine.

    [serve.users]
    zhangsan = "scrypt:32768:8:1$…"    # nianbao serve --hash-password prints this

Only password hashes are kept (werkzeug's salted scrypt), never passwords.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import NianbaoError

HASH_METHODS = ("scrypt:", "pbkdf2:")


class ServeConfigError(NianbaoError):
    """The [serve] settings are missing or wrong; the message names the file and the key."""


@dataclass
class ServeSettings:
    users: dict[str, str] = field(default_factory=dict)  # name -> password hash


def load_serve_settings(path: str | Path | None) -> ServeSettings:
    if path is None:
        return ServeSettings()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ServeConfigError(f"{path}：无法读取配置文件（{exc.strerror}）") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ServeConfigError(f"{path}：不是有效的 TOML（{exc}）") from exc
    table = data.get("serve", {})
    users = table.get("users", {}) if isinstance(table, dict) else {}
    if not isinstance(users, dict):
        raise ServeConfigError(f"{path}：[serve.users] 应为“用户名 = 密码哈希”的表")
    for name, value in users.items():
        if not isinstance(value, str) or not value.startswith(HASH_METHODS):
            raise ServeConfigError(
                f"{path}：[serve.users] 中 {name} 的值不是密码哈希（请用 nianbao serve --hash-password 生成）"
            )
    return ServeSettings(users={str(k): str(v) for k, v in users.items()})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can reach the server."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
