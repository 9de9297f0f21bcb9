"""The schedule under a fake clock: which jobs fire when, misfires, overlap, failures, Ctrl-C.

APScheduler's own loop is driven step by step: ``_process_jobs`` is what
``BlockingScheduler`` calls each time it wakes, and it returns how long to
sleep; the test moves a fake clock instead of sleeping (or jumps it without
processing, as a machine asleep would). Jobs run with fake crawl and digest
functions that record what they were asked to do.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from monitor.model import Report
from nianbao.scheduler import (
    Jobs,
    Journal,
    LockBusy,
    Outcome,
    ScheduleConfig,
    ScheduleConfigError,
    build_scheduler,
    crawl_lock,
    load_schedule_config,
)
from nianbao.scheduler.jobs import ChildCrawl, JobFailed
from storage.runs import start_run
from tests.support.archive import ManualArchive, add_site, open_archive, seed_bytes
from tests.support.cli import Cli
from tests.support.paths import ROOT

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class ManualScheduler(BaseScheduler):  # type: ignore[misc]  # apscheduler ships no type information
    """A scheduler whose loop the test runs by hand."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(at("2025-01-13T00:00:00"))  # a Monday

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return fake.now.astimezone(tz) if tz else fake.now.replace(tzinfo=None)

    monkeypatch.setattr("apscheduler.schedulers.base.datetime", FakeDatetime)
    monkeypatch.setattr("apscheduler.executors.base.datetime", FakeDatetime)
    return fake


