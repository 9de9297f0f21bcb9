"""Errors raised when an input cannot be read as a report, one class per way it fails.

Messages name the file and say what is wrong, in Chinese words a user can act
on; the command line turns them into a one-line error and exit status 2.
Callers branch on the class, never on the message.
"""

from __future__ import annotations

from typing import Any


class NianbaoError(Exception):
    """Base of every error nianbao reports to its user."""


def _rebuild(cls: type[UnreadableInput], state: dict[str, Any]) -> UnreadableInput:
    error = cls.__new__(cls)
    Exception.__init__(error, f"{state['path']}: {state['problem']}")
    error.__dict__.update(state)
    return error


class UnreadableInput(NianbaoError):
    """The input exists but cannot be read as an annual report."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (class and attributes) when a reading crosses from the worker process.
        return _rebuild, (type(self), dict(self.__dict__))


class InputNotFound(UnreadableInput):
    """The path names no readable file (missing, a directory, no permission)."""


class NotARegularFile(InputNotFound):
    """The path names a device, a pipe or a socket (or a link to one): never opened for reading."""


class EncryptedDocument(UnreadableInput):
    """The document is protected by a password."""


class DamagedDocument(UnreadableInput):
    """The document's format is recognised but its contents are broken or truncated."""


class NotAReport(UnreadableInput):
    """The document is readable but is no annual report (another format, no title, sections or tables)."""


class ToolMissing(UnreadableInput):
    """A converter this machine lacks is needed (DOC/WPS): the installation's problem, not the document's."""


class OverLimit(UnreadableInput):
    """The document goes past one of the reader's limits (``monitor.readers.limits``): file size, pages,
    table cells, lines, decompressed size. No real annual report comes near them; a hostile file does."""


class ReadTimedOut(OverLimit):
    """Reading the document took longer than the reader's wall-time limit."""


class OutOfMemory(OverLimit):
    """Reading the document needed more memory than the reader's memory limit."""


class ReaderFailed(UnreadableInput):
    """The reader itself failed on the document: its worker process crashed, or a reader bug raised
    an unexpected exception. Nianbao's problem as much as the file's; the message says which."""
