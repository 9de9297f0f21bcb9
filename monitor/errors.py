"""Errors raised when an input cannot be read as a report, one class per way it fails.

Messages name the file and say what is wrong, in Chinese words a user can act
on; the command line turns them into a one-line error and exit status 2.
Callers branch on the class, never on the message.
"""

from __future__ import annotations


class NianbaoError(Exception):
    """Base of every error nianbao reports to its user."""


class UnreadableInput(NianbaoError):
    """The input exists but cannot be read as an annual report."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class InputNotFound(UnreadableInput):
    """The path names no readable file (missing, a directory, no permission)."""


class EncryptedDocument(UnreadableInput):
    """The document is protected by a password."""


class DamagedDocument(UnreadableInput):
    """The document's format is recognised but its contents are broken or truncated."""


class NotAReport(UnreadableInput):
    """The document is readable but is no annual report (another format, no title, sections or tables)."""


class ToolMissing(UnreadableInput):
    """A converter this machine lacks is needed (DOC/WPS): the installation's problem, not the document's."""
