"""Mock government portals on loopback addresses, for the crawl tests, the crawl benchmark and the demo.

``MockPortal(hosts)`` starts ``server.py`` in a subprocess (each host on its
own 127.x address and a free port, so each is its own domain to the crawler),
reads back the base URLs, and exposes the request log the server keeps.
``serve`` switches a host to another tree (the demo's second week) and
``edit`` lets a test change a copy of a host's tree.
``standard_hosts`` / ``standard_sites`` describe the portal the tests crawl
(the ``mock_portal`` fixture of tests/conftest.py): one host per CMS family
plus the traps of portals.md §6.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support.paths import FIXTURES as ALL_FIXTURES

SERVER = Path(__file__).resolve().parent / "server.py"
FIXTURES = ALL_FIXTURES / "portals"


class MockPortal:
    def __init__(self, hosts: list[dict[str, Any]]) -> None:
        self.hosts = hosts
        self.urls: dict[str, str] = {}
        self.addresses: dict[str, str] = {}  # name -> http://IP:PORT (also for hosts addressed by name)
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._spec = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed in start, removed in stop)
            "w", suffix=".json", delete=False, encoding="utf-8"
        )

    def start(self, timeout: float = 30.0) -> dict[str, str]:
        json.dump({"hosts": self.hosts}, self._spec, ensure_ascii=False)
        self._spec.close()
        # stderr to a file, not a pipe: a pipe nobody reads could fill and stall the server.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), self._spec.name], stdout=subprocess.PIPE, stderr=self._stderr
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.strip() or self.process.poll() is not None:
                break
        if not line.strip():
            self._stderr.seek(0)
            err = self._stderr.read().decode("utf-8", "replace")
            self.stop()
            raise RuntimeError(f"mock portal server did not start: {err[-2000:]}")
        started = json.loads(line)
        self.urls, self.addresses = started["urls"], started["addresses"]
        return self.urls

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self._stderr.close()
        self.process = None
        Path(self._spec.name).unlink(missing_ok=True)

    def _control(self, what: str, **args: str) -> Any:
        base = next(iter(self.addresses.values()))
        query = f"?{urllib.parse.urlencode(args)}" if args else ""
        with urllib.request.urlopen(f"{base}/__mock__/{what}{query}", timeout=10) as answer:
            return json.loads(answer.read())

    def root(self, host: str) -> Path | None:
        """The tree ``host`` serves."""
        spec = next(h for h in self.hosts if h["name"] == host)
        return Path(spec["root"]) if spec.get("root") else None

    def serve(self, host: str, root: Path | None) -> None:
        """Serve ``root`` as ``host``'s tree from now on (None: no tree)."""
        self._control("root", host=host, path=str(root) if root else "")
        next(h for h in self.hosts if h["name"] == host)["root"] = str(root) if root else None

    @contextmanager
    def delayed(self, host: str, seconds: float) -> Iterator[None]:
        """``host`` answers ``seconds`` late for the duration; then as before."""
        spec = next(h for h in self.hosts if h["name"] == host)
        before = float(spec.get("delay", 0))
        self._control("delay", host=host, seconds=str(seconds))
        try:
            yield
        finally:
            self._control("delay", host=host, seconds=str(before))

    @contextmanager
    def edit(self, host: str, into: Path) -> Iterator[Path]:
        """Serve a copy of ``host``'s tree, made in ``into``, that the caller may change; then the original."""
        original = self.root(host)
        assert original is not None, f"{host} serves no tree"
        shutil.copytree(original, into)
        self.serve(host, into)
        try:
            yield into
        finally:
            self.serve(host, original)

    def log(self) -> list[dict[str, Any]]:
        """Every request served since start (or the last reset), in order."""
        return list(self._control("log"))

    def reset(self) -> None:
        self._control("reset")

    def hosts_table(self) -> dict[str, str]:
        """Host names to addresses, for ``NIANBAO_HOSTS`` (the crawl resolves them without DNS)."""
        table = {}
        for host in self.hosts:
            for name in [host.get("hostname"), *host.get("aliases", [])]:
                if name:
                    table[name] = host["ip"]
        return table

    def port(self, name: str) -> int:
        return int(self.addresses[name].rsplit(":", 1)[1])

    def __enter__(self) -> MockPortal:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def loopback_binds(ip: str) -> bool:
    """Whether this machine can bind ``ip`` (Linux routes all of 127.0.0.0/8 to lo)."""
    try:
        with socket.socket() as s:
            s.bind((ip, 0))
        return True
    except OSError:
        return False


