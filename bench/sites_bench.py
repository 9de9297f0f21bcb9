"""Figures for reading a sites list: the validation library's import cost, and a 2,000-row Excel list.

python -m bench.sites_bench
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.paths import ROOT


def import_ms(module: str, runs: int = 5) -> float:
    """Median wall time of importing ``module`` in a fresh interpreter, minus an empty interpreter's."""

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return time.perf_counter() - started

    base = sorted(once("pass") for _ in range(runs))[runs // 2]
    with_module = sorted(once(f"import {module}") for _ in range(runs))[runs // 2]
    return (with_module - base) * 1000


def main() -> None:
    import openpyxl

    for module in ("pydantic", "storage.sitefiles", "nianbao.cli"):
        print(f"import {module:18} {import_ms(module):6.0f} ms")
    from storage.sitefiles import read_sites

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["某市监测名单"])
        sheet.append(["序号", "单位名称", "类型", "网站地址", "联系人", "联系电话", "截止日期"])
        for n in range(2000):
            sheet.append(
                [n, f"某区第{n}局", "市直部门", f"www.q{n}.gov.cn/nb/", "王敏", "0371-62345678", "01-31"]
            )
        book.save(path)
        started = time.perf_counter()
        result = read_sites(path)
        took = time.perf_counter() - started
    print(
        f"read and validate 2,000 rows (xlsx): {took * 1000:.0f} ms, {len(result.sites)} sites, {len(result.problems)} problems"
    )


if __name__ == "__main__":
    main()
