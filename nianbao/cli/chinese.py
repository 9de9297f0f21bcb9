"""click's own words in Chinese: help headings, option errors, prompts.

click marks every message it prints for translation (``gettext``'s ``_`` and
``ngettext``, bound in each of its modules). Installing a gettext catalogue
would depend on the user's locale variables; instead ``install()`` points
those names at this table, so the command line speaks Chinese whatever
``LANG`` says. A message not in the table passes through unchanged, and the
test of every command's help and errors (tests/test_cli_chinese.py) fails on it.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from typing import Any

CATALOGUE: dict[str, str] = {
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "(dynamic)": "（动态）",
    "Aborted!": "已取消。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Choice({choices})": "可选值（{choices}）",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Commands": "命令",
    "Confirm the action without prompting.": "不询问，直接执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Do you want to continue?": "是否继续？",
    "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
    "Error: invalid input": "错误：输入无效",
    "Error: {message}": "错误：{message}",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing command.": "缺少命令。",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Options": "选项",
    "Positional arguments": "位置参数",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "再输入一次以确认",
    "Show the version and exit.": "显示版本并退出。",
    "Show this message and exit.": "显示本帮助并退出。",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Usage:": "用法：",
    "Value must be an iterable.": "值应为列表。",
    "default: {default}": "默认：{default}",
    "deprecated": "已弃用",
    "directory": "目录",
    "env var: {var}": "环境变量：{var}",
    "file": "文件",
    "path": "路径",
    "required": "必填",
    "unknown error": "未知错误",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是是/否值，可用：{states}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
}
# Type names: click shows them as metavars (TEXT, INTEGER) and in "not a valid {number_type}".
TYPE_NAMES = {
    "StringParamType": "文字",
    "IntParamType": "整数",
    "FloatParamType": "数字",
    "BoolParamType": "是/否",
    "IntRange": "整数",
    "FloatRange": "数字",
    "DateTime": "日期时间",
    "UUIDParameterType": "UUID",
    "UnprocessedParamType": "文字",
}
PLURALS: dict[str, tuple[str, str]] = {
    "Did you mean {possibility}?": ("是否是 {possibility}？", "（是否是以下之一：{possibilities}？）"),
    "Got unexpected extra argument ({args})": ("多余的参数（{args}）", "多余的参数（{args}）"),
    "Option {name!r} requires an argument.": (
        "选项 {name!r} 需要一个值。",
        "选项 {name!r} 需要 {nargs} 个值。",
    ),
    "Takes {nargs} values but 1 was given.": (
        "需要 {nargs} 个值，只给了 1 个。",
        "需要 {nargs} 个值，给了 {len} 个。",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。",
        "需要 {len_type} 个值，给了 {len_value} 个。",
    ),
    "{value!r} does not match the format {format}.": (
        "{value!r} 不符合格式 {format}。",
        "{value!r} 不符合格式 {formats}。",
    ),
    "{value!r} is not {choice}.": ("{value!r} 应为 {choice}。", "{value!r} 应为以下之一：{choices}。"),
}
_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
    "_termui_impl",
)


OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a Chinese character takes two (click counts one)."""
    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in plain)


def localize(command: Any) -> None:
    """Chinese placeholders in the usage line of ``command`` and every command under it."""
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    if getattr(command, "subcommand_metavar", None) in (
        "COMMAND [ARGS]...",
        "COMMAND1 [ARGS]... [COMMAND2 [ARGS]...]...",
    ):
        command.subcommand_metavar = SUBCOMMAND_METAVAR
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def gettext(message: str) -> str:
    return CATALOGUE.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if singular in PLURALS:
        one, many = PLURALS[singular]
        return one if n == 1 else many
    return singular if n == 1 else plural


def install() -> None:
    """Make click speak Chinese (idempotent)."""
    for name in _MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module a click release dropped
            continue
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    formatting = importlib.import_module("click.formatting")
    formatting.term_len = display_width  # type: ignore[attr-defined]  # aligns option help in columns
    types = importlib.import_module("click.types")
    for class_name, word in TYPE_NAMES.items():
        if hasattr(types, class_name):
            getattr(types, class_name).name = word
