"""Review: a supervisor confirms or dismisses a finding; a dismissal holds until the report changes.

Real reports (the seeds, read and checked through ``ingest``) in a real archive; the review is made
with the command a supervisor runs, and the next digests are read as a supervisor reads them.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor.model import CST
from nianbao.cli import cli
from nianbao.digest import build_digest, render_html, resolve_period, write_digest
from nianbao.ingest import ingest_bytes
from storage.clock import ManualClock
from storage.reviews import ReviewInvalid, add_review, review_in_force
from tests.support.archive import add_site, manual_clock, open_archive, seed_bytes
from tests.support.html import attr, one

REASON = "误报：落款为笔误，已书面说明 <script>alert(1)</script>"


def digest_page(data: Path, day: date) -> BeautifulSoup:
    archive = open_archive(data)
    try:
        return BeautifulSoup(render_html(build_digest(archive.db, resolve_period(None, day))), "html.parser")
    finally:
        archive.close()


def open_codes(page: BeautifulSoup) -> list[str]:
    return [attr(li, "data-code") for li in page.select("#details li.finding")]


def today() -> date:
    """Reviews made with the command carry the real time: the digests after them are as of the real today."""
    return datetime.now(CST).date()


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def data(tmp_path: Path) -> Path:
    clock = manual_clock("2024-02-05T10:00:00")
    archive = open_archive(tmp_path / "data", clock)
    add_site(archive, "jgsw", "赣州经开区机关事务管理中心")
    ingest_bytes(archive, "jgsw", seed_bytes("001"), name="2023年报.txt")  # DATE.SIGNATURE_YEAR
    archive.close()
    return tmp_path / "data"


def finding_id(data: Path, code: str) -> int:
    rows = [json.loads(line) for line in run("findings", "--data", str(data), "--json").splitlines()]
    return next(r["id"] for r in rows if r["code"] == code)


def test_dismissed_finding_stays_quiet_until_its_report_changes(data: Path) -> None:
    fid = finding_id(data, "DATE.SIGNATURE_YEAR")
    assert "DATE.SIGNATURE_YEAR" in open_codes(digest_page(data, today()))

    out = run("review", str(fid), "--dismiss", REASON, "--by", "张三", "--data", str(data))
    assert f"问题 {fid}" in out and "已排除（误报）" in out and "张三" in out

    page = digest_page(data, today())
    assert "DATE.SIGNATURE_YEAR" not in open_codes(page)
    assert one(page, '[data-figure="dismissed"] .value').get_text() == "1"
    code = [td.get_text() for td in page.select('#codes tr[data-code="DATE.SIGNATURE_YEAR"] td.num')]
    assert code == ["0", "0", "0", "0", "1", "100%"]  # open, new, resolved, confirmed, dismissed, false rate

    record = [json.loads(x) for x in run("findings", "--data", str(data), "--json").splitlines()]
    review = next(r for r in record if r["id"] == fid)["review"]
    assert review["verdict"] == "dismissed" and review["in_force"] is True and review["reviewer"] == "张三"
    assert review["note"] == REASON

    # A new version of the report, still signed in the wrong year: back for review.
    archive = open_archive(data, ManualClock(datetime.now(CST) + timedelta(seconds=1)))
    ingest_bytes(archive, "jgsw", seed_bytes("001") + "\n补充说明。\n".encode(), name="2023年报（更正）.txt")
    assert review_in_force(archive.db, fid) is None
    archive.close()
    page = digest_page(data, today())
    item = one(page, '#details li[data-code="DATE.SIGNATURE_YEAR"]')
    assert item is not None and attr(item, "data-review") == "lapsed"
    assert "报告已更新，需重新审核（此前已排除（误报），张三" in item.get_text()
    record = [json.loads(x) for x in run("findings", "--data", str(data), "--json").splitlines()]
    assert next(r for r in record if r["id"] == fid)["review"]["in_force"] is False


def test_a_past_digest_sees_the_reviews_made_by_its_cutoff(data: Path) -> None:
    archive = open_archive(data, manual_clock("2024-02-06T10:00:00"))
    fid = archive.db.execute("SELECT id FROM findings WHERE code = 'DATE.SIGNATURE_YEAR'").fetchone()[0]
    add_review(archive.db, fid, "dismissed", note="误报", reviewer="张三", now=archive.now())
    archive.clock.advance(days=1)
    ingest_bytes(archive, "jgsw", seed_bytes("001") + "\n补充说明。\n".encode(), name="更正.txt")
    archive.close()
    assert open_codes(digest_page(data, date(2024, 2, 5))) == ["DATE.SIGNATURE_YEAR"]  # before the review
    assert open_codes(digest_page(data, date(2024, 2, 6))) == []  # dismissed
    assert open_codes(digest_page(data, date(2024, 2, 7))) == ["DATE.SIGNATURE_YEAR"]  # the report changed


def test_confirmed_findings_are_marked_and_every_review_is_kept(data: Path, tmp_path: Path) -> None:
    fid = finding_id(data, "DATE.SIGNATURE_YEAR")
    run("review", str(fid), "--confirm", "--note", "已电话通知", "--by", "李四", "--data", str(data))
    page = digest_page(data, today())
    item = one(page, '#details li[data-code="DATE.SIGNATURE_YEAR"]')
    assert (
        attr(item, "data-review") == "confirmed"
        and f"已确认（李四，{today()}）：已电话通知" in item.get_text()
    )

    run("review", str(fid), "--dismiss", REASON, "--by", "张三", "--data", str(data))
    history = run("review", str(fid), "--data", str(data))
    assert "李四  已确认：已电话通知" in history and "张三  已排除（误报）" in history

    files = write_digest(data, tmp_path / "out", resolve_period(None, today()))
    agency = BeautifulSoup(
        (tmp_path / "out" / "agencies" / "jgsw.html").read_text(encoding="utf-8"), "html.parser"
    )
    reviews = [li.get_text(" ", strip=True) for li in agency.select(f'[data-life="{fid}"] ul.reviews li')]
    assert (
        len(reviews) == 2 and "李四 已确认：已电话通知" in reviews[0] and "张三 已排除（误报）" in reviews[1]
    )
    assert agency.find("script") is None and "<script>alert(1)</script>" in agency.get_text()
    assert files.problems == []


def test_review_errors_are_one_chinese_line(data: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["review", "99999", "--confirm", "--data", str(data)])
    assert missing.exit_code == 2 and "没有编号或指纹为 99999 的问题" in missing.output
    both = runner.invoke(cli, ["review", "1", "--confirm", "--dismiss", "x", "--data", str(data)])
    assert both.exit_code == 2 and "只能指定一个" in both.output
    empty = runner.invoke(cli, ["review", "1", "--dismiss", "  ", "--data", str(data)])
    assert empty.exit_code == 2 and "必须写明理由" in empty.output
    archive = open_archive(data)
    with pytest.raises(ReviewInvalid):
        add_review(archive.db, 1, "dismissed", note="", reviewer="x", now=archive.now())
    archive.close()


def test_review_by_fingerprint(data: Path) -> None:
    rows = [json.loads(line) for line in run("findings", "--data", str(data), "--json").splitlines()]
    row = next(r for r in rows if r["code"] == "DATE.SIGNATURE_YEAR")
    out = run("review", row["fingerprint"][:10], "--confirm", "--data", str(data))
    assert f"问题 {row['id']}" in out


def test_one_agencys_bad_data_never_stops_the_digest(tmp_path: Path) -> None:
    """A deadline 02-30 already in an archive (from before import checked it): that agency fails alone."""
    archive = open_archive(tmp_path / "data", manual_clock("2024-02-05T10:00:00"))
    add_site(archive, "good", "甲局")
    add_site(archive, "bad", "乙局")
    ingest_bytes(archive, "good", seed_bytes("001"), name="a.txt")
    ingest_bytes(archive, "bad", seed_bytes("000"), name="b.txt")
    archive.db.execute("UPDATE sites SET deadline = '02-30' WHERE id = 'bad'")
    archive.close()
    result = CliRunner().invoke(
        cli,
        [
            "digest",
            "--data",
            str(tmp_path / "data"),
            "--today",
            "2024-02-06",
            "--out",
            str(tmp_path / "out"),
            "--xlsx",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "警告：乙局（bad）：登记的截止日期 02-30 无效" in result.output
    page = BeautifulSoup(
        (tmp_path / "out" / "digest-2024-W06.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert "乙局（bad）：登记的截止日期 02-30 无效" in one(page, "#problems").get_text()
    assert page.select_one('#call tr[data-site="good"]') is not None  # the rest is written
    assert page.select_one('#call tr[data-site="bad"]') is not None  # and the bad one is still named
    assert (tmp_path / "out" / "agencies" / "good.html").exists()
    assert (tmp_path / "out" / "agencies" / "bad.html").exists()
    assert (tmp_path / "out" / "digest-2024-W06.xlsx").exists()
