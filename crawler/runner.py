"""Start a crawl in a child process and wait for it (the parent side of ``crawler.run``).

The child inherits the terminal, so its progress lines reach the user as they
are printed; the parent reads back the summary the pipeline writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Extra Scrapy settings for every crawl, as a JSON object (tests and benchmarks shrink delays with it):
#   NIANBAO_CRAWL_SETTINGS='{"DOWNLOAD_DELAY": 0.2}' nianbao crawl
SETTINGS_ENV = "NIANBAO_CRAWL_SETTINGS"


def env_settings() -> dict[str, Any]:
    raw = os.environ.get(SETTINGS_ENV, "").strip()
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{SETTINGS_ENV} must be a JSON object, got {raw!r}")
    return value


@dataclass
class CrawlResult:
    returncode: int
    batch: str | None = None
    sites: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""  # the child's output, when captured

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def crawl_command(
    data_dir: str | Path,
    site_ids: list[str] | None = None,
    today: date | str | None = None,
    *,
    summary: str | Path | None = None,
    items: str | Path | None = None,
    settings: dict[str, Any] | None = None,
) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.run", "--data", str(data_dir)]
    for site_id in site_ids or []:
        cmd += ["--site", site_id]
    if today:
        cmd += ["--today", today.isoformat() if isinstance(today, date) else str(today)]
    if summary:
        cmd += ["--summary", str(summary)]
    if items:
        cmd += ["--items", str(items)]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return cmd


def run_crawl(
    data_dir: str | Path,
    site_ids: list[str] | None = None,
    today: date | str | None = None,
    *,
    settings: dict[str, Any] | None = None,
    items: str | Path | None = None,
    capture: bool = False,
    timeout: float | None = None,
) -> CrawlResult:
    """Crawl in a fresh process; returns its exit status and the per-site summary."""
    settings = {**env_settings(), **(settings or {})}
    with tempfile.TemporaryDirectory(prefix="nianbao-crawl-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        cmd = crawl_command(data_dir, site_ids, today, summary=summary_path, items=items, settings=settings)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        completed = subprocess.run(
            cmd, env=env, cwd=str(PROJECT_ROOT), timeout=timeout,
            stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None,
            check=False,
        )
        result = CrawlResult(completed.returncode)
        if summary_path.exists():
            data = json.loads(summary_path.read_text(encoding="utf-8"))
            result.batch = data.get("batch")
            result.sites = data.get("sites", [])
        if capture:
            result.output = (completed.stdout or b"").decode("utf-8", "replace")
        return result
