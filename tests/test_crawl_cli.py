"""`nianbao crawl` and `nianbao recheck` as a user runs them, against mock portals on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mockportal import MockPortal, write_sites
from tests.support.mockportal.build import _jiyue_list, jiyue_detail
from tests.support.paths import ROOT
from tests.support.processes import nianbao as run_nianbao

WANTED = ("mock-jiyue", "mock-wall403")


@pytest.fixture
def sites(mock_portal: MockPortal, tmp_path: Path) -> Path:
    return write_sites(tmp_path / "sites.yaml", mock_portal.urls, WANTED)


def nianbao(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return run_nianbao(*args, "--data", str(data))


@pytest.fixture
def jiyue(mock_portal: MockPortal, tmp_path: Path) -> Iterator[Path]:
    """A copy of the 集约化 host's tree, served during the test, which may change it."""
    with mock_portal.edit("jiyue", tmp_path / "jiyue") as tree:
        yield tree


@pytest.mark.e2e
def test_crawl_then_recheck_after_a_fix(sites: Path, jiyue: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = nianbao("crawl", "--sites", str(sites), "--today", "2024-06-01", data=data)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "新增 2" in out and "开始抓取 2 个站点" in out
    assert "✓ 青山区人民政府（mock-jiyue） 正常" in out and "缺少 2021年度" in out
    assert "✗ 拒绝访问的站点（mock-wall403） 被拦截" in out and "CRAWL.BLOCKED" in out
    assert "共 2 个站点（正常 1，被拦截 1）" in out
    assert "未能完整抓取的站点不会被视为合规" in out
    assert "[抓取结束] 站点 2/2 完成" in done.stderr  # progress from the child, on the terminal

    # The agency publishes its missing 2021 report; the officer re-checks the site.
    column = jiyue / "zfxxgk/zfxxgknb"
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


@pytest.mark.e2e
def test_recheck_of_a_blocked_site_says_it_cannot_vouch(sites: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = nianbao("crawl", "--sites", str(sites), "--site", "mock-wall403", data=data)

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
