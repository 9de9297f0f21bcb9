"""Fuzzing ``nianbao check``: mutated report files of every format, never a traceback, never a hang.

The files come from the seeded mutator in tests/support/hostile.py (bit flips, truncations, absurd
XML numbers, huge spans, numbers too large for a count, decompression bombs, thousands of pages),
the same files for the same seed. Each batch goes through the command itself, as a user runs it:
every file gives either its report (one JSON line) or one Chinese error line naming it, and the
command exits 0 or 2 -- never 1, the internal error. bench/fuzz.py runs ten thousand of them and
prints times and memory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.hostile import FORMATS, mutants

ERROR_LINE = re.compile(r"^nianbao: 错误：(?P<path>.+?): (?P<problem>.*[\u4e00-\u9fff].*)$")


def check_batch(cli: Cli, folder: Path, files: list[tuple[str, bytes]]) -> dict[str, str]:
    """Run ``check --json`` on ``files``; what became of each: "report" or its error line's problem."""
    paths = []
    for name, data in files:
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    result = cli("check", "--json", *paths)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    outcome: dict[str, str] = {}
    for line in result.stdout.splitlines():
        outcome[json.loads(line)["path"]] = "report"
    for line in result.stderr.splitlines():
        match = ERROR_LINE.match(line)
        assert match, line
        outcome[match["path"]] = match["problem"]
    assert sorted(outcome) == sorted(paths)  # each file accounted for, once
    assert (result.exit_code == 2) == any(v != "report" for v in outcome.values())
    return outcome


def _run(cli: Cli, tmp_path: Path, seed: int, count: int, fmt: str) -> dict[str, str]:
    files = list(mutants(seed, count, formats=(fmt,)))
    outcome: dict[str, str] = {}
    for start in range(0, len(files), 50):  # batches of 50 paths on one command line
        outcome |= check_batch(cli, tmp_path, files[start : start + 50])
    return outcome


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_files_through_check(cli: Cli, tmp_path: Path, fmt: str) -> None:
    # A quick sample for make test-fast; the slow test below adds 300 a format in make test (CI).
    outcome = _run(cli, tmp_path, seed=2024, count=12, fmt=fmt)
    assert len(outcome) == 12
    assert not [v for v in outcome.values() if v.startswith("读取时出错")], (
        "a reader raised an unexpected exception"
    )


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_more_mutated_files_through_check(cli: Cli, tmp_path: Path, fmt: str) -> None:
    outcome = _run(cli, tmp_path, seed=12, count=300, fmt=fmt)
    assert len(outcome) == 300
    # The mutations leave many files readable, and refuse the rest with a reason.
    assert any(v == "report" for v in outcome.values())
    assert any(v != "report" for v in outcome.values())
    assert not [v for v in outcome.values() if v.startswith("读取时出错")], (
        "a reader raised an unexpected exception"
    )
