"""Errors of the archive; messages (Chinese) name the file or the site and the problem."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.errors import NianbaoError


class StorageError(NianbaoError):
    """Base of the archive's errors."""


class SitesFileError(StorageError):
    """A sites file (YAML, CSV, XLSX) cannot be read or holds invalid entries (all of them listed)."""

    def __init__(self, path: str, problem: str, problems: Sequence[object] = ()) -> None:
        if "\n" in problem:
            super().__init__(
                f"{path}：发现 {problem.count(chr(10)) + 1} 处问题：\n  " + problem.replace("\n", "\n  ")
            )
        else:
            super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.problems = list(problems)


class ArchiveNotFound(StorageError):
    """``Archive.open(..., create=False)`` on a folder without an archive (a mistyped --data)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: 数据库不存在（请检查 --data 指向的数据目录）")
        self.path = path


class UnknownSite(StorageError):
    """No registered site has this id or name; ``suggestions`` are the closest registered ones."""

    def __init__(self, site_id: str, suggestions: Sequence[str] = ()) -> None:
        hint = (
            f"；是否是：{'、'.join(suggestions)}？"
            if suggestions
            else "：请先用 nianbao sites import 导入站点清单"
        )
        super().__init__(f"站点 {site_id} 未登记{hint}")
        self.site_id = site_id
        self.suggestions = list(suggestions)


class AmbiguousSite(StorageError):
    """A name part that several registered sites share."""

    def __init__(self, text: str, matches: Sequence[str]) -> None:
        shown = "、".join(matches[:8]) + ("等" if len(matches) > 8 else "")
        super().__init__(f"「{text}」对应 {len(matches)} 个站点：{shown}；请写出完整名称或站点编号")
        self.text = text
        self.matches = list(matches)
