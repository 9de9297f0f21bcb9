"""SIGKILL in the middle of a long ingest batch loses nothing that was reported done.

The batch runs in a child process; it is killed with SIGKILL (no chance to
clean up) at several points, then the archive must pass SQLite's integrity
check, hold every ingest the child reported, and a rerun must complete it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from storage.archive import Archive
from storage.integrity import check_archive
from tests.support.batch import batch_command, make_batch
from tests.support.paths import ROOT
from tests.support.processes import child_env


def run_batch(data: Path, manifest: Path, *, kill_after: int | None) -> list[str]:
    """Run the batch; with ``kill_after``, SIGKILL it once that many ingests reported done."""
    done = []
    with subprocess.Popen(
        batch_command(data, manifest),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        for line in child.stdout:
            done.append(line.split()[1])
            if kill_after is not None and len(done) >= kill_after:
                child.send_signal(signal.SIGKILL)
                break
        errors = child.stderr.read()
        child.wait(timeout=120)
    if kill_after is None:
        assert child.returncode == 0, errors
    else:
        assert child.returncode == -signal.SIGKILL, f"the batch ended before it could be killed: {errors}"
    return done


def archived_names(data: Path) -> list[str]:
    conn = sqlite3.connect(data / "nianbao.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [row[0] for row in conn.execute("SELECT name FROM documents ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun(tmp_path):
    data, manifest, names = make_batch(tmp_path)
    reported: set[str] = set()
    for kill_after in (23, 57, 31):
        reported |= set(run_batch(data, manifest, kill_after=kill_after))
        present = archived_names(data)
        assert reported <= set(present), "an ingest reported done is missing"
        assert len(present) == len(set(present)), "a document was archived twice"
    # The rerun skips what is there (unchanged) and completes the rest.
    statuses = run_batch(data, manifest, kill_after=None)
    assert len(statuses) == len(names)
    assert sorted(archived_names(data)) == sorted(names)
    with Archive.open(data) as archive:
        report = check_archive(archive, verify=True)
        assert report.ok, report
        assert report.counts["reports"] == len(names)
        assert archive.db.execute("SELECT count(*) FROM runs").fetchone()[0] == len(names)
        assert archive.db.execute("SELECT count(*) FROM runs WHERE status != 'ok'").fetchone()[0] == 0
