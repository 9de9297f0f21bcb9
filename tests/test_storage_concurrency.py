"""Readers (the digest, `nianbao findings`) work while a writer ingests."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from nianbao.digest import resolve_period
from nianbao.digest.queries import open_history
from storage import queries
from storage.archive import Archive
from tests.support.batch import batch_command, make_batch
from tests.support.cli import Cli
from tests.support.paths import ROOT
from tests.support.processes import child_env


@pytest.mark.slow
def test_readers_while_a_writer_runs(tmp_path, cli: Cli):
    data, manifest, names = make_batch(tmp_path)
    seen: list[int] = []
    with subprocess.Popen(
        batch_command(data, manifest),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
    ) as writer:
        reads_during_write = 0
        with Archive.open(data) as long_lived:
            while writer.poll() is None:
                # A long-lived connection (the digest) and fresh ones (the command line).
                rows = queries.findings(long_lived.db, status="all")
                open_history(long_lived.db, resolve_period(), weeks=4, severity=None)
                queries.latest_runs(long_lived.db, kind=None)
                queries.reports(long_lived.db)
                result = cli("findings", "--json", "--status", "all", "--data", data)
                assert result.exit_code == 0, result.output
                assert len(result.output.splitlines()) >= len(rows)
                seen.append(len(rows))
                if writer.poll() is None:
                    reads_during_write += 1
                time.sleep(0.05)
        errors = writer.stderr.read() if writer.stderr else ""
    assert writer.returncode == 0, errors
    assert reads_during_write >= 5
    assert seen == sorted(seen), "a reader saw findings disappear mid-write"
    assert seen[0] < seen[-1] or len(seen) == 1
    with Archive.open(data) as archive:
        assert archive.db.execute("SELECT count(*) FROM reports").fetchone()[0] == len(names)
        (row,) = queries.findings(archive.db, site_id="site-000", status="all")[:1]
        assert json.dumps(row.to_json(), ensure_ascii=False)


@pytest.mark.slow
def test_two_writers_take_turns(tmp_path):
    """Two crawler processes writing at once: BEGIN IMMEDIATE makes one wait, none fails."""
    data, manifest, names = make_batch(tmp_path)
    lines = manifest.read_text(encoding="utf-8").splitlines()
    halves = [tmp_path / "even.tsv", tmp_path / "odd.tsv"]
    halves[0].write_text("\n".join(lines[0::2]), encoding="utf-8")
    halves[1].write_text("\n".join(lines[1::2]), encoding="utf-8")
    writers = [
        subprocess.Popen(
            batch_command(data, half),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        for half in halves
    ]
    for writer in writers:
        with writer:
            errors = writer.stderr.read() if writer.stderr else ""
            writer.wait(timeout=120)
        assert writer.returncode == 0, errors
    with Archive.open(data) as archive:
        assert archive.db.execute("SELECT count(*) FROM reports").fetchone()[0] == len(names)
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_twenty_first_starts_on_one_fresh_folder_all_succeed(tmp_path):
    """One process creates and migrates a fresh archive; the others starting with it wait, then open it."""
    data = tmp_path / "fresh"
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n"
        + "".join(
            f"  - id: s{i}\n    agency: 第{i}号机关\n    level: department\n"
            f"    start_urls: [http://s{i}.example.gov.cn/nb/]\n"
            for i in range(3)
        ),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "nianbao", "sites", "import", str(sites), "--data", str(data)]
    starts = [
        subprocess.Popen(
            command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(20)
    ]
    results = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in starts]
    for p in starts:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in results] == [0] * 20, [err for code, err in results if code]
    with Archive.open(data) as archive:
        assert archive.db.execute("SELECT count(*) FROM sites").fetchone()[0] == 3
