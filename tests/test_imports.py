"""Architecture: monitor/ and storage/ never import scrapy; every module imports in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def modules(package: str) -> list[str]:
    found = pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
    return [package, *sorted(m.name for m in found)]


@pytest.mark.parametrize("package", ["monitor", "storage"])
def test_no_scrapy_below_the_crawler(package: str) -> None:
    code = (
        "import sys, importlib\n"
        f"for name in {modules(package)!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{package} pulls in {proc.stdout.strip()}"
