"""Crawling through the queue, end to end: two workers on loopback portals, a real redis-server.

The same sites are crawled once on this machine (``nianbao crawl``) and once
through the queue (``nianbao crawl --queue`` writing, two ``nianbao worker``
processes crawling); both archives must hold the same findings. Then a worker
is killed in the middle of a job: the other one completes it, nothing is
written twice or lost, and no host ever sees two workers at once (each
worker's requests carry its name, so the mock portal's log tells them apart).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.rules.xref import SAME_YEAR
from storage.archive import Archive
from tests.support.mockportal import FIXTURES, MockPortal, loopback_binds, standard_hosts, standard_sites
from tests.support.redisserver import RedisServer, available

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2024-06-01"
HOSTS = ("trs", "hanweb", "gkmlpt", "jiyue", "robots", "wall403", "news")
FAST = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.1,
    "LOG_LEVEL": "WARNING",
    "NIANBAO_PROGRESS": False,
}
USER_AGENT = "Mozilla/5.0 (compatible; nianbao/0.1; {name})"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not available(), reason="needs Debian's redis-server"),
    pytest.mark.skipif(not loopback_binds("127.0.0.14"), reason="needs 127.0.0.0/8 on loopback"),
]


@dataclass
class World:
    portal: MockPortal
    redis: RedisServer
    sites_file: Path
    tmp: Path
    local: Path


def nianbao(*args: str, settings: dict[str, Any] | None = None, **popen: Any) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NIANBAO_CRAWL_SETTINGS": json.dumps(settings or FAST),
        "NIANBAO_QUEUE_RETRY": "1,1",
        "NIANBAO_QUEUE_JOB_SITES": "1",  # one job per host group: both workers get some
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nianbao", *args],
        env=env,
        cwd=ROOT,
        text=True,
        start_new_session=True,
        **popen,
    )


def finished(process: subprocess.Popen[str], timeout: float = 300) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, (out[-3000:], err[-5000:])
    return out, err


def start_worker(world: World, name: str, delay: float = 0.05) -> subprocess.Popen[str]:
    """``nianbao worker`` whose requests say its name (the mock portal's log tells the workers apart)."""
    settings = {**FAST, "DOWNLOAD_DELAY": delay, "USER_AGENT": USER_AGENT.format(name=name)}
    with open(world.tmp / f"{name}.log", "a", encoding="utf-8") as log:
        return nianbao(
            "worker", "--queue", world.redis.url, "--name", name, settings=settings, stdout=log, stderr=log
        )


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: the worker ends when idle
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def archive_state(data: Path) -> dict[str, Any]:
    """What a crawl left: findings, reports, run statuses (not the times or ids).

    A copy between two sites of one round is one finding, held by whichever of the two was
    written later (its check saw the other): the pair is compared, not which side holds it.
    """
    with Archive.open(data) as archive:
        db = archive.db
        agency = {
            (r[0], r[1], r[2]): r[3]
            for r in db.execute("SELECT site_id, year, report_key, agency FROM latest_reports").fetchall()
        }
        findings = []
        for row in db.execute(
            "SELECT site_id, year, report_key, code, subject, severity, message, status FROM findings"
        ).fetchall():
            site_id, year, key, code, subject, *_ = row
            if code == "XREF.COPIED" and subject.startswith(SAME_YEAR):
                pair = sorted([agency[(site_id, year, key)], subject.split(":")[1]])
                findings.append((code, year, *pair, row[-1]))
            else:
                findings.append(tuple(row))
        reports = db.execute(
            "SELECT site_id, year, report_key, agency, title, published FROM reports"
        ).fetchall()
        runs = db.execute("SELECT site_id, status FROM runs WHERE kind = 'crawl'").fetchall()
    return {
        "findings": sorted(findings, key=repr),
        "reports": sorted(reports, key=repr),
        "runs": sorted(runs),
    }


def by_host(log: list[dict[str, Any]]) -> dict[str, list[tuple[float, str]]]:
    """Every host's requests: (time, which worker) in order."""
    hosts: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for entry in log:
        worker = entry["user_agent"].rsplit(";", 1)[-1].strip(" )")
        hosts[entry["host"]].append((entry["t"], worker))
    return {host: sorted(times) for host, times in hosts.items()}


def assert_one_worker_at_a_time(log: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per host, the workers in the order they came; a worker never comes back once another has started."""
    order: dict[str, list[str]] = {}
    for host, requests in by_host(log).items():
        seen: list[str] = []
        for _, worker in requests:
            if not seen or seen[-1] != worker:
                assert worker not in seen, (
                    f"{host}: {worker} came back after {seen[-1]} (two workers at once)"
                )
                seen.append(worker)
        order[host] = seen
    return order


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("queue")
    tree = tmp / "portals"
    shutil.copytree(FIXTURES, tree)
    hosts = [h for h in standard_hosts(tree) if h["name"] in HOSTS]
    with MockPortal(hosts) as portal, RedisServer() as server:
        sites = standard_sites(portal.urls)
        sites_file = tmp / "sites.yaml"
        sites_file.write_text(yaml.safe_dump({"sites": sites}, allow_unicode=True), encoding="utf-8")
        # The same sites crawled on this machine: what the queue must reproduce.
        local = tmp / "local"
        finished(
            nianbao(
                "crawl",
                "--sites",
                str(sites_file),
                "--today",
                TODAY,
                "--data",
                str(local),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
        yield World(portal, server, sites_file, tmp, local)


def test_two_workers_give_the_findings_of_a_local_crawl(world: World) -> None:
    world.portal.reset()
    workers = [start_worker(world, "worker-A"), start_worker(world, "worker-B")]
    try:
        data = world.tmp / "queued"
        crawl = nianbao(
            "crawl",
            "--sites",
            str(world.sites_file),
            "--queue",
            world.redis.url,
            "--today",
            TODAY,
            "--data",
            str(data),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = finished(crawl)
        status = nianbao(
            "queue", "status", "--queue", world.redis.url, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        status_out, _ = finished(status, timeout=60)
    finally:
        for worker in workers:
            stop(worker)
    local, queued = archive_state(world.local), archive_state(data)
    assert queued["findings"] and queued == local
    # The summary reads as a local crawl's; the status shows the round written and every job done.
    sites = len(local["runs"])
    assert f"共 {sites} 个站点" in out and "已把" in out and "个抓取任务放入队列" in out
    assert "[写入存档]" in err
    assert (
        f"已写入 {sites}/{sites} 个站点" in status_out and "已完成" in status_out and "失败 0" in status_out
    )
    # Both workers crawled; each host saw one of them.
    order = assert_one_worker_at_a_time(world.portal.log())
    assert {w for seen in order.values() for w in seen} == {"worker-A", "worker-B"}
    assert all(len(seen) == 1 for seen in order.values())


def test_a_worker_killed_mid_job_has_its_job_completed_by_the_other(world: World) -> None:
    from rq.job import Job

    world.portal.reset()
    client = world.redis.client()
    client.flushdb()
    # Slower requests, so a job is surely in the middle when its worker dies.
    victim = start_worker(world, "worker-A", delay=0.4)
    survivor: subprocess.Popen[str] | None = None
    data = world.tmp / "killed"
    crawl = nianbao(
        "crawl",
        "--sites",
        str(world.sites_file),
        "--queue",
        world.redis.url,
        "--today",
        TODAY,
        "--data",
        str(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        killed_host = None
        while time.monotonic() < deadline and killed_host is None:
            hits: dict[str, int] = defaultdict(int)
            for entry in world.portal.log():
                if entry["user_agent"].endswith("worker-A)"):
                    hits[entry["host"]] += 1
            killed_host = next((h for h, n in hits.items() if n >= 3), None)
            time.sleep(0.2)
        assert killed_host, "worker-A never started a job"
        os.killpg(victim.pid, signal.SIGKILL)  # the worker; its work horse and crawl die with it
        victim.wait()
        killed_at = time.monotonic()
        survivor = start_worker(world, "worker-B")
        _, err = finished(crawl, timeout=400)
        took = time.monotonic() - killed_at
    finally:
        if crawl.poll() is None:
            os.killpg(crawl.pid, signal.SIGKILL)
        stop(victim)
        if survivor is not None:
            stop(survivor)
    # Nothing lost, nothing twice: the same findings and reports as the local crawl, one run per site.
    local, queued = archive_state(world.local), archive_state(data)
    assert queued == local
    with Archive.open(data) as archive:
        per_site = archive.db.execute("SELECT site_id, count(*) FROM runs GROUP BY site_id").fetchall()
        assert {n for _, n in per_site} == {1}
        duplicates = archive.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM documents GROUP BY site_id, url, sha256 HAVING count(*) > 1)"
        ).fetchone()
        assert duplicates == (0,)
    # The killed job was retried and finished by worker-B.
    retried = []
    for key in client.scan_iter(match="rq:job:crawl-*"):
        job = Job.fetch(key.decode().removeprefix("rq:job:"), connection=client)
        if job.retries_left is not None and job.retries_left < 2:
            retried.append(job)
    assert retried, "no job was retried"
    for job in retried:
        result = job.return_value()
        assert job.get_status() == "finished" and result is not None and result["worker"] == "worker-B"
    # No host saw the two at once: worker-A's requests to its host all came before worker-B's.
    order = assert_one_worker_at_a_time(world.portal.log())
    assert order[killed_host] == ["worker-A", "worker-B"]
    assert "[写入存档]" in err and took < 300
