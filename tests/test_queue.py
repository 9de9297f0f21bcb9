"""The queue's parts on a real redis-server: host groups, the results stream, the one archive writer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.check import read_report
from monitor.model import CheckOptions, Publication
from monitor.rules import RuleContext, run_rules
from nianbao.crawl_ledger import Listed, Problem, SiteDone
from nianbao.intake import Incoming, Submission
from nianbao.queue.groups import HostGroup, host_groups
from nianbao.queue.messages import STREAM, blob_key, report_from_json, report_to_json
from nianbao.queue.rounds import ROUNDS, Round, packs, round_key, written
from nianbao.queue.sender import ResultSender
from nianbao.queue.writer import ArchiveWriter
from nianbao.reading import read_one
from storage.sites import Site
from tests.support.archive import add_site, manual_clock, open_archive, seed_bytes
from tests.support.redisserver import RedisServer, available

pytestmark = pytest.mark.skipif(not available(), reason="needs Debian's redis-server")
ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as running:
        yield running


@pytest.fixture
def redis_(server: RedisServer) -> Any:
    client = server.client()
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def archive(tmp_path):
    archive = open_archive(tmp_path / "data", manual_clock("2024-06-01T09:00:00"))
    for site_id in ("a", "b"):
        agency = "赣州经开区机关事务管理中心" if site_id == "a" else "赣州经开区教体服务中心"
        add_site(archive, site_id, agency, first_year=2023)
    yield archive
    archive.close()


def test_sites_sharing_a_platform_are_one_group():
    sites = [
        Site("wbq-jyj", "卫滨区教育局", start_urls=["http://wbq.xinxiang.gov.cn/jyj/"]),
        Site("xx-czj", "新乡市财政局", start_urls=["https://www.xinxiang.gov.cn/czj/"]),
        Site("gz", "赣州市政府", start_urls=["https://www.ganzhou.gov.cn/"]),
        # Its attachments live on the Xinxiang platform: the whole group stays together.
        Site(
            "bridge",
            "某局",
            start_urls=["https://bridge.example.com/nb/"],
            allowed_domains=["bridge.example.com", "file.xinxiang.gov.cn"],
        ),
        Site("ip-1", "甲", start_urls=["http://127.0.0.2:8000/a/"]),
        Site("ip-2", "乙", start_urls=["http://127.0.0.2:8000/b/"]),
        Site("ip-3", "丙", start_urls=["http://127.0.0.3:8000/"]),
    ]
    groups = {g.key: g.sites for g in host_groups(sites)}
    assert groups == {
        "127.0.0.2": ("ip-1", "ip-2"),
        "127.0.0.3": ("ip-3",),
        "example.com": ("bridge", "wbq-jyj", "xx-czj"),
        "ganzhou.gov.cn": ("gz",),
    }


def test_jobs_carry_whole_groups_of_about_the_size_asked():
    groups = [
        HostGroup(f"g{n}", tuple(f"s{n}-{k}" for k in range(size))) for n, size in enumerate((3, 1, 5, 2, 2))
    ]
    assert [[g.key for g in pack] for pack in packs(groups, 4)] == [["g0", "g1"], ["g2"], ["g3", "g4"]]
    assert [[g.key for g in pack] for pack in packs(groups, 1)] == [["g0"], ["g1"], ["g2"], ["g3"], ["g4"]]


def test_a_job_takes_every_host_lock_of_its_groups_or_none(redis_):
    from nianbao.queue.jobs import HostBusy, _host_locks
    from nianbao.queue.lock import RenewedLock, host_lock_key

    other = RenewedLock(redis_, host_lock_key("b.gov.cn"), holder="worker-B")
    assert other.acquire()
    try:
        with pytest.raises(HostBusy, match=r"b\.gov\.cn.*worker-B"):
            _host_locks(redis_, ["a.gov.cn", "b.gov.cn", "c.gov.cn"])
        assert redis_.get(host_lock_key("a.gov.cn")) is None  # what it took is given back
    finally:
        other.release()
    held = _host_locks(redis_, ["a.gov.cn", "b.gov.cn"])
    assert all(redis_.pttl(lock.key) > 0 for lock in held)
    for lock in held:
        lock.release()
    assert redis_.keys("nianbao:lock:*") == []


def test_a_report_read_on_a_worker_checks_as_if_read_here():
    report = read_report(seed_bytes("000"), "000.txt")
    again = report_from_json(report_to_json(report))
    ctx = RuleContext(publication=Publication(date(2024, 2, 3), "list"), today=TODAY)
    assert run_rules(again, ctx) == run_rules(report, ctx)


def _round(redis_: Any, jobs: dict[str, list[str]]) -> Round:
    record = Round(
        "20240601T090000-abc123",
        TODAY,
        "test",
        "2024-06-01T09:00:00+08:00",
        jobs,
        {job: ["g"] for job in jobs},
    )
    redis_.set(round_key(record.batch), record.to_json())
    redis_.zadd(ROUNDS, {record.batch: 0})
    return record


def _send_report(sender: ResultSender, site_id: str, data: bytes, name: str) -> None:
    """What a worker's crawl hands on for one uploaded-like report: the bytes beside, the reading inside."""
    options = CheckOptions(level="department", today=TODAY)
    submission = Submission(
        key=f"https://{site_id}.gov.cn/nb/{name}", documents=[Incoming(None, data, "page", name)]
    )
    from storage.blobs import sha256_of

    sha = sha256_of(data)
    sender.report(
        site_id,
        Listed(submission.key, "2023年政府信息公开工作年度报告", 2023),
        submission,
        [sha],
        ["sent"],
        options,
        {sha: read_one(data, name, options, None)},
    )


