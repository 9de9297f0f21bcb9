"""`nianbao crawl` and `nianbao recheck` as a user runs them, against mock portals on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.mockportal import MockPortal, standard_sites
from tests.support.mockportal.build import _jiyue_list, jiyue_detail
from tests.support.paths import ROOT
from tests.support.processes import crawl_env
from tests.support.processes import nianbao as run_nianbao

WANTED = ("mock-jiyue", "mock-wall403")


@pytest.fixture
def sites(mock_portal: MockPortal, tmp_path: Path) -> Path:
    """The sites file of the 集约化 site and the walled one."""
    # From 2021 on: without a first year only the latest year past its deadline would be expected.
    entries = [{**s, "first_year": 2021} for s in standard_sites(mock_portal.urls) if s["id"] in WANTED]
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def jiyue(mock_portal: MockPortal, tmp_path: Path) -> Iterator[Path]:
    """A copy of the 集约化 host's tree, served during the test, which may change it."""
    with mock_portal.edit("jiyue", tmp_path / "jiyue") as tree:
        yield tree


def nianbao(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return run_nianbao(*args, "--data", str(data))


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
    # Not a terminal: no progress line, and nothing of Scrapy's log; the log is in its file.
    assert "scrapy" not in done.stderr.lower() and "INFO" not in done.stderr, done.stderr[-2000:]
    (log,) = (data / "logs").glob("crawl-*.log")
    assert "Spider opened" in log.read_text(encoding="utf-8") and "[抓取结束] 站点 2/2 完成" in log.read_text(
        encoding="utf-8"
    )

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
        assert done.returncode == 0 and "示例" in done.stdout and "--today" in done.stdout


def _on_a_terminal(*args: str, data: Path) -> tuple[int, str]:
    """Run nianbao with its output on a pseudo-terminal, as a user sees it; returns (status, everything shown)."""
    import pty
    import select

    env = crawl_env(COLUMNS="160")
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao", *args, "--data", str(data)],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=ROOT,
    )
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 240)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.e2e
def test_on_a_terminal_a_crawl_shows_one_progress_line_and_the_result(sites: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    nianbao("sites", "import", str(sites), data=data)
    status, shown = _on_a_terminal("crawl", "--site", "青山区人民政府", "--today", "2024-06-01", data=data)
    assert status == 0, shown[-3000:]
    assert "开始抓取 1 个站点" in shown and "抓取" in shown and "1/1" in shown and "预计剩余" in shown
    assert "✓ 青山区人民政府（mock-jiyue） 正常" in shown
    for scrapy_words in ("Spider opened", "[scrapy", "INFO", "Crawled", "Telnet"):
        assert scrapy_words not in shown, shown[-3000:]
    status, quiet = _on_a_terminal("recheck", "青山区", "--quiet", "--today", "2024-06-01", data=data)
    assert status == 0, quiet[-3000:]
    assert "重新抓取" not in quiet and "1/1" not in quiet  # no progress, no preamble: the result only
    assert "✓ 青山区人民政府（mock-jiyue） 正常" in quiet and "仍未解决" in quiet
    status, verbose = _on_a_terminal("recheck", "mock-jiyue", "--verbose", "--today", "2024-06-01", data=data)
    assert status == 0 and "Spider opened" in verbose  # the log, when asked for


@pytest.mark.e2e
def test_a_site_with_corrupt_stored_data_does_not_stop_the_others(sites: Path, tmp_path: Path) -> None:
    import sqlite3

    data = tmp_path / "data"
    assert nianbao("sites", "import", str(sites), data=data).returncode == 0
    # As an older version let it in, or a hand edit in the sqlite3 shell.
    with sqlite3.connect(data / "nianbao.db") as db:
        db.execute("UPDATE sites SET deadline = '02-30' WHERE id = 'mock-wall403'")
    done = nianbao("crawl", "--today", "2024-06-01", data=data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✓ 青山区人民政府（mock-jiyue） 正常" in done.stdout
    assert "✗ 拒绝访问的站点（mock-wall403） 抓取出错 · 原因：站点数据有误：截止日期 '02-30'" in done.stdout
    assert "1 个站点抓取出错（原因见上），其余站点已照常检查" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    listed = nianbao("sites", "list", data=data)
    assert "数据有误：截止日期 '02-30'" in listed.stdout
    digest = nianbao("digest", "--today", "2024-06-03", "--out", str(tmp_path / "digest"), data=data)
    assert digest.returncode == 0, digest.stderr
    assert list((tmp_path / "digest").glob("digest-*.html"))


def test_all_years_reaches_the_crawl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import crawler.run
    import nianbao.crawling
    from nianbao.cli.crawl import crawl
    from nianbao.crawling import CrawlResult, crawl_command
    from tests.support.archive import add_site, open_archive

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

    def record(s: object, ids: object = None) -> int:
        settings.append(s)
        return 0

    monkeypatch.setattr(crawler.run, "crawl", record)
    assert crawler.run.main(["--data", str(data), "--all-years"]) == 0
    assert settings[0].getbool("NIANBAO_ALL_YEARS")  # type: ignore[attr-defined]
    help_text = CliRunner().invoke(crawl, ["--help"]).output
    assert "--all-years" in help_text and "所有年份" in help_text
