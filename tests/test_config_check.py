"""`nianbao config check` and `schedule --list`: every setting checked before anything runs, every problem at once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import cli

SITES = (
    "sites:\n"
    "  - agency: 郑县人民政府\n    levle: government\n    start_urls: [www.zhengxian.gov.cn/nb/]\n"
    "  - agency: 郑县市场监督管理局\n    deadline: '02-30'\n    start_urls: [http://scj.zhengxian.gov.cn/nb/]\n"
    "  - agency: 郑县教育体育局\n    start_urls: [http://jyj.zhengxian.gov.cn/nb/]\n"
)


def write(tmp_path: Path, toml: str, sites: str = SITES) -> Path:
    (tmp_path / "sites.yaml").write_text(sites, encoding="utf-8")
    path = tmp_path / "nianbao.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[schedule]\ntimezon = "Asia/Shanghai"\nsites = "sites.yaml"\n'
        '[schedule.digest]\nxlsx = "yes"\nmail = true\n'
        '[schedule.weekly_crawl]\ncron = "0 26 * * mon"\n',
    )
    done = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    out = done.output
    assert done.exit_code == 1
    assert "[schedule] timezon：无法识别的键，是否是 timezone？" in out
    assert "[schedule.digest] xlsx = 'yes'：应为 true 或 false（不加引号）" in out
    assert "[schedule.digest] mail = true，但文件中没有 [mail] 设置" in out
    assert "第 1 个站点（第 2 行）：键 'levle' 无法识别；是否是「level」？" in out
    assert "第 2 个站点（第 5 行）：截止日期「02-30」不是每年都有的日期" in out
    assert str(path) in out and str(tmp_path / "sites.yaml") in out
    for english in ("Error validating", "Input should", "Traceback"):
        assert english not in out


def test_mail_settings_are_checked_key_by_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[schedule]\nsites = "sites.yaml"\n[schedule.digest]\nmail = true\n'
        '[mail]\nhost = "smtp.example.gov.cn"\nsender = "nianbao@example.gov.cn"\nto = ["dck@example.gov.cn"]\n'
        'securty = "starttls"\nport = "587"\npassword_env = "NIANBAO_TEST_UNSET_VARIABLE"\n',
        sites="sites:\n  - agency: 郑县教育体育局\n    start_urls: [http://jyj.zhengxian.gov.cn/nb/]\n",
    )
    done = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert done.exit_code == 1
    assert "[mail] securty：无法识别的键，是否是 security？" in done.output
    assert "[mail] port = '587'：应为整数（不加引号）" in done.output
    assert "环境变量 NIANBAO_TEST_UNSET_VARIABLE 未设置" in done.output


def test_a_right_configuration_passes_and_schedule_list_checks_too(tmp_path: Path) -> None:
    sites = "sites:\n  - agency: 郑县教育体育局\n    start_urls: [http://jyj.zhengxian.gov.cn/nb/]\n"
    good = write(tmp_path, '[schedule]\nsites = "sites.yaml"\n', sites=sites)
    done = CliRunner().invoke(cli, ["config", "check", "--config", str(good)])
    assert done.exit_code == 0 and "配置正确" in done.output and "1 个站点可导入" in done.output
    bad = write(tmp_path, '[schedule]\nsites = "sites.yaml"\n[schedule.digest]\nmail = true\n', sites=sites)
    listing = CliRunner().invoke(cli, ["schedule", "--config", str(bad), "--list"])
    assert listing.exit_code == 2 and "没有 [mail] 设置" in listing.output
