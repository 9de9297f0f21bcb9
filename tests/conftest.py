"""Fixtures every area's tests share: an archive with a manual clock, the command line, the mock portal.

- ``archive``: a fresh archive, database in memory, its clock standing at ``clock_start``
  (a module that needs another start overrides ``clock_start``; one that needs sites
  registered overrides ``archive``, asking for this one);
- ``disk_archive``: the same on disk, for tests that reopen it or hand it to another process;
- ``cli``: ``nianbao`` invoked in-process through click's ``CliRunner``;
- ``mock_portal``: the standard mock portals (tests/support/mockportal), one server for the session;
- ``digest_world``: the data folder of three weeks of crawls the digest tests read (never write).

A test that needs one other start overrides ``clock_start`` by parametrizing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.clock import ManualClock
from tests.support.archive import START, ManualArchive, manual_clock, memory_archive, open_archive
from tests.support.cli import Cli
from tests.support.digest_world import build_world
from tests.support.mockportal import MockPortal, loopback_binds, standard_hosts


@pytest.fixture
def clock_start() -> str:
    """When the archive's clock starts (CST, ISO); override in a module for another start."""
    return START


@pytest.fixture
def archive_clock(clock_start: str) -> ManualClock:
    return manual_clock(clock_start)


@pytest.fixture
def archive(tmp_path: Path, archive_clock: ManualClock) -> Iterator[ManualArchive]:
    archive = memory_archive(tmp_path / "blobs", archive_clock)
    try:
        yield archive
    finally:
        archive.close()


@pytest.fixture
def disk_archive(tmp_path: Path, archive_clock: ManualClock) -> Iterator[ManualArchive]:
    archive = open_archive(tmp_path / "data", archive_clock)
    try:
        yield archive
    finally:
        archive.close()


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="session")
def digest_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("digest") / "data"
    build_world(data).close()
    return data


@pytest.fixture(scope="session")
def mock_portal() -> Iterator[MockPortal]:
    """The standard portals (every CMS family and trap), served for the whole session.

    Tests that change a host's pages do it on a copy (``mock_portal.edit(host, tmp)``);
    tests that count requests ``reset()`` the log first.
    """
    if not loopback_binds("127.0.0.14"):
        pytest.skip("needs 127.0.0.0/8 on loopback")
    # The slow host answers after 4 s, well past the crawl tests' download timeout.
    with MockPortal(standard_hosts()) as portal:
        yield portal
