"""`nianbao crawl` and `nianbao recheck` as a user runs them, against mock portals on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

try:
    from mockportal import FIXTURES, MockPortal, loopback_binds, standard_hosts, standard_sites
    from mockportal.build import _jiyue_list, jiyue_detail
except ImportError:  # tests/ imported as a package
    from tests.mockportal import FIXTURES, MockPortal, loopback_binds, standard_hosts, standard_sites
    from tests.mockportal.build import _jiyue_list, jiyue_detail

ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_BACKOFF_BASE": 0.1,
    "LOG_LEVEL": "WARNING",
    "NIANBAO_PROGRESS_INTERVAL": 0.5,
}
WANTED = ("mock-jiyue", "mock-wall403")

pytestmark = pytest.mark.skipif(not loopback_binds("127.0.0.12"), reason="needs 127.0.0.0/8 on loopback")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockPortal, Path, Path]]:
    tmp = tmp_path_factory.mktemp("cli")
    tree = tmp / "portals"
    shutil.copytree(FIXTURES, tree)
    hosts = [h for h in standard_hosts(tree) if h["name"] in ("jiyue", "wall403")]
    with MockPortal(hosts) as running:
        sites = [s for s in standard_sites(running.urls) if s["id"] in WANTED]
        sites_file = tmp / "sites.yaml"
        sites_file.write_text(yaml.safe_dump({"sites": sites}, allow_unicode=True), encoding="utf-8")
        yield running, tree, tmp


def nianbao(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIANBAO_CRAWL_SETTINGS": json.dumps(FAST), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "nianbao", *args, "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )


def test_crawl_then_recheck_after_a_fix(portal: tuple[MockPortal, Path, Path]) -> None:
    _, tree, tmp = portal
    data = tmp / "data"
    done = nianbao("crawl", "--sites", str(tmp / "sites.yaml"), "--today", "2024-06-01", data=data)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "新增 2" in out and "开始抓取 2 个站点" in out
    assert "✓ 青山区人民政府（mock-jiyue） 正常" in out and "缺少 2021年度" in out
    assert "✗ 拒绝访问的站点（mock-wall403） 被拦截" in out and "CRAWL.BLOCKED" in out
    assert "共 2 个站点（正常 1，被拦截 1）" in out
    assert "未能完整抓取的站点不会被视为合规" in out
    assert "[抓取结束] 站点 2/2 完成" in done.stderr  # progress from the child, on the terminal

    # The agency publishes its missing 2021 report; the officer re-checks the site.
    column = tree / "jiyue/zfxxgk/zfxxgknb"
    index = (column / "index.html").read_text(encoding="utf-8")
    (column / "index.html").write_text(
        index.replace(
            '<a href="2022n/index.html">2022年</a>',
            '<a href="2022n/index.html">2022年</a><a href="2021n/index.html">2021年</a>',
        ),
        encoding="utf-8",
    )
    title = "青山区人民政府2021年政府信息公开工作年度报告"
    (column / "2021n").mkdir()
    (column / "2021n/1500000000000000001.html").write_text(
        jiyue_detail(title, "青山区人民政府", 2021, "qsq/2022-00001", "2022-03-15", "2022-03-15"),
        encoding="utf-8",
    )
    (column / "2021n/index.html").write_text(
        _jiyue_list(
            "2021年",
            "2021年",
            "",
            [f'<li><a href="1500000000000000001.html">{title}</a><span>2022-03-15</span></li>'],
        ),
        encoding="utf-8",
    )
    again = nianbao("recheck", "mock-jiyue", "--today", "2024-06-01", data=data)
    assert again.returncode == 0, again.stderr[-3000:]
    out = again.stdout
    resolved = out.split("本次已解决（1）：")[1]
    assert "PUB.MISSING" in resolved
    still = out.split("仍未解决（1）：")[1].split("本次已解决")[0]
    assert "PUB.NOT_MACHINE_READABLE" in still
    assert "新发现（0）" in out


def test_recheck_of_a_blocked_site_says_it_cannot_vouch(portal: tuple[MockPortal, Path, Path]) -> None:
    _, _, tmp = portal
    data = tmp / "data2"
    done = nianbao("crawl", "--sites", str(tmp / "sites.yaml"), "--site", "mock-wall403", data=data)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "开始抓取 1 个站点" in done.stdout
    again = nianbao("recheck", "mock-wall403", data=data)
    assert "仍未解决（1）" in again.stdout and "CRAWL.BLOCKED" in again.stdout
    assert "不能据此认定该站点没有问题" in again.stdout


def test_unknown_site_is_a_clear_error(tmp_path: Path) -> None:
    missing = nianbao("recheck", "no-such-site", data=tmp_path / "data")
    assert missing.returncode == 2 and "nianbao.db: 数据库不存在" in missing.stderr
    assert not (tmp_path / "data").exists()  # a mistyped --data creates nothing
    empty = nianbao("crawl", data=tmp_path / "data")
    assert empty.returncode == 2 and "没有可抓取的站点" in empty.stderr
    done = nianbao("recheck", "no-such-site", data=tmp_path / "data")
    assert done.returncode == 2
    assert "站点 no-such-site 未登记" in done.stderr


def test_help_has_examples() -> None:
    for command in ("crawl", "recheck"):
        done = subprocess.run(
            [sys.executable, "-m", "nianbao", command, "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0 and "Example" in done.stdout and "--today" in done.stdout


def test_all_years_reaches_the_crawl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import crawler.run
    import nianbao.crawling
    from nianbao.cli.crawl import crawl
    from nianbao.crawling import CrawlResult, crawl_command
    from storage.testing import add_site, open_archive

    data = tmp_path / "data"
    with open_archive(data) as archive:
        add_site(archive, "s1", "一号机关")
    seen: dict[str, object] = {}

    def fake(*args: object, **kwargs: object) -> CrawlResult:
        seen.update(kwargs)
        return CrawlResult(0, sites=[{"site_id": "s1", "agency": "一号机关", "status": "ok", "run_id": 1}])

    monkeypatch.setattr(nianbao.crawling, "run_crawl", fake)
    done = CliRunner().invoke(crawl, ["--all-years", "--data", str(data)])
    assert done.exit_code == 0, done.output
    assert seen["all_years"] is True
    assert "--all-years" in crawl_command(data, all_years=True) and "--all-years" not in crawl_command(data)
    settings: list[object] = []
    monkeypatch.setattr(crawler.run, "crawl", lambda s, ids=None: settings.append(s) or 0)
    assert crawler.run.main(["--data", str(data), "--all-years"]) == 0
    assert settings[0].getbool("NIANBAO_ALL_YEARS")  # type: ignore[attr-defined]
    help_text = CliRunner().invoke(crawl, ["--help"]).output
    assert "--all-years" in help_text and "所有年份" in help_text
