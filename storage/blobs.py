"""The content-addressed document store beside the database.

Bodies live at ``blobs/ab/cd/<sha256>``, written to a temporary file in
``blobs/tmp/``, flushed to disk and renamed into place, so a file under its
final name is always complete. Storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Files named by their sha256 under ``root``."""

    def __init__(self, root: str | Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        # fsync before the rename: a row must never point at a file a power cut emptied.
        self.durable = durable
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256."""
        digest = sha256_of(data)
        final = self.path(digest)
        if final.is_file() and final.stat().st_size == len(data):
            # Reused: mark it recent, so `db check --remove-orphans` leaves it to the run
            # that is about to refer to it (orphans are removed only after a grace period).
            with contextlib.suppress(OSError):
                os.utime(final)
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix=digest[:12] + ".")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """True when the stored file exists and still hashes to its name."""
        path = self.path(sha256)
        return path.is_file() and sha256_of(path.read_bytes()) == sha256

    def __iter__(self) -> Iterator[str]:
        """Every sha256 stored (not the temporary files)."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                for file in sorted(second.iterdir()):
                    yield file.name

    def age(self, path: Path, now: float | None = None) -> float:
        """Seconds since ``path`` was last written (or reused); 0 if it is gone."""
        try:
            return (time.time() if now is None else now) - path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def leftovers(self) -> list[Path]:
        """Temporary files a killed writer left behind."""
        return sorted(self.tmp.iterdir()) if self.tmp.is_dir() else []
