"""Errors of the archive; messages (Chinese) name the file or the site and the problem."""

from __future__ import annotations

from monitor.errors import NianbaoError


class StorageError(NianbaoError):
    """Base of the archive's errors."""


class SitesFileError(StorageError):
    """A sites file (YAML, CSV, XLSX) cannot be read or holds an invalid entry."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ArchiveNotFound(StorageError):
    """``Archive.open(..., create=False)`` on a folder without an archive (a mistyped --data)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: 数据库不存在（请检查 --data 指向的数据目录）")
        self.path = path


class UnknownSite(StorageError):
    def __init__(self, site_id: str) -> None:
        super().__init__(f"站点 {site_id} 未登记：请先用 nianbao sites import 导入站点清单")
        self.site_id = site_id
