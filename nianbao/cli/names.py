"""Naming things on the command line as people do: a site by its id or (part of) its agency's name,
a finding code by its code or its family. Unknown names are errors with suggestions, never empty results."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from monitor.codes import CODES
from monitor.errors import NianbaoError
from nianbao.cli.errors import Failure

if TYPE_CHECKING:  # the archive is imported when a command opens it, not for --help
    from storage.archive import Archive
    from storage.sites import Site


def site_named(archive: Archive, text: str) -> Site:
    """The site ``text`` names (id, agency name, or a part of the name only one site has)."""
    from storage.registry import resolve_site

    try:
        return resolve_site(archive.db, text)
    except NianbaoError as exc:
        raise Failure(str(exc)) from exc


def finding_code(text: str) -> str:
    """A code of the catalogue ("PUB.MISSING"), or a family with a trailing dot ("CALC."); case ignored."""
    code = text.strip().upper()
    if code in CODES or (code.endswith(".") and any(c.startswith(code) for c in CODES)):
        return code
    families = sorted({c.split(".")[0] + "." for c in CODES})
    close = difflib.get_close_matches(code, [*CODES, *families], n=3, cutoff=0.5)
    hint = f"；是否是：{'、'.join(close)}？" if close else f"；代码族有：{'、'.join(families)}"
    raise Failure(f"没有问题代码 {text}{hint}（全部代码见 docs/rules.md）")
