"""Errors raised when an input cannot be read as a report.

Messages name the file and say what is wrong, in words a user can act on;
the command line turns them into a one-line error and exit status 2.
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
