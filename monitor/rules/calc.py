"""CALC.*: the arithmetic the template states (勾稽关系, format.md)."""

from __future__ import annotations

from monitor.model import Finding, Report, Table
from monitor.rules.evidence import cell_ref, row_name
from monitor.rules.registry import RuleContext, finding, rule
from monitor.rules.structure import numeric_cells
from monitor.template import (
    TABLE3_APPLICANT_COLUMNS,
    TABLE3_COLUMNS,
    TABLE3_RESULT_ROWS_2019,
    TABLE3_RESULT_ROWS_2021,
    TABLE4_GROUPS,
    column_label,
)


def _fmt(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _values(table: Table, cells: list[tuple[str, str]]) -> list[float | int] | None:
    """The numbers in these (row, col) cells, or None if any is not a number (blank cells are reported
    apart) or sits in a row the reader could not place with confidence (no sum is asserted on it)."""
    out = []
    for row, col in cells:
        if row in table.uncertain:
            return None
        value = table.value(row, col)
        if value is None:
            return None
        out.append(value)
    return out


@rule("CALC.T3_BALANCE")
def t3_balance(report: Report, ctx: RuleContext) -> list[Finding]:
    table = report.tables.get("table3")
    if not table or not table.found:
        return []
    found = []
    for col in TABLE3_COLUMNS:
        v = _values(
            table, [(r, col.key) for r in ("new", "carried_over", "results_total", "carried_forward")]
        )
        if v is None or abs((v[0] + v[1]) - (v[2] + v[3])) < 1e-9:
            continue
        found.append(
            finding(
                "CALC.T3_BALANCE",
                f"表三“{col.label}”列：本年新收{_fmt(v[0])}+上年结转{_fmt(v[1])}={_fmt(v[0] + v[1])}，"
                f"而办理结果总计{_fmt(v[2])}+结转下年度{_fmt(v[3])}={_fmt(v[2] + v[3])}",
                {
                    "table": "table3",
                    "column": col.key,
                    "column_label": col.label,
                    "cells": [
                        cell_ref(report, "table3", r, col.key, table.cell(r, col.key))
                        for r in ("new", "carried_over", "results_total", "carried_forward")
                    ],
                },
                subject=f"table3.{col.key}",
            )
        )
    return found


def _result_rows(report: Report, table: Table) -> tuple[str, ...]:
    """The result rows summed into （七）总计. A 2021 report that prints （六）其他处理 as one row
    without its sub-rows (STRUCT.ROWS_MISSING names them) still adds up: the one row counts."""
    if report.template == "2019":
        return TABLE3_RESULT_ROWS_2019
    subrows = [r for r in TABLE3_RESULT_ROWS_2021 if r.startswith("other.")]
    if "other" in table.rows and not any(r in table.rows for r in subrows):
        return (*(r for r in TABLE3_RESULT_ROWS_2021 if r not in subrows), "other")
    return TABLE3_RESULT_ROWS_2021


@rule("CALC.T3_RESULT_TOTAL")
def t3_result_total(report: Report, ctx: RuleContext) -> list[Finding]:
    table = report.tables.get("table3")
    if not table or not table.found:
        return []
    rows = _result_rows(report, table)
    found = []
    for col in TABLE3_COLUMNS:
        parts = _values(table, [(r, col.key) for r in rows])
        total = table.value("results_total", col.key)
        if parts is None or total is None or abs(sum(parts) - total) < 1e-9:
            continue
        nonzero = [
            f"{row_name(report, 'table3', r)}={_fmt(v)}" for r, v in zip(rows, parts, strict=True) if v
        ]
        found.append(
            finding(
                "CALC.T3_RESULT_TOTAL",
                f"表三“{col.label}”列：（七）总计为{_fmt(total)}，各项办理结果之和为{_fmt(sum(parts))}",
                {
                    "table": "table3",
                    "column": col.key,
                    "total": cell_ref(
                        report, "table3", "results_total", col.key, table.cell("results_total", col.key)
                    ),
                    "sum": sum(parts),
                    "nonzero_parts": nonzero,
                },
                subject=f"table3.{col.key}",
            )
        )
    return found


@rule("CALC.T3_ROW_TOTAL")
def t3_row_total(report: Report, ctx: RuleContext) -> list[Finding]:
    table = report.tables.get("table3")
    if not table or not table.found:
        return []
    found = []
    for row in table.rows:
        parts = _values(table, [(row, c) for c in TABLE3_APPLICANT_COLUMNS])
        total = table.value(row, "total")
        if parts is None or total is None or abs(sum(parts) - total) < 1e-9:
            continue
        found.append(
            finding(
                "CALC.T3_ROW_TOTAL",
                f"表三“{row_name(report, 'table3', row)}”行：总计为{_fmt(total)}，六类申请人之和为{_fmt(sum(parts))}",
                {
                    "table": "table3",
                    "row": row,
                    "line": table.lines.get(row),
                    "cells": {
                        column_label("table3", c): table.rows[row][c].raw
                        for c in (*TABLE3_APPLICANT_COLUMNS, "total")
                    },
                },
                subject=f"table3.{row}",
            )
        )
    return found


@rule("CALC.T4_TOTAL")
def t4_total(report: Report, ctx: RuleContext) -> list[Finding]:
    table = report.tables.get("table4")
    if not table or not table.found:
        return []
    found = []
    for group, label in TABLE4_GROUPS:
        keys = [f"{group}.{o}" for o in ("upheld", "corrected", "other", "pending")]
        parts = _values(table, [("cases", k) for k in keys])
        total = table.value("cases", f"{group}.total")
        if parts is None or total is None or abs(sum(parts) - total) < 1e-9:
            continue
        found.append(
            finding(
                "CALC.T4_TOTAL",
                f"表四“{label}”：总计为{_fmt(total)}，维持、纠正、其他、尚未审结之和为{_fmt(sum(parts))}",
                {
                    "table": "table4",
                    "group": group,
                    "line": table.lines.get("cases"),
                    "cells": {
                        column_label("table4", k): table.rows["cases"][k].raw
                        for k in (*keys, f"{group}.total")
                    },
                },
                subject=f"table4.{group}",
            )
        )
    return found


def _shortened(raw: str, keep: int = 24) -> str:
    """A cell's text as quoted in a message: a 400-digit "number" is cut, with its length said."""
    return raw if len(raw) <= keep else f"{raw[:keep]}…（共{len(raw)}个字符）"


@rule("CALC.INVALID_NUMBER")
def invalid_number(report: Report, ctx: RuleContext) -> list[Finding]:
    found = []
    for key in ("table2", "table3", "table4"):
        table = report.tables.get(key)
        if not table or not table.found:
            continue
        bad = []
        for row, col, cell, kind in numeric_cells(report, key):  # rows read with confidence
            if cell.kind == "text":
                bad.append(
                    (row, col, cell, "数值过大（不可能是件数或金额）" if cell.oversized else "不是数字")
                )
            elif (
                cell.value is not None
                and kind == "count"
                and (cell.value < 0 or not float(cell.value).is_integer())
            ):
                bad.append((row, col, cell, "负数" if cell.value < 0 else "不是整数"))
            elif cell.value is not None and kind == "amount" and cell.value < 0:
                bad.append((row, col, cell, "负数"))
        if bad:
            refs = [cell_ref(report, key, r, c, cell) | {"problem": why} for r, c, cell, why in bad]
            found.append(
                finding(
                    "CALC.INVALID_NUMBER",
                    f"{refs[0]['where']}填写“{_shortened(refs[0]['raw'])}”，{refs[0]['problem']}"
                    + (f"；另有{len(refs) - 1}处" if len(refs) > 1 else ""),
                    {"table": key, "cells": refs[:40]},
                    subject=key,
                )
            )
    return found
