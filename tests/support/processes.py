"""The product in a child process, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

# Tiny delays and a short timeout: a crawl of the mock portal in seconds.
FAST_CRAWL: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0.05,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_BACKOFF_BASE": 0.1,
    "NIANBAO_PROGRESS_INTERVAL": 0.5,
}


def child_env(**extra: str) -> dict[str, str]:
    """This environment, with the repository importable from any working folder."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def crawl_env(settings: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
    """For a ``nianbao crawl`` child: the fast crawl settings (or ``settings``), and ``extra`` variables."""
    return child_env(NIANBAO_CRAWL_SETTINGS=json.dumps(settings or FAST_CRAWL), **extra)


def nianbao(*args: str, cwd: Path = ROOT, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python -m nianbao ARGS`` with the fast crawl settings; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "nianbao", *args],
        capture_output=True,
        text=True,
        env=crawl_env(),
        cwd=cwd,
        timeout=timeout,
    )
