"""Reading nianbao's TOML settings file and explaining what is wrong with it, in Chinese.

One file holds several tables ([schedule], [mail], …), each validated by its
own pydantic model; these helpers turn pydantic's findings into lines that
name the table, the key, the value and what is expected, with a "did you
mean" for a mistyped key or table.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.errors import NianbaoError

# Tables of the same file that other parts of nianbao read; a near miss of these is a typo.
KNOWN_TABLES = ("schedule", "mail")


def read_toml(source: Path, error: type[NianbaoError]) -> dict[str, Any]:
    """The TOML file as a dict; ``error`` (naming the file, and the line for a syntax error) when it cannot be."""
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{source}：无法读取配置文件（{exc.strerror}）") from exc
    except UnicodeDecodeError:
        raise error(f"{source}：不是 UTF-8 编码的文本文件") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+)", str(exc))
        line = f"第 {where.group(1)} 行" if where else "某处"
        raise error(f"{source}：不是有效的 TOML：{line}格式有误（等号、引号或方括号）") from None


def joined(source: Path | str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}：{problems[0]}"
    return f"{source}：发现 {len(problems)} 处问题：\n" + "\n".join(f"  {p}" for p in problems)


def table_typos(data: dict[str, Any]) -> list[str]:
    """Top-level tables whose name is a near miss of one nianbao reads ([shedule], [mial])."""
    out = []
    for key in data:
        if key in KNOWN_TABLES:
            continue
        close = difflib.get_close_matches(key, KNOWN_TABLES, n=1, cutoff=0.6)
        if close:
            out.append(f"[{key}] 无法识别，是否是 [{close[0]}]？")
    return out


_TYPE_WORDS = {
    "bool_type": "应为 true 或 false（不加引号）",
    "string_type": "应为带引号的文字",
    "float_type": "应为数字（不加引号）",
    "int_type": "应为整数（不加引号）",
    "tuple_type": '应为两个值的列表，如 ["01-20", "04-10"]',
    "list_type": "应为列表",
    "model_type": "应为表",
    "dict_type": "应为表",
    "missing": "缺少此项",
}


def model_problems(exc: ValidationError, table: str, model: type[BaseModel]) -> list[str]:
    """pydantic's errors as Chinese lines naming [table] key, the value and what is expected."""
    out = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        keys = [part for part in loc if not part.isdigit()]
        where = f"[{'.'.join([table, *keys[:-1]])}] {keys[-1]}" if keys else f"[{table}]"
        if error["type"] == "extra_forbidden":
            choices = _fields_at(model, keys[:-1])
            close = difflib.get_close_matches(keys[-1], choices, n=1, cutoff=0.5)
            hint = f"是否是 {close[0]}？" if close else f"可用的键：{'、'.join(choices)}"
            out.append(f"{where}：无法识别的键，{hint}")
            continue
        if error["type"] in ("too_short", "too_long"):
            reason = _TYPE_WORDS["tuple_type"]
        else:
            reason = _TYPE_WORDS.get(error["type"], str(error.get("msg", "值无效")))
        value = error.get("input")
        shown = f" = {value!r}" if error["type"] not in ("missing", "too_short", "too_long") else ""
        out.append(f"{where}{shown}：{reason}")
    return out


def _fields_at(model: type[BaseModel], keys: list[str]) -> list[str]:
    for key in keys:
        annotation = model.model_fields[key].annotation if key in model.model_fields else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return list(model.model_fields)
