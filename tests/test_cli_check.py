"""`nianbao check`: the command-line contract (flags, JSON fields, exit status, errors)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.paths import SEEDS as SEED_DIR
from tests.support.renderers import SEEDS


def seed_path(key: str) -> str:
    return str(SEED_DIR / f"{SEEDS[key]}.txt")


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(cli: Cli) -> Run:
    """``nianbao ARGS`` in-process: (exit code, stdout, stderr)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        result = cli(*args)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_json_contract(run: Run) -> None:
    code, out, _ = run("check", "--json", seed_path("001"), seed_path("003"))
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["path"] for o in objects] == [seed_path("001"), seed_path("003")]
    first = objects[0]
    for key in (
        "path",
        "agency",
        "year",
        "level",
        "template",
        "published",
        "signed",
        "period",
        "sections",
        "tables",
        "findings",
    ):
        assert key in first
    assert (first["agency"], first["year"], first["level"], first["template"]) == (
        "赣州经开区机关事务管理中心",
        2023,
        "department",
        "2021",
    )
    assert first["signed"] == "2023-01-29"
    assert first["period"]["start"] == "2023-01-01" and first["period"]["end"] == "2023-12-31"
    assert set(first["sections"]) == {"1", "2", "3", "4", "5", "6"}
    assert first["tables"]["table3"]["rows"]["new"]["total"] == {"raw": "0", "value": 0}
    assert first["tables"]["table4"]["rows"]["cases"]["review.corrected"] == {"raw": "0", "value": 0}
    assert first["findings"] == [
        {
            "code": "DATE.SIGNATURE_YEAR",
            "severity": "error",
            "message": first["findings"][0]["message"],
            "evidence": first["findings"][0]["evidence"],
        }
    ]
    assert objects[1]["tables"]["table3"]["rows"]["new"]["total"] == {"raw": "", "value": None}


def test_flags_reach_the_rules(run: Run) -> None:
    code, out, _ = run("check", "--json", "--published", "2024-02-05", seed_path("000"))
    obj = json.loads(out)
    assert code == 0 and obj["published"] == "2024-02-05"
    assert "PUB.LATE" in {f["code"] for f in obj["findings"]}
    code, out, _ = run(
        "check", "--json", "--published", "2024-02-05", "--level", "government", seed_path("000")
    )
    assert "PUB.LATE" not in {f["code"] for f in json.loads(out)["findings"]}
    code, out, _ = run("check", "--json", "--year", "2022", "--agency", "某机关", seed_path("000"))
    obj = json.loads(out)
    assert (obj["year"], obj["agency"]) == (2022, "某机关")


def test_readable_output_groups_by_severity(run: Run) -> None:
    code, out, _ = run("check", seed_path("004"), seed_path("001"))
    assert code == 0
    assert "警告（2）" in out and "STRUCT.AGENCY_MISSING" in out
    assert "错误（1）" in out and "DATE.SIGNATURE_YEAR" in out
    assert out.index("错误（1）") < out.index("DATE.SIGNATURE_YEAR")
    assert "依据：" in out and "原文：2023年1月29日" in out


def test_bad_date_flag_is_a_usage_error(run: Run) -> None:
    code, _, err = run("check", "--published", "2024/02/05", seed_path("000"))
    assert code == 2 and "不是 年-月-日 形式的日期" in err


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "文件为空"),
        ("binary.html", bytes(range(256)) * 64, "二进制"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer garbage", "PDF"),
        ("notice.txt", "会议通知\n请于周五前报送。\n".encode(), "不是政府信息公开工作年度报告"),
    ],
)
def test_unreadable_inputs_exit_2_and_the_others_are_still_reported(
    tmp_path: Path, name: str, content: bytes, problem: str, run: Run
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    code, out, err = run("check", "--json", str(bad), seed_path("000"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and problem in lines[0]
    assert "Traceback" not in err
    assert json.loads(out)["path"] == seed_path("000")


def test_missing_and_huge_files(tmp_path: Path, run: Run) -> None:
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    code, _, err = run("check", str(tmp_path / "nope.txt"), str(huge))
    assert code == 2
    assert "nope.txt: 文件不存在" in err and "huge.pdf: 文件过大（50.0 MB" in err


def test_script_in_title_is_kept_as_text(tmp_path: Path, run: Run) -> None:
    page = tmp_path / "x.html"
    body = (SEED_DIR / f"{SEEDS['000']}.txt").read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines() if "\t" not in line)
    page.write_text(
        f"<html><head><title><script>alert(1)</script>年报</title></head><body>{paragraphs}</body></html>",
        encoding="utf-8",
    )
    code, out, err = run("check", "--json", str(page))
    assert code == 0, err
    obj = json.loads(out)
    assert obj["agency"] == "赣州经开区教体服务中心"
    assert "STRUCT.TABLE_MISSING" in {f["code"] for f in obj["findings"]}


def test_console_script_and_python_m() -> None:
    exe = shutil.which("nianbao", path=str(Path(sys.executable).parent))
    assert exe, "the nianbao console script is installed with the package"
    proc = subprocess.run([exe, "check", seed_path("002")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "卫滨区教育局" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "nianbao", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "check" in proc.stdout


def test_deadline_override_for_a_township(run: Run) -> None:
    late = ["check", "--json", "--level", "township", "--published", "2024-02-25", seed_path("000")]
    code, out, _ = run(*late)
    assert code == 0 and "PUB.LATE" not in {
        f["code"] for f in json.loads(out)["findings"]
    }  # no statutory date
    code, out, _ = run(*late, "--deadline", "02-20")
    found = [f for f in json.loads(out)["findings"] if f["code"] == "PUB.LATE"]
    assert len(found) == 1 and found[0]["evidence"]["deadline"] == "2024-02-20"
    code, _, err = run(*late, "--deadline", "02-30")
    assert code == 2 and "MM-DD" in err


def test_a_directory_is_an_unreadable_input(tmp_path: Path, run: Run) -> None:
    code, out, err = run("check", "--json", str(tmp_path), seed_path("000"))
    assert code == 2 and f"{tmp_path}: 是目录而不是文件" in err
    assert json.loads(out)["path"] == seed_path("000")
