"""Everything the command line shows a user is Chinese: every command's help, and click's own errors.

The walk covers whatever is registered in ``nianbao.cli`` when the test runs,
so a command added later is held to the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from nianbao.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
# What may stay Latin in a line of help: option names, placeholders in capitals, file names, codes,
# URLs, JSON field names after --json, TOML keys, example command lines, choice lists.
_ALLOWED = [
    r"https?://\S+",
    r"(?<![\w-])--?[a-zA-Z][\w-]*",
    r"\[[\w|,. -]+\]",  # [open|resolved|all], [schedule], [mail]
    r"\b[\w./-]+\.(?:ya?ml|csv|xlsx|xlsm|toml|db|pdf|docx?|html?|txt|md|jsonl?|log|py)\b",
    r"\b[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]*)*\.?",  # CALC., PUB.MISSING, YAML, ID
    r"<[^>]*>",
    r"\w+(?=[、，])|(?<=[、，])\w+",  # identifiers in a Chinese list: site、agency、year
]
_WORD = re.compile(r"[A-Za-z]{2,}")


def commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


ALL = list(commands())


def english_lines(text: str) -> list[str]:
    """Lines whose words are English with no Chinese: what a supervisor could not read."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or CJK.search(stripped) or stripped.startswith(("nianbao ", "python ")):
            continue
        rest = stripped
        for pattern in _ALLOWED:
            rest = re.sub(pattern, " ", rest)
        if len(_WORD.findall(rest)) >= 2 or (
            re.search(r"[A-Za-z]{4,}", rest) and not re.fullmatch(r"[\w.,:;= '\"/-]*", rest)
        ):
            out.append(line)
    return out


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {
        "",
        "check",
        "crawl",
        "recheck",
        "sites import",
        "sites remove",
        "config check",
        "schedule",
    } <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "nianbao" for p, _ in ALL])
def test_help_is_chinese(path: tuple[str, ...], command: click.Command) -> None:
    done = CliRunner().invoke(cli, [*path, "--help"])
    assert done.exit_code == 0, done.output
    text = done.output
    assert CJK.search(command.get_short_help_str(limit=200) or ""), f"{path}: its summary line is not Chinese"
    assert "用法：" in text and "选项" in text
    assert not english_lines(text), f"{' '.join(path)}: English in the help:\n" + "\n".join(
        english_lines(text)
    )
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help and CJK.search(param.help), (
                f"{' '.join(path)} {param.opts}: help is not Chinese"
            )
    for word in ("[OPTIONS]", "COMMAND [ARGS]", "Usage:", "Options:", "Show this message"):
        assert word not in text


def _leaf_args(command: click.Command) -> list[str]:
    """Arguments enough to get past the required positional ones, so option errors are reached."""
    return [
        "x"
        for p in command.params
        if isinstance(p, click.Argument) and p.required
        for _ in range(max(p.nargs, 1))
    ]


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "nianbao" for p, _ in ALL])
def test_option_errors_are_chinese(path: tuple[str, ...], command: click.Command) -> None:
    runner = CliRunner()
    attempts = [[*path, "--no-such-option"]]
    if not isinstance(command, click.Group):
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or param.count:
                continue
            if isinstance(
                param.type, click.Choice | click.types.IntParamType | click.types.FloatParamType
            ) or (param.type.name == "日期"):
                attempts.append([*path, *_leaf_args(command), param.opts[0], "不是有效值"])
            attempts.append([*path, *_leaf_args(command), param.opts[0]])  # the value missing
        if any(isinstance(p, click.Argument) and p.required for p in command.params):
            attempts.append(list(path))  # the argument missing
    else:
        attempts.append([*path, "no-such-command"])
    for args in attempts:
        done = runner.invoke(cli, args)
        assert done.exit_code != 0, args
        text = done.output
        assert CJK.search(text), f"{args}: {text}"
        assert "错误：" in text, f"{args}: {text}"
        bad = english_lines(text)
        assert not bad, f"{args}: English in the error:\n{text}"
        for word in ("Error:", "Try '", "Invalid value", "No such option", "Missing", "is not"):
            assert word not in text, f"{args}: {text}"


def test_unexpected_errors_are_one_line_without_traceback(tmp_path, monkeypatch) -> None:
    import nianbao.cli.store as store

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "open_archive", broken)
    done = CliRunner().invoke(cli, ["findings", "--data", str(tmp_path)])
    assert done.exit_code == 1 and "内部错误" in done.output and "--debug" in done.output
    assert "Traceback" not in done.output
    debug = CliRunner().invoke(cli, ["--debug", "findings", "--data", str(tmp_path)])
    assert isinstance(debug.exception, RuntimeError)  # --debug: the exception itself, with its traceback