def test_each_site_of_a_round_is_written_once_whatever_arrives_twice(redis_, archive, server):
    record = _round(redis_, {"crawl-x-00001": ["a"]})
    killed = ResultSender(server.url, batch=record.batch, job="crawl-x-00001", attempt="first")
    retry = ResultSender(server.url, batch=record.batch, job="crawl-x-00001", attempt="second")
    # The first attempt sends a report, then its worker dies; the retry sends everything.
    _send_report(killed, "a", seed_bytes("001"), "2023.txt")
    _send_report(retry, "a", seed_bytes("001"), "2023.txt")
    retry.problem(Problem("a", "CRAWL.DOCUMENT_FAILED", "附件无法下载", "https://a.gov.cn/x.pdf", {}, False))
    retry.site_done(SiteDone("a", True, {2023: ["https://a.gov.cn/nb/2023.txt"]}, reports=1), sites_done=1)
    # …and the dead attempt's crawl child, still finishing, sends its end late.
    killed.site_done(SiteDone("a", True, {2023: ["https://a.gov.cn/nb/2023.txt"]}, reports=1), sites_done=1)
    written_now: list[str] = []
    writer = ArchiveWriter(archive, redis_, on_written=lambda _b, s: written_now.append(s["site_id"]))
    writer.drain()
    writer.settle()
    assert written_now == ["a"]
    runs = archive.db.execute("SELECT site_id, batch, status FROM runs").fetchall()
    assert runs == [("a", record.batch, "ok")]
    assert archive.db.execute("SELECT count(*) FROM reports").fetchone() == (1,)
    codes = sorted(r[0] for r in archive.db.execute("SELECT code FROM findings WHERE status = 'open'"))
    assert codes == ["CRAWL.DOCUMENT_FAILED", "DATE.SIGNATURE_YEAR"]
    # Everything is acknowledged and removed; the bytes beside the stream too; the round is closed.
    assert redis_.xlen(STREAM) == 0 and redis_.keys(blob_key("*")) == []
    assert redis_.zrange(ROUNDS, 0, -1) == []
    assert written(redis_, record.batch)["a"]["status"] == "ok"


