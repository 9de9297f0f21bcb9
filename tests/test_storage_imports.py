"""storage/ stands alone: every module imports in a fresh interpreter, none pulls in Scrapy."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import storage

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(f"storage.{m.name}" for m in pkgutil.iter_modules(storage.__path__))


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone_without_scrapy(module):
    code = f"import sys, {module}; sys.exit('scrapy' in sys.modules or 'twisted' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
