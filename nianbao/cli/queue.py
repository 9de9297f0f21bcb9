"""Crawling on many machines: `worker`, `queue status`, `queue write`, and what `crawl --queue` does.

The archive's machine runs ``nianbao crawl --queue redis://HOST:PORT/DB``: it
puts one job per host group on the queue and writes the results into the
archive as the workers send them. Any number of machines run ``nianbao worker
--queue …`` (no archive there). ``nianbao queue status`` shows the jobs, the
workers and the rounds; ``nianbao queue write`` finishes writing a round whose
``crawl --queue`` was stopped.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click

from monitor.codes import RunStatus
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure, Stopped, open_archive
from nianbao.cli.options import data_option

QUEUE_HELP = "队列地址：redis://主机:端口/数据库编号（每个存档使用单独的数据库编号）。"


def queue_option(func: Any) -> Any:
    return click.option(
        "--queue", "url", required=True, metavar="URL", envvar="NIANBAO_QUEUE", help=QUEUE_HELP
    )(func)


def _connect(url: str) -> Any:
    from nianbao.queue.connection import connect

    try:
        return connect(url)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc


def archive_id(data_dir: str) -> str:
    """Which archive a queue serves: this machine and the data folder's absolute path."""
    return f"{socket.gethostname()}:{Path(data_dir).resolve()}"


@dataclass
class QueueCrawl:
    """What ``crawl --queue`` hands to the crawl command's summary (the same shape as a local crawl's)."""

    batch: str
    sites: list[dict[str, Any]] = field(default_factory=list)
    returncode: int = 0
    signal_received: int | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@contextmanager
def _stoppable() -> Iterator[list[int]]:
    """SIGTERM/SIGINT stop the writer between two sites instead of killing it mid-write."""
    received: list[int] = []
    previous = {}

    def stop(signum: int, _frame: Any) -> None:
        received.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, stop)
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _written_line(total: int, count: list[int]) -> Any:
    def show(_batch: str, summary: dict[str, Any]) -> None:
        count[0] += 1
        status = RunStatus(summary["status"]).label
        done = f"{count[0]}/{total}" if total else str(count[0])
        click.echo(
            f"[写入存档] {done} {summary.get('agency', '')}（{summary['site_id']}） {status}", err=True
        )

    return show


def _round_done(connection: Any, batch: str, url: str) -> Any:
    """Whether the round is written; says once so when no worker has come for a minute."""
    from rq import Worker

    from nianbao.queue.rounds import open_rounds

    started, told = time.monotonic(), [False]

    def done() -> bool:
        if not told[0] and time.monotonic() - started > 60 and Worker.count(connection=connection) == 0:
            click.echo(f"队列中还没有抓取节点：请在抓取机器上运行 nianbao worker --queue {url}", err=True)
            told[0] = True
        return batch not in open_rounds(connection)

    return done


def _write(
    archive: Any, connection: Any, until: Any, on_written: Any, received: list[int], *, holder: str
) -> None:
    """Be the archive's writer (waiting for another one to finish) until ``until()`` or a signal."""
    from nianbao.queue.lock import WRITER_LOCK, RenewedLock
    from nianbao.queue.writer import ArchiveWriter

    lock = RenewedLock(connection, WRITER_LOCK, holder=holder)
    waited = False
    while not lock.acquire():
        if until() or received:
            return
        if not waited:
            click.echo(f"另一个写入进程（{lock.holder()}）正在写入存档，等待其结束……", err=True)
            waited = True
        time.sleep(2)
    try:
        writer = ArchiveWriter(archive, connection, on_written=on_written)
        writer.run(lambda: bool(received) or lock.lost or until())
    finally:
        lock.release()
    if lock.lost:
        raise Failure("写入锁已失效（Redis 重启或被清空？），已停止写入；请用 nianbao queue write 继续")


def crawl_through_queue(
    url: str, data_dir: str, site_ids: list[str], today: date | None, *, all_years: bool = False
) -> QueueCrawl:
    """``nianbao crawl --queue``: enqueue the sites' host groups, then write their results until the round is done."""
    from nianbao.queue.connection import claim_for_archive
    from nianbao.queue.rounds import start_round, written
    from storage.sites import get_site, list_sites

    connection = _connect(url)
    with open_archive(data_dir) as archive:
        try:
            claim_for_archive(connection, archive_id(data_dir), url)
        except NianbaoError as exc:
            raise Failure(str(exc)) from exc
        sites = (
            [get_site(archive.db, s) for s in site_ids]
            if site_ids
            else list_sites(archive.db, enabled_only=True)
        )
        chosen = [s for s in sites if s is not None]
        try:
            round_ = start_round(
                archive,
                connection,
                chosen,
                today=today or archive.today(),
                archive_id=archive_id(data_dir),
                all_years=all_years,
            )
        except NianbaoError as exc:
            raise Failure(str(exc)) from exc
        click.echo(
            f"已把 {len(chosen)} 个站点按主机分为 {len(round_.jobs)} 个抓取任务放入队列（批次 {round_.batch}）；"
            f"请在抓取节点运行 nianbao worker --queue {url}"
        )
        click.echo("本进程把抓取结果写入存档，直到全部站点写完……", err=True)
        with _stoppable() as received:
            _write(
                archive,
                connection,
                _round_done(connection, round_.batch, url),
                _written_line(len(chosen), [0]),
                received,
                holder=archive_id(data_dir),
            )
        summaries = written(connection, round_.batch)
    result = QueueCrawl(round_.batch, [summaries[s] for s in round_.sites if s in summaries])
    if received:
        name = signal.Signals(received[0]).name
        raise Stopped(
            f"写入被中止（收到 {name}）：已写入 {len(result.sites)}/{len(chosen)} 个站点；抓取节点仍在工作，"
            f"请用 nianbao queue write --queue {url} 继续写入",
            128 + received[0],
        )
    return result


