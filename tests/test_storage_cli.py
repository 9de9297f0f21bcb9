"""The archive commands: sites import|list, ingest, findings, reparse, db check."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.archive import seed_path
from tests.support.cli import Cli

SITES = """
sites:
  - id: gzjkq-jgsw
    agency: 赣州经开区机关事务管理中心
    level: department
    start_urls: [https://jgsw.example.gov.cn/zfxxgknb/]
  - id: zhengxian-jtj
    agency: 郑县教育体育局
    start_urls: [https://jtj.example.gov.cn/nb/]
"""
FINDING_KEYS = {
    "site",
    "agency",
    "year",
    "code",
    "severity",
    "message",
    "evidence",
    "url",
    "first_seen",
    "last_seen",
    "resolved_at",
    "status",
}


@pytest.fixture
def run(cli: Cli, tmp_path) -> Callable[..., str]:
    """A command on the data folder of this test, which has the two sites above; returns its output."""
    data = tmp_path / "data"

    def invoke(*args: str, code: int = 0) -> str:
        return cli.ok(*args, "--data", data, code=code)

    sites = tmp_path / "sites.yaml"

    sites.write_text(SITES, encoding="utf-8")
    invoke("sites", "import", str(sites))
    return invoke


def test_sites_list(run):
    out = run("sites", "list")
    assert "gzjkq-jgsw  赣州经开区机关事务管理中心  部门  截止 01-31" in out and "共 2 个站点" in out
    rows = [json.loads(line) for line in run("sites", "list", "--json").splitlines()]
    assert rows[0]["start_urls"] == ["https://jgsw.example.gov.cn/zfxxgknb/"] and rows[0]["enabled"] is True


def test_ingest_then_findings(run):
    seed = str(seed_path("001"))
    out = run(
        "ingest",
        seed,
        "--site",
        "gzjkq-jgsw",
        "--url",
        "https://jgsw.example.gov.cn/a.html",
        "--published",
        "2024-01-25",
    )
    assert out.startswith(f"已入库 {seed}：gzjkq-jgsw，2023 年，发现问题 1 项")
    assert "未变化" in run("ingest", seed, "--site", "gzjkq-jgsw")

    (line,) = run("findings", "--json").splitlines()
    row = json.loads(line)
    assert set(row) >= FINDING_KEYS
    assert (row["site"], row["agency"], row["year"], row["code"], row["status"]) == (
        "gzjkq-jgsw",
        "赣州经开区机关事务管理中心",
        2023,
        "DATE.SIGNATURE_YEAR",
        "open",
    )
    assert row["url"] == "https://jgsw.example.gov.cn/a.html" and row["resolved_at"] is None
    text = run("findings", "--site", "gzjkq-jgsw")
    assert "DATE.SIGNATURE_YEAR  未解决" in text and "首次发现" in text
    assert run("findings", "--status", "resolved") == "没有符合条件的问题\n"
    assert run("findings", "--code", "CALC.") == "没有符合条件的问题\n"


def test_batch_ingest_reparse_and_db_check(run, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a docx")
    out = run("ingest", str(seed_path("004")), str(broken), "--site", "zhengxian-jtj", "--year", "2021")
    assert "已入库" in out and f"无法解析 {broken}" in out
    codes = {json.loads(line)["code"] for line in run("findings", "--json").splitlines()}
    assert codes == {"STRUCT.AGENCY_MISSING", "DATE.SIGNATURE_MISSING", "CRAWL.DOCUMENT_FAILED"}
    # Both files are uploads of the site's 2021 report: the broken one is its current version.
    assert "zhengxian-jtj：重新解析 1 份报告（无法解析 1）" in run("reparse", "--site", "zhengxian-jtj")
    out = run("db", "check")
    assert "完整性检查：ok" in out and out.rstrip().endswith("正常")


def test_errors_are_one_line_chinese_with_exit_2(run, tmp_path):
    out = run("ingest", str(tmp_path / "missing.txt"), "--site", "gzjkq-jgsw", code=2)
    assert "missing.txt: 文件不存在" in out
    out = run("ingest", str(seed_path("000")), "--site", "nope", code=2)
    assert "站点 nope 未登记" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites:\n  - id: x\n", encoding="utf-8")
    out = run("sites", "import", str(bad), code=1)  # rows left out: listed, the command fails
    assert f"{bad}：读取 1 行，可导入 0 个站点" in out and "第 1 个站点（第 2 行）：机关名称不能为空" in out
    out = run("sites", "import", str(tmp_path / "nothing.yaml"), code=2)  # no file at all
    assert "nothing.yaml: 无法读取文件" in out


def test_ingest_goes_on_past_a_file_it_cannot_open(run, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    out = run("ingest", str(folder), str(seed_path("004")), "--site", "zhengxian-jtj", code=2)
    assert "已入库" in out  # the readable file after the bad one was still ingested
    codes = {json.loads(line)["code"] for line in run("findings", "--json").splitlines()}
    assert "STRUCT.AGENCY_MISSING" in codes
