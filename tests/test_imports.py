"""Every module imports in a fresh interpreter, quietly and without touching global state.

Which package may import which is the import-linter contracts' job (``lint-imports``
in ``make test``); this test catches what they cannot see: a module that fails when
imported first, prints or warns, or reconfigures logging or the warning filters as a
side effect of being imported.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

PACKAGES = ["monitor", "storage", "nianbao", "crawler"]

# Run in the child with the modules to import as arguments. Calls that change logging or the
# warning filters are recorded when the code calling them is ours (a library's own setup of its
# own logger is its business); it exits non-zero naming them.
PROBE = """
import importlib, logging, logging.config, sys, warnings

OURS = {"monitor", "storage", "nianbao", "crawler"}
changes = []

def caller():
    frame = sys._getframe(2)
    while frame and frame.f_globals.get("__name__", "").split(".")[0] in ("logging", "warnings"):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame else ""

def watch(owner, name):
    real = getattr(owner, name)
    def call(*args, **kwargs):
        who = caller()
        if who.split(".")[0] in OURS:
            target = getattr(args[0], "name", "") if args and isinstance(args[0], logging.Logger) else ""
            changes.append(f"{who}: {name}({target})")
        return real(*args, **kwargs)
    setattr(owner, name, call)

for name in ("setLevel", "addHandler", "removeHandler", "addFilter", "removeFilter"):
    watch(logging.Logger, name)
for name in ("basicConfig", "disable", "captureWarnings"):
    watch(logging, name)
for name in ("dictConfig", "fileConfig"):
    watch(logging.config, name)
for name in ("filterwarnings", "simplefilter", "resetwarnings"):
    watch(warnings, name)

for name in sys.argv[1:]:
    importlib.import_module(name)
ours = [l for n, l in logging.root.manager.loggerDict.items() if n.split(".")[0] in OURS]
changes += [f"{l.name}: propagate or disabled" for l in ours if isinstance(l, logging.Logger)
            and (not l.propagate or l.disabled)]
if changes:
    sys.exit("importing changed global state: " + "; ".join(changes))
"""


def modules(package: str) -> list[str]:
    found = pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
    # A __main__ module runs its program when imported: that is its job, not a side effect.
    return [package, *sorted(m.name for m in found if not m.name.endswith(".__main__"))]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_imports_in_a_fresh_interpreter(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", PROBE, *modules(package)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done.stdout, done.stderr) == ("", ""), "importing printed or warned"