@click.command()
@queue_option
@click.option("--name", help="本抓取节点的名称（默认：主机名-进程号），显示在 nianbao queue status 中。")
@click.option("--burst", is_flag=True, help="队列中没有任务时即退出（默认一直等待新任务）。")
def worker(url: str, name: str | None, burst: bool) -> None:
    """抓取节点：从队列领取抓取任务，抓取、读取年报，把结果交给存档所在机器写入。

    可在任意多台机器上运行，无需存档。同一主机（同一域名）的站点每次只由一个节点抓取，
    保持对政府网站的礼貌访问；节点中途被终止时，其任务会由其他节点重新完成。

    \b
    示例：
      nianbao worker --queue redis://10.0.0.5:6379/0
      nianbao worker --queue redis://10.0.0.5:6379/0 --name 抓取节点-1
    """
    from nianbao.queue.worker import run_worker

    click.echo(f"抓取节点已启动，等待队列 {url} 中的任务（Ctrl-C 停止）……", err=True)
    try:
        run_worker(url, name=name, burst=burst)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc


@click.group("queue")
def queue_group() -> None:
    """分布式抓取队列：查看进度与失败，继续写入结果。"""


@queue_group.command("status")
@queue_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def queue_status_command(url: str, as_json: bool) -> None:
    """显示队列中的抓取任务、抓取节点、失败原因和各批次的写入进度。

    \b
    示例：
      nianbao queue status --queue redis://10.0.0.5:6379/0
    """
    from nianbao.queue.status import as_json as status_json
    from nianbao.queue.status import queue_status

    status = queue_status(_connect(url))
    if as_json:
        click.echo(status_json(status))
        return
    click.echo(
        f"抓取任务：排队 {status.queued}，进行中 {len(status.running)}，等待重试 {status.scheduled}，"
        f"失败 {len(status.failed)}，已完成 {status.finished}"
    )
    for job in status.running:
        click.echo(f"  进行中 {job.groups}：节点 {job.worker or '—'}，站点 {job.sites_done}/{job.sites}")
    for failed in status.failed:
        click.echo(f"  失败 {failed.groups}：{failed.reason or '原因不明'}")
    if status.workers:
        click.echo("抓取节点：" + "；".join(f"{w.name}（{_state(w.state)}）" for w in status.workers))
    else:
        click.echo("抓取节点：无（请在抓取机器上运行 nianbao worker --queue …）")
    click.echo(f"待写入存档的结果：{status.stream_entries} 条")
    for r in status.rounds:
        state = "进行中" if r.open else "已完成"
        errors = f"，其中 {r.errors} 个未能正常抓取" if r.errors else ""
        click.echo(
            f"批次 {r.batch}（按 {r.today} 判断）：已写入 {r.written}/{r.sites} 个站点{errors}，{state}"
        )


def _state(state: str) -> str:
    return {"busy": "忙", "idle": "空闲", "started": "启动中", "suspended": "暂停"}.get(state, state)


@queue_group.command("write")
@queue_option
@click.option("--follow", is_flag=True, help="写完后继续等待新的结果（默认写完所有未完成的批次即退出）。")
@data_option
def queue_write(url: str, follow: bool, data_dir: str) -> None:
    """把队列中的抓取结果写入存档（用于继续一个被中止的 nianbao crawl --queue）。

    \b
    示例：
      nianbao queue write --queue redis://10.0.0.5:6379/0 --data /srv/nianbao
    """
    from nianbao.queue.connection import claim_for_archive
    from nianbao.queue.rounds import open_rounds

    connection = _connect(url)
    with open_archive(data_dir, create=False) as archive:
        try:
            claim_for_archive(connection, archive_id(data_dir), url)
        except NianbaoError as exc:
            raise Failure(str(exc)) from exc
        open_now = open_rounds(connection)
        click.echo(f"未写完的批次 {len(open_now)} 个，开始写入……", err=True)
        count = [0]
        with _stoppable() as received:
            _write(
                archive,
                connection,
                lambda: not follow and not open_rounds(connection),
                _written_line(0, count),
                received,
                holder=archive_id(data_dir),
            )
    click.echo(f"已写入 {count[0]} 个站点的抓取结果")


def register(group: click.Group) -> None:
    group.add_command(worker)
    group.add_command(queue_group)