def test_a_writer_killed_before_acknowledging_loses_nothing(redis_, archive, server):
    record = _round(redis_, {"crawl-x-00001": ["a"], "crawl-x-00002": ["b"]})
    sender = ResultSender(server.url, batch=record.batch, job="crawl-x-00001", attempt="one")
    _send_report(sender, "a", seed_bytes("001"), "2023.txt")
    first = ArchiveWriter(archive, redis_)
    first.step(block_ms=10)  # the report is delivered to it, held (no site_done yet)… and it dies
    del first
    sender.site_done(SiteDone("a", True, {2023: []}, reports=1), sites_done=1)
    second = ArchiveWriter(archive, redis_)
    second.drain()
    assert archive.db.execute("SELECT count(*) FROM reports").fetchone() == (1,)
    assert archive.db.execute("SELECT site_id, status FROM runs").fetchall() == [("a", "ok")]


def test_a_job_that_is_gone_leaves_error_runs_not_silence(redis_, archive, server):
    record = _round(redis_, {"crawl-x-00001": ["a"], "crawl-x-00002": ["b"]})
    sender = ResultSender(server.url, batch=record.batch, job="crawl-x-00001", attempt="one")
    _send_report(sender, "a", seed_bytes("001"), "2023.txt")
    sender.site_done(SiteDone("a", True, {2023: []}, reports=1), sites_done=1)
    writer = ArchiveWriter(archive, redis_)
    writer.drain()
    writer.settle()  # neither job exists in RQ: a's run is written; b can never come
    runs = dict(archive.db.execute("SELECT site_id, status FROM runs").fetchall())
    assert runs == {"a": "ok", "b": "error"}
    (errors,) = archive.db.execute("SELECT errors FROM runs WHERE site_id = 'b'").fetchone()
    assert "抓取任务已从队列中消失" in errors
    assert redis_.zrange(ROUNDS, 0, -1) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "nianbao", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.slow
def test_queue_write_finishes_a_round_whose_crawl_was_stopped(redis_, tmp_path, server):
    data = tmp_path / "data"
    with open_archive(data, manual_clock("2024-06-01T09:00:00")) as archive:
        add_site(archive, "a", "赣州经开区机关事务管理中心", first_year=2023)
        add_site(archive, "b", "赣州经开区教体服务中心", first_year=2023)
    record = _round(redis_, {"crawl-x-00001": ["a"], "crawl-x-00002": ["b"]})
    sender = ResultSender(server.url, batch=record.batch, job="crawl-x-00001", attempt="one")
    _send_report(sender, "a", seed_bytes("001"), "2023.txt")
    sender.site_done(SiteDone("a", True, {2023: []}, reports=1), sites_done=1)
    done = _cli("queue", "write", "--queue", server.url, "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert "已写入 2 个站点的抓取结果" in done.stdout and "[写入存档]" in done.stderr
    status = _cli("queue", "status", "--queue", server.url)
    assert status.returncode == 0, status.stderr
    assert (
        f"批次 {record.batch}" in status.stdout
        and "已写入 2/2 个站点，其中 1 个未能正常抓取，已完成" in status.stdout
    )
    # The queue now serves this archive; another archive is refused, in Chinese.
    other = _cli("queue", "write", "--queue", server.url, "--data", str(data))
    assert other.returncode == 0
    elsewhere = tmp_path / "elsewhere"
    open_archive(elsewhere).close()
    refused = _cli("queue", "write", "--queue", server.url, "--data", str(elsewhere))
    assert refused.returncode == 2 and "已用于另一个存档" in refused.stderr


def test_a_queue_that_cannot_be_reached_is_said_so(tmp_path):
    closed = _cli("worker", "--queue", "redis://127.0.0.1:1/0", "--burst")
    assert closed.returncode == 2 and "无法连接队列 redis://127.0.0.1:1/0" in closed.stderr
    wrong = _cli("queue", "status", "--queue", "http://127.0.0.1:6379/0")
    assert wrong.returncode == 2 and "队列地址应形如 redis://" in wrong.stderr
    assert "Traceback" not in closed.stderr + wrong.stderr
