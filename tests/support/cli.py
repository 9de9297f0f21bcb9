"""``nianbao`` invoked in-process, as the ``cli`` fixture of tests/conftest.py does."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from nianbao.cli import cli as nianbao_cli


class Cli:
    """``cli("findings", "--json", "--data", data)``: the command's result (exit code, stdout, stderr)."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str | Path,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
        catch_exceptions: bool = True,
    ) -> Result:
        """``env``: variables to set for the command (None unsets one)."""
        return self.runner.invoke(
            nianbao_cli, [str(a) for a in args], input=input, env=env, catch_exceptions=catch_exceptions
        )

    def ok(self, *args: str | Path, code: int = 0) -> str:
        """The output of a command that must exit with ``code`` (else the output is the failure)."""
        result = self(*args, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output
