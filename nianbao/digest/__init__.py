"""The weekly digest: who to call this week, as one self-contained HTML page (plus Excel/CSV, e-mail).

``write_digest(data_dir, out_dir, period)`` is what ``nianbao digest`` and the
scheduler call; ``build_digest`` (the view model) and ``render_html`` are
there for tests and other front ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nianbao.digest.build import build_digest
from nianbao.digest.mail import MailSettings, build_message, send
from nianbao.digest.model import Digest
from nianbao.digest.render import render_html, write_html
from nianbao.digest.weeks import Period, Week, resolve_period

__all__ = [
    "Digest",
    "DigestFiles",
    "MailSettings",
    "Period",
    "Week",
    "build_digest",
    "render_html",
    "resolve_period",
    "write_digest",
]


@dataclass
class DigestFiles:
    digest: Digest
    html: Path
    exports: list[Path] = field(default_factory=list)
    mailed_to: list[str] = field(default_factory=list)
    pages: int = 0  # agency pages written
    copies: int = 0  # stored copies in docs/ (new or already there)

    @property
    def problems(self) -> list[str]:
        return self.digest.problems


def write_digest(
    data_dir: str | Path,
    out_dir: str | Path,
    period: Period,
    *,
    xlsx: bool = False,
    csv: bool = False,
    mail: MailSettings | None = None,
    pages: bool = True,
    generated_at: datetime | None = None,
) -> DigestFiles:
    """Build the digest from the archive in ``data_dir``; write it, its agency pages, the stored copies
    of every document they cite, and the exports to ``out_dir``; mail it.

    An agency whose data cannot be processed is named in ``DigestFiles.problems``; the rest is written.
    """
    from nianbao.digest.copies import write_copies
    from nianbao.digest.render import write_agency_pages
    from storage.archive import Archive

    with Archive.open(data_dir, create=False) as archive:
        digest = build_digest(archive.db, period, generated_at=generated_at)
        try:
            files = DigestFiles(digest, write_html(digest, out_dir))
            copies = {sha: (c.file, c.content_type) for sha, c in digest.cited.items()}
            if pages:
                copies.update(write_agency_pages(archive.db, digest, out_dir, digest.problems))
                files.pages = len(digest.agencies)
            write_copies(archive.blobs, ((sha, f, t) for sha, (f, t) in copies.items()), out_dir)
            files.copies = len(copies)
            if xlsx:
                from nianbao.digest.export import write_xlsx

                files.exports.append(write_xlsx(digest, out_dir))
            if csv:
                from nianbao.digest.export import write_csv

                files.exports.append(write_csv(digest, out_dir))
        finally:
            digest.close()
    if mail is not None:
        send(build_message(digest, files.html.read_text(encoding="utf-8"), mail, files.exports), mail)
        files.mailed_to = list(mail.to)
    return files
