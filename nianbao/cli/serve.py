"""`nianbao serve`: the digest, agency pages, stored copies and review, live from the archive."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure
from nianbao.cli.options import data_option


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。非本机回环地址时必须登录。")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="监听端口。")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="NIANBAO_CONFIG",
    help="配置文件（TOML），其中 [serve.users] 为登录用户及其密码哈希。",
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="处理请求的线程数。"
)
@click.option(
    "--hash-password", is_flag=True, help="输入密码，输出可写入 [serve.users] 的密码哈希，然后退出。"
)
def serve(
    data_dir: str, host: str, port: int, config_file: str | None, threads: int, hash_password: bool
) -> None:
    """在浏览器中查看周报、机关页、存档副本，筛选和审核问题。

    默认只在本机（127.0.0.1）提供服务，无需登录。在其他地址（如 0.0.0.0）提供服务时，
    每个请求都须用配置文件 [serve.users] 中的用户名和密码登录；审核操作只接受本站页面提交的请求。

    \b
    配置文件示例：
      [serve.users]
      zhangsan = "scrypt:32768:8:1$..."   # 由 nianbao serve --hash-password 生成

    \b
    示例：
      nianbao serve
      nianbao serve --data /srv/nianbao --port 8000
      nianbao serve --host 0.0.0.0 --config nianbao.toml
      nianbao serve --hash-password
    """
    if hash_password:
        from werkzeug.security import generate_password_hash

        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
        if len(password) < 8:
            raise Failure("密码至少 8 位")
        click.echo(generate_password_hash(password))
        return
    from nianbao.serve.app import create_app, run
    from nianbao.serve.config import is_loopback, load_serve_settings

    if not (Path(data_dir) / "nianbao.db").is_file():
        raise Failure(
            f"{Path(data_dir) / 'nianbao.db'}: 数据库不存在，请先运行 nianbao crawl 或 nianbao ingest"
        )
    try:
        settings = load_serve_settings(config_file)
        app = create_app(data_dir, host=host, port=port, settings=settings)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc
    shown = f"[{host}]" if ":" in host else host
    login = "（仅本机可访问）" if is_loopback(host) else f"（需要登录，{len(settings.users)} 个用户）"
    click.echo(f"正在 http://{shown}:{port}/ 提供服务{login}，按 Ctrl+C 停止", err=True)
    try:
        run(app, host, port, threads=threads)
    except OSError as exc:
        raise Failure(f"无法在 {host}:{port} 上监听（{exc.strerror or exc}）") from exc


def register(group: click.Group) -> None:
    group.add_command(serve)
