"""`make demo` end to end: sample portal on loopback, two crawls a week apart, the digest.

Runs the demo as ``make demo`` does (``python -m demo.run``: a child process,
the real ``nianbao crawl``), then reads the digest it printed and looks for
every planted problem.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.support.html import attr, one
from tests.support.paths import ROOT


@pytest.mark.e2e
def test_demo_digest_lists_the_planted_problems(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demo.run", "--data", str(tmp_path / "demo"), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (printed,) = done.stdout.split()
    assert printed == str(tmp_path / "out" / "digest-2024-W10.html")
    assert (tmp_path / "out" / "digest-2024-W10.xlsx").exists()
    page = BeautifulSoup(Path(printed).read_text(encoding="utf-8"), "html.parser")

    figures = {attr(f, "data-figure"): one(f, ".value").get_text() for f in page.select("[data-figure]")}
    assert figures["monitored"] == "8" and figures["not_checked"] == "2"

    def codes(site: str) -> dict[str, str]:
        article = page.select_one(f'#details details[data-site="{site}"]')
        findings = article.select("li.finding") if article else []
        return {attr(li, "data-code"): attr(li, "data-status") for li in findings}

    assert codes("jgsw") == {"DATE.SIGNATURE_YEAR": "open"}  # inconsistent: signed a year early
    assert codes("scjg") == {"PUB.MISSING": "open"}  # missing
    assert codes("zxjt")["PUB.LATE"] == "new"  # late
    assert "STRUCT.AGENCY_MISSING" in codes("zxjt")
    assert codes("jtfw") == {}  # the clean report
    resolved = {attr(li, "data-code") for li in page.select("#resolved li.finding")}
    assert {"DATE.SIGNATURE_MISSING", "PUB.MISSING"} <= resolved
    unchecked = {
        attr(tr, "data-site"): tr.get_text(" ", strip=True)
        for tr in page.select("#call-unchecked tr[data-site]")
    }
    assert "网站拒绝访问" in unchecked["wjw"] and "网站无法访问" in unchecked["jtj"]
    call = [attr(tr, "data-site") for tr in page.select("#call tr[data-site]")]
    assert call[:2] == ["scjg", "zxjt"]  # the one that published nothing heads the list, then the late one
    upcoming = [tr.get_text(" ", strip=True) for tr in page.select("#upcoming tbody tr")]
    assert upcoming == ["卫滨区人民政府 政府 — 2023 2024-03-31 27"]
    # Every finding links to its stored copy, which is in the output folder.
    for link in page.select("#details a.stored-link"):
        assert (Path(printed).parent / attr(link, "href")).is_file()
    assert "周报缺少" not in done.stderr