class Recorder:
    """Fake crawl and digest: note (what, when, which sites)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, datetime, list[str]]] = []
        self.fail_next_crawl = False

    def crawl(self, site_ids: list[str] | None) -> None:
        self.calls.append(("crawl", self.clock.now, site_ids or ["*"]))
        if self.fail_next_crawl:
            self.fail_next_crawl = False
            raise RuntimeError("抓取程序崩溃")

    def digest(self, today: date) -> list[Path]:
        self.calls.append(("digest", self.clock.now, []))
        return [Path(f"reports_out/digest-{today}.html")]

    def when(self, kind: str) -> list[str]:
        return [moment.strftime("%m-%d %H:%M") for what, moment, _ in self.calls if what == kind]


@pytest.fixture
def config(tmp_path: Path) -> ScheduleConfig:
    """Three sites; only "a" has its 2024 report in the archive."""
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        yaml.safe_dump(
            {
                "sites": [
                    {"id": site, "agency": f"{site}局", "start_urls": [f"https://{site}.example.gov.cn/nb/"]}
                    for site in ("a", "b", "c")
                ]
            }
        ),
        encoding="utf-8",
    )
    data = tmp_path / "data"
    archive = open_archive(data)
    for site in ("a", "b", "c"):
        add_site(archive, site, f"{site}局")
    run = start_run(archive, "a")
    document = run.store_document(b"a 2024", url="https://a.example.gov.cn/nb/2024.html")
    run.record_report(document, Report(path="x", format="html", title="a局2024年报", year=2024))
    run.finish("ok")
    archive.close()
    return ScheduleConfig(data=data, sites=sites, out=tmp_path / "out")


def make(config: ScheduleConfig, clock: FakeClock, recorder: Recorder) -> tuple[Jobs, BaseScheduler]:
    jobs = Jobs(config, crawl=recorder.crawl, digest=recorder.digest, clock=clock)
    scheduler = build_scheduler(
        jobs, scheduler_class=ManualScheduler, executor=DebugExecutor(), now=clock.now
    )
    scheduler.start()
    return jobs, scheduler


def run_until(scheduler: BaseScheduler, clock: FakeClock, until: datetime) -> None:
    """The scheduler awake: process due jobs, sleep (move the clock) until the next wake-up."""
    while True:
        wait = scheduler._process_jobs()
        if wait is None or clock.now + timedelta(seconds=wait) > until:
            clock.now = until
            return
        clock.now += timedelta(seconds=max(wait, 0.001))


# ---- the timetable ---------------------------------------------------------------------------------


def test_right_jobs_fire_at_the_right_times(config: ScheduleConfig, clock: FakeClock) -> None:
    recorder = Recorder(clock)
    _, scheduler = make(config, clock, recorder)
    run_until(scheduler, clock, at("2025-01-27T23:00:00"))
    assert recorder.when("crawl") == [
        "01-13 02:00",  # weekly, every site
        "01-20 02:00",
        # daily crawls start with the season on January 20 (none from 01-13 to 01-19)
        "01-20 12:00",
        "01-21 12:00",
        "01-22 12:00",
        "01-23 12:00",
        "01-24 12:00",
        "01-25 12:00",
        "01-26 12:00",
        "01-27 02:00",
        "01-27 12:00",
    ]
    assert recorder.when("digest") == ["01-13 08:00", "01-20 08:00", "01-27 08:00"]
    weekly = [sites for what, moment, sites in recorder.calls if what == "crawl" and moment.hour == 2]
    daily = [sites for what, moment, sites in recorder.calls if what == "crawl" and moment.hour == 12]
    assert all(sites == ["*"] for sites in weekly)  # every site
    assert all(sites == ["b", "c"] for sites in daily)  # only the sites still missing their 2024 report
    scheduler.shutdown()


def test_daily_crawls_end_with_the_season(config: ScheduleConfig, clock: FakeClock) -> None:
    clock.now = at("2025-04-08T00:00:00")
    recorder = Recorder(clock)
    _, scheduler = make(config, clock, recorder)
    run_until(scheduler, clock, at("2025-04-13T00:00:00"))
    assert recorder.when("crawl") == ["04-08 12:00", "04-09 12:00", "04-10 12:00"]
    scheduler.shutdown()


def test_daily_crawl_skips_when_every_report_is_found(config: ScheduleConfig, clock: FakeClock) -> None:
    clock.now = at("2025-02-01T12:00:00")
    recorder = Recorder(clock)
    archive = open_archive(config.data)
    for site in ("b", "c"):
        run = start_run(archive, site)
        document = run.store_document(site.encode(), url=f"https://{site}.example.gov.cn/nb/2024.html")
        run.record_report(document, Report(path="x", format="html", title="2024年报", year=2024))
        run.finish("ok")
    archive.close()
    outcome = Jobs(config, crawl=recorder.crawl, digest=recorder.digest, clock=clock).daily_crawl()
    assert outcome is not None and outcome.status == "skipped" and "均已找到" in outcome.detail
    assert recorder.calls == []


# ---- misfires --------------------------------------------------------------------------------------


def test_missed_runs_coalesce_into_one_on_wake(config: ScheduleConfig, clock: FakeClock) -> None:
    clock.now = at("2025-03-01T00:00:00")
    recorder = Recorder(clock)
    jobs, scheduler = make(config, clock, recorder)
    run_until(scheduler, clock, at("2025-03-01T23:00:00"))
    assert recorder.when("crawl") == ["03-01 12:00"]
    # The machine sleeps for three weeks: three weekly crawls, three digests, 23 daily crawls missed.
    clock.now = at("2025-03-24T10:00:00")
    scheduler._process_jobs()
    assert recorder.when("crawl") == ["03-01 12:00", "03-24 10:00", "03-24 10:00"]  # weekly once, daily once
    assert recorder.when("digest") == ["03-24 10:00"]
    # ...and the timetable goes on from there.
    run_until(scheduler, clock, at("2025-03-31T09:00:00"))
    assert recorder.when("digest") == ["03-24 10:00", "03-31 08:00"]
    journal = [(o.job, o.status) for o in jobs.journal.entries()]
    assert journal.count(("weekly_crawl", "ok")) == 2
    scheduler.shutdown()


def test_a_run_missed_while_the_scheduler_was_down_runs_once_at_start(
    config: ScheduleConfig, clock: FakeClock
) -> None:
    journal = Journal(config.journal)
    for job, started in [
        ("weekly_crawl", "2025-05-05T02:00:00+08:00"),
        ("digest", "2025-05-05T08:00:00+08:00"),
    ]:
        journal.record(Outcome(job, "ok", started, started))
    clock.now = at("2025-05-21T15:00:00")  # a Wednesday: two Mondays were missed
    recorder = Recorder(clock)
    _, scheduler = make(config, clock, recorder)
    run_until(scheduler, clock, at("2025-05-21T16:00:00"))
    assert recorder.when("crawl") == ["05-21 15:00"]
    assert recorder.when("digest") == ["05-21 15:01"]  # after the crawl
    run_until(scheduler, clock, at("2025-05-26T09:00:00"))
    assert recorder.when("crawl") == ["05-21 15:00", "05-26 02:00"]
    scheduler.shutdown()


def test_a_first_start_waits_for_the_timetable(config: ScheduleConfig, clock: FakeClock) -> None:
    clock.now = at("2025-05-21T15:00:00")
    recorder = Recorder(clock)
    _, scheduler = make(config, clock, recorder)
    run_until(scheduler, clock, at("2025-05-25T00:00:00"))
    assert recorder.calls == []
    scheduler.shutdown()


# ---- overlap ---------------------------------------------------------------------------------------


def test_a_crawl_is_refused_while_another_holds_the_lock(config: ScheduleConfig, clock: FakeClock) -> None:
    recorder = Recorder(clock)
    jobs = Jobs(config, crawl=recorder.crawl, digest=recorder.digest, clock=clock)
    with crawl_lock(config.lock_file, holder="manual crawl"):
        outcome = jobs.weekly_crawl()
    assert outcome.status == "skipped" and "重叠" in outcome.detail and "manual crawl" in outcome.detail
    assert recorder.calls == []
    assert jobs.journal.entries()[-1].status == "skipped"
    assert jobs.weekly_crawl().status == "ok"  # released: the next one runs


@pytest.mark.slow
def test_weekly_and_daily_crawls_never_overlap(config: ScheduleConfig, clock: FakeClock) -> None:
    clock.now = at("2025-02-03T12:00:00")  # in season
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_crawl(site_ids: list[str] | None) -> None:
        order.append("crawl start")
        started.set()
        assert release.wait(10)
        order.append("crawl end")

    def digest(today: date) -> list[Path]:
        order.append("digest")
        return []

    jobs = Jobs(config, crawl=slow_crawl, digest=digest, clock=clock)
    weekly = threading.Thread(target=jobs.weekly_crawl)
    weekly.start()
    assert started.wait(10)
    daily = jobs.daily_crawl()
    assert daily is not None and daily.status == "skipped"
    waiting_digest = threading.Thread(target=jobs.digest)  # waits for the crawl instead of refusing
    waiting_digest.start()
    time.sleep(0.3)
    assert order == ["crawl start"]
    release.set()
    weekly.join(10)
    waiting_digest.join(10)
    assert order == ["crawl start", "crawl end", "digest"]


def test_the_lock_excludes_other_processes(config: ScheduleConfig) -> None:
    code = (
        "import sys, time\n"
        "from nianbao.scheduler.lock import crawl_lock\n"
        f"with crawl_lock({str(config.lock_file)!r}, holder='other process'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="other process"), crawl_lock(config.lock_file):
            pass
    finally:
        child.kill()
        child.communicate()
    with crawl_lock(config.lock_file, wait=5):  # released when the holder dies
        pass


# ---- failures --------------------------------------------------------------------------------------


def test_a_failing_job_is_logged_recorded_and_the_schedule_goes_on(
    config: ScheduleConfig, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = at("2025-06-01T00:00:00")
    recorder = Recorder(clock)
    recorder.fail_next_crawl = True
    jobs, scheduler = make(config, clock, recorder)
    with caplog.at_level(logging.ERROR, logger="nianbao.schedule"):
        run_until(scheduler, clock, at("2025-06-09T09:00:00"))
    assert recorder.when("crawl") == ["06-02 02:00", "06-09 02:00"]
    assert recorder.when("digest") == ["06-02 08:00", "06-09 08:00"]
    weekly = [(o.status, o.detail) for o in jobs.journal.entries() if o.job == "weekly_crawl"]
    assert weekly[0] == ("failed", "RuntimeError: 抓取程序崩溃")
    assert weekly[1][0] == "ok"
    assert "weekly_crawl: failed" in caplog.text and "抓取程序崩溃" in caplog.text
    scheduler.shutdown()


def test_a_failing_crawl_child_reports_its_error(
    config: ScheduleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = ChildCrawl(config)
    assert child.command(None)[1:] == [
        "-m",
        "nianbao",
        "crawl",
        "--data",
        str(config.data),
        "--sites",
        str(config.sites),
    ]
    assert child.command(["b", "c"])[-4:] == ["--site", "b", "--site", "c"]
    monkeypatch.setattr(
        child,
        "command",
        lambda site_ids: [
            sys.executable,
            "-c",
            "import sys; sys.stderr.write('line 1\\nsite unreachable\\n'); sys.exit(3)",
        ],
    )
    with pytest.raises(JobFailed, match=r"退出码 3.*site unreachable"):
        child(None)


def test_stopping_terminates_a_running_crawl_child(
    config: ScheduleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = Jobs(config)  # the real child-process crawl, with a child that would run for a minute
    monkeypatch.setattr(
        jobs.children, "command", lambda site_ids: [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    worker = threading.Thread(target=jobs.weekly_crawl)
    started = time.monotonic()
    worker.start()
    while not jobs.children._running and time.monotonic() - started < 10:
        time.sleep(0.05)
    jobs.stop()
    worker.join(20)
    assert not worker.is_alive() and time.monotonic() - started < 20
    (outcome,) = jobs.journal.entries()
    assert (outcome.job, outcome.status) == ("weekly_crawl", "interrupted")


# ---- Ctrl-C ----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_cleanly(tmp_path: Path, signum: int) -> None:
    settings = tmp_path / "nianbao.toml"
    settings.write_text('[schedule]\ndata = "data"\nsites = "sites.yaml"\n', encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "schedule", "--config", str(settings)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "scheduled digest" in line:
            break
    process.send_signal(signum)
    try:
        rest = process.communicate(timeout=20)[1]
    finally:
        process.kill()
    assert process.returncode == 0, "".join(lines) + rest
    assert "stopped" in rest and "Traceback" not in rest


# ---- configuration ---------------------------------------------------------------------------------


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "nianbao.toml"
    path.parent.mkdir()
    path.write_text(
        '[schedule]\ndata = "../var/data"\nsites = "/etc/nianbao/sites.yaml"\nmisfire_grace_hours = 12\n'
        '[schedule.weekly_crawl]\ncron = "30 1 * * sun"\n'
        '[schedule.daily_crawl]\nseason = ["12-20", "01-10"]\n'
        "[schedule.digest]\nxlsx = false\ncsv = true\nenabled = false\n",
        encoding="utf-8",
    )
    config = load_schedule_config(path)
    assert config.data == (tmp_path / "var" / "data").resolve()
    assert config.sites == Path("/etc/nianbao/sites.yaml")
    assert (config.xlsx, config.csv, config.digest.enabled) == (False, True, False)
    assert config.misfire_grace_seconds == 12 * 3600
    assert config.trigger("weekly_crawl").get_next_fire_time(None, at("2025-01-01T00:00:00")) == at(
        "2025-01-05T01:30:00"
    )
    assert config.in_season(date(2024, 12, 31)) and config.in_season(date(2025, 1, 10))
    assert not config.in_season(date(2025, 1, 11))
    default = load_schedule_config(None)
    assert default.timezone == "Asia/Shanghai" and default.season == ("01-20", "04-10")
    assert default.in_season(date(2025, 1, 20)) and default.in_season(date(2025, 4, 10))
    assert not default.in_season(date(2025, 4, 11)) and not default.in_season(date(2025, 1, 19))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "未知时区"),
        ('[schedule.weekly_crawl]\ncron = "0 2 * * 1"\n', "星期请写作 mon"),
        ('[schedule.digest]\ncron = "0 8 * *"\n', "5 个字段"),
        ('[schedule.daily_crawl]\nseason = ["01-20"]\n', "season"),
        ('[schedule.daily_crawl]\nseason = ["01-20", "13-01"]\n', "MM-DD"),
        ("[schedule\n", "不是有效的 TOML"),
    ],
)
def test_config_errors_name_the_file_and_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleConfigError, match=problem) as info:
        load_schedule_config(path)
    assert str(path) in str(info.value)


def test_cli_list_and_run(config: ScheduleConfig, tmp_path: Path, cli: Cli) -> None:
    settings = tmp_path / "nianbao.toml"
    settings.write_text(
        f'[schedule]\ndata = "{config.data}"\nsites = "{config.sites}"\nout = "{config.out}"\n',
        encoding="utf-8",
    )
    listing = cli("schedule", "--config", settings, "--list")
    assert listing.exit_code == 0, listing.output
    assert (
        "weekly_crawl" in listing.output
        and "0 2 * * mon" in listing.output
        and "01-20 至 04-10" in listing.output
    )
    digest = cli("schedule", "--config", settings, "--run", "digest")
    assert digest.exit_code == 0, digest.output
    assert "digest: ok" in digest.output
    assert list(config.out.glob("digest-*.html"))
    bad = cli("schedule", "--config", tmp_path / "missing.toml")

    assert bad.exit_code == 2 and "无法读取配置文件" in bad.output


# ---- the crawl child's process group -------------------------------------------------------------

# `nianbao crawl` as it runs: a parent whose own child (the Scrapy process) shares its stderr.
# The grandchild writes its pid, then outlives anything that kills only the parent.
# With "own-group", the grandchild runs in a session of its own (as `nianbao crawl` may start Scrapy).
FAMILY = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', "
    "'import os, sys, time; open(sys.argv[1], \"w\").write(str(os.getpid())); time.sleep(40)', sys.argv[1]],"
    " start_new_session=sys.argv[2] == 'own-group')\n"
    "time.sleep(40)\n"
)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _grandchild(pid_file: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError("the crawl's grandchild did not start")


@pytest.mark.slow
@pytest.mark.parametrize("group", ["same-group", "own-group"])
def test_a_timed_out_crawl_is_killed_with_its_children(
    config: ScheduleConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str
) -> None:
    config.crawl_timeout_seconds = 2
    child = ChildCrawl(config)
    pid_file = tmp_path / "grandchild.pid"
    monkeypatch.setattr(
        child, "command", lambda site_ids: [sys.executable, "-c", FAMILY, str(pid_file), group]
    )
    started = time.monotonic()
    with pytest.raises(JobFailed, match="未结束，已终止"):
        child(None)
    assert time.monotonic() - started < 15  # not blocked on the stderr the grandchild held
    grandchild = _grandchild(pid_file)
    deadline = time.monotonic() + 5
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(grandchild)


@pytest.mark.parametrize("group", ["same-group", "own-group"])
def test_stopping_kills_the_crawls_children_too(
    config: ScheduleConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str
) -> None:
    jobs = Jobs(config)
    pid_file = tmp_path / "grandchild.pid"
    monkeypatch.setattr(
        jobs.children, "command", lambda site_ids: [sys.executable, "-c", FAMILY, str(pid_file), group]
    )
    worker = threading.Thread(target=jobs.weekly_crawl)
    started = time.monotonic()
    worker.start()
    grandchild = _grandchild(pid_file)
    jobs.stop()
    worker.join(20)
    assert not worker.is_alive() and time.monotonic() - started < 20
    assert not _running(grandchild)  # no orphan writing on without the lock
    (outcome,) = jobs.journal.entries()
    assert (outcome.job, outcome.status) == ("weekly_crawl", "interrupted")


# ---- the digest's week -----------------------------------------------------------------------------


def test_the_digest_job_reports_the_week_that_just_ended(config: ScheduleConfig, clock: FakeClock) -> None:
    recorder = Recorder(clock)
    days: list[date] = []

    def digest(day: date) -> list[Path]:
        days.append(day)
        return []

    clock.now = at("2025-01-13T08:00:00")  # Monday of 2025-W03
    Jobs(config, crawl=recorder.crawl, digest=digest, clock=clock).digest()
    clock.now = at("2025-01-15T09:00:00")  # a Wednesday: still the last complete week
    Jobs(config, crawl=recorder.crawl, digest=digest, clock=clock).digest()
    assert days == [date(2025, 1, 12), date(2025, 1, 12)]  # the Sunday of 2025-W02


@pytest.mark.parametrize("clock_start", ["2024-02-05T02:00:00"])  # Monday of 2024-W06
def test_the_scheduled_digest_shows_what_was_fixed_after_monday(
    disk_archive: ManualArchive, tmp_path: Path, clock: FakeClock
) -> None:
    from nianbao.ingest import ingest_bytes

    archive = disk_archive
    add_site(archive, "wbjy", "卫滨区教育局")
    ingest_bytes(archive, "wbjy", seed_bytes("002"), name="v1.txt")  # DATE.SIGNATURE_MISSING
    archive.clock.advance(days=2)  # Wednesday: fixed
    fixed = seed_bytes("002") + "\n\n卫滨区教育局\n2024年1月25日\n".encode()
    assert ingest_bytes(archive, "wbjy", fixed, name="v1.txt").resolved  # the same report, corrected
    archive.close()
    config = ScheduleConfig(
        data=tmp_path / "data", sites=tmp_path / "sites.yaml", out=tmp_path / "out", xlsx=False
    )
    clock.now = at("2024-02-12T08:00:00")  # the next Monday, when the digest job runs
    outcome = Jobs(config, clock=clock).digest()
    assert outcome.status == "ok", outcome.detail
    page = (config.out / "digest-2024-W06.html").read_text(encoding="utf-8")
    assert "2024-W06" in outcome.detail and "digest-2024-W07" not in outcome.detail
    resolved = page.split("本周已整改", 1)[1]
    assert "DATE.SIGNATURE_MISSING" in resolved


# ---- the sites every crawl covers ------------------------------------------------------------------


def test_the_daily_crawl_covers_the_registry_after_loading_the_sites_file(
    config: ScheduleConfig, clock: FakeClock
) -> None:
    archive = open_archive(config.data)
    add_site(archive, "removed", "已从清单删除的局")  # registered earlier, no longer in the file
    archive.close()
    config.sites.write_text(
        yaml.safe_dump(
            {
                "sites": [
                    {"id": "a", "agency": "a局", "start_urls": ["https://a.example.gov.cn/nb/"]},
                    {
                        "id": "b",
                        "agency": "b局",
                        "start_urls": ["https://b.example.gov.cn/nb/"],
                        "enabled": False,
                    },
                    {"id": "new", "agency": "新局", "start_urls": ["https://new.example.gov.cn/nb/"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    clock.now = at("2025-02-01T12:00:00")
    recorder = Recorder(clock)
    outcome = Jobs(config, crawl=recorder.crawl, digest=recorder.digest, clock=clock).daily_crawl()
    assert outcome is not None and outcome.status == "ok", outcome
    # What `nianbao crawl --sites FILE` would cover: every enabled registered site ("removed" too; not "b").
    assert recorder.calls[0][2] == ["c", "new", "removed"]


# ---- --data ----------------------------------------------------------------------------------------


def test_cli_data_overrides_the_config(config: ScheduleConfig, tmp_path: Path, cli: Cli) -> None:
    settings = tmp_path / "nianbao.toml"
    settings.write_text(
        f'[schedule]\ndata = "{tmp_path / "elsewhere"}"\nsites = "{config.sites}"\nout = "{config.out}"\n',
        encoding="utf-8",
    )
    listing = cli("schedule", "--config", settings, "--data", config.data, "--list")
    assert listing.exit_code == 0, listing.output
    assert f"数据 {config.data.resolve()}；" in listing.output
    digest = cli("schedule", "--config", settings, "--data", config.data, "--run", "digest")
    assert digest.exit_code == 0 and "digest: ok" in digest.output, digest.output
    assert (config.data / "schedule-log.jsonl").exists() and not (tmp_path / "elsewhere").exists()
    default = cli("schedule", "--config", settings, "--list", env={"NIANBAO_DATA": None})
    assert f"数据 {tmp_path / 'elsewhere'}；" in default.output