def closed_port(ip: str) -> int:
    """A port on ``ip`` that nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def standard_hosts(root: Path = FIXTURES, slow_delay: float = 4.0) -> list[dict[str, Any]]:
    """The four CMS families and the traps, each on its own loopback address."""
    traps = root / "traps"
    return [
        {
            "name": "trs",
            "ip": "127.0.0.2",
            "root": str(root / "trs"),
            "conditional": True,
            "routes": {"/zwgk/nianbao/": {"status": 301, "location": "/zfxxgk/zfxxgknb/index.shtml"}},
        },
        {"name": "hanweb", "ip": "127.0.0.3", "root": str(root / "hanweb"), "conditional": True},
        {"name": "gkmlpt", "ip": "127.0.0.4", "root": str(root / "gkmlpt"), "conditional": True},
        # No validators here: a re-crawl falls back on comparing hashes.
        {"name": "jiyue", "ip": "127.0.0.5", "root": str(root / "jiyue"), "conditional": False},
        {
            "name": "ruishu",
            "ip": "127.0.0.6",
            "routes": {"*": {"status": 412, "body_file": str(traps / "ruishu412.html")}},
        },
        {
            "name": "jsl",
            "ip": "127.0.0.7",
            "routes": {"*": {"status": 521, "body_file": str(traps / "jsl521.html")}},
        },
        {"name": "robots", "ip": "127.0.0.8", "root": str(traps / "robots")},
        {"name": "slow", "ip": "127.0.0.9", "root": str(root / "trs"), "delay": slow_delay},
        {
            "name": "soft404",
            "ip": "127.0.0.10",
            "routes": {"*": {"status": 200, "body_file": str(traps / "soft404.html")}},
        },
        {"name": "mirror", "ip": "127.0.0.11", "root": str(root / "mirror")},
        {
            "name": "wall403",
            "ip": "127.0.0.12",
            "routes": {"*": {"status": 403, "body_file": str(traps / "wall403.html")}},
        },
        {"name": "news", "ip": "127.0.0.14", "root": str(traps / "news")},
    ]


def standard_sites(urls: dict[str, str]) -> list[dict[str, Any]]:
    """The sites registry (YAML entries) for the standard portal: those whose host is in ``urls``."""
    unreachable = f"http://127.0.0.13:{closed_port('127.0.0.13')}"
    entries: list[tuple[str, str, str, str, dict[str, Any]]] = [
        # (id, agency, host, start path, extra fields)
        ("mock-trs", "青山市人民政府办公室", "trs", "/zwgk/nianbao/", {}),
        ("mock-hanweb", "青山市住房和城乡建设局", "hanweb", "/col/col1229000001/index.html", {}),
        ("mock-gkmlpt", "青山市发展和改革局", "gkmlpt", "/gkmlpt/index#5", {}),
        (
            "mock-jiyue",
            "青山区人民政府",
            "jiyue",
            "/zfxxgk/zfxxgknb/index.html",
            {"level": "government", "first_year": 2021},
        ),
        ("mock-ruishu", "瑞数防护站点", "ruishu", "/zfxxgk/zfxxgknb/", {}),
        ("mock-jsl", "加速乐防护站点", "jsl", "/zfxxgk/zfxxgknb/", {}),
        ("mock-robots", "青山市审计局", "robots", "/zfxxgk/zfxxgknb/index.html", {}),
        (
            "mock-robots-optout",
            "青山市审计局（允许抓取）",
            "robots",
            "/zfxxgk/zfxxgknb/index.html",
            {"obey_robots": False, "first_year": 2023},
        ),
        ("mock-slow", "响应缓慢的站点", "slow", "/zfxxgk/zfxxgknb/index.shtml", {}),
        ("mock-soft404", "栏目已删除的站点", "soft404", "/zfxxgk/zfxxgknb/", {}),
        ("mock-wall403", "拒绝访问的站点", "wall403", "/zfxxgk/zfxxgknb/", {}),
        ("mock-news", "没有年报栏目的站点", "news", "/xwzx/index.html", {}),
    ]
    sites = [
        {"id": site_id, "agency": agency, "level": "department", "start_urls": [urls[host] + path], **extra}
        for site_id, agency, host, path, extra in entries
        if host in urls
    ]
    sites.append(
        {
            "id": "mock-unreachable",
            "agency": "无法连接的站点",
            "level": "department",
            "start_urls": [f"{unreachable}/zfxxgk/zfxxgknb/"],
        }
    )
    return sites


def write_sites(path: Path, urls: dict[str, str], wanted: tuple[str, ...] | None = None) -> Path:
    """A sites file (YAML) with the standard sites served at ``urls``: all, or the ``wanted`` ids."""
    import yaml

    sites = [s for s in standard_sites(urls) if wanted is None or s["id"] in wanted]
    path.write_text(yaml.safe_dump({"sites": sites}, allow_unicode=True), encoding="utf-8")
    return path


def expected() -> dict[str, Any]:
    """What each standard site must yield (written by build.py)."""
    return dict(json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8")))
