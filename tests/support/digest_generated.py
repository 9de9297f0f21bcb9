"""A generated archive of N agencies for the digest's scale tests and bench/digest_bench.py.

Built through storage's public API (``start_run``, ``record_report``,
``add_finding``, ``finish``) with a manual clock: three weekly crawls
(Mondays 2024-02-19, 02-26 and 03-04, 09:00) over N agencies in 20 regions
(mostly departments, some governments and townships), each with reports for
``years`` report years. Deterministic for a given N and seed. Per agency, by
its index (so every N has every kind):

- 4 % publish nothing for the report year (PUB.MISSING), 6 % publish late (PUB.LATE);
- 2 % are unreachable and 2 % blocked in the last crawl (their older findings stay);
- about a third of the rest carry errors or warnings (table sums, signature year, blank cells),
  some opened this week, some fixed this week by a new version of the report;
- governments (deadline 03-31) have not all published yet (临近截止);
- agency 0 carries hostile text: a title, a quote and a URL meant to break a page.

The report year is 2023; the digest's week is 2024-W10 as of 2024-03-04 (``TODAY``).
"""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

from monitor.codes import code_of
from monitor.model import CST, Finding, Publication, Report, Section
from storage.archive import Archive
from storage.runs import start_run
from storage.sites import Site, save_sites
from tests.support.archive import manual_clock, open_archive
from tests.support.batch import DEPARTMENTS, REGIONS

WEEK = "2024-W10"
TODAY = date(2024, 3, 4)
CRAWLS = ("2024-02-19T09:00:00", "2024-02-26T09:00:00", "2024-03-04T09:00:00")
REPORT_YEAR = 2023
HOSTILE_TITLE = '<script>alert("t")</script>示例区<b>文旅局</b>2023年年度报告'
HOSTILE_QUOTE = "<img src=x onerror=alert('q')>=HYPERLINK(\"http://evil.example\")"
HOSTILE_URL = "javascript:alert('u')"
REGION_NAMES = tuple(f"{name}区" for name in REGIONS[:20])
SECTION_NAMES = (
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议、行政诉讼情况",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
)


def kind_of(index: int) -> str:
    """What agency ``index`` shows in the digest of 2024-W10."""
    slot = index % 50
    if index == 0:
        return "errors"  # the hostile agency: its quotes show up in the details
    if slot in (1, 2):
        return "missing"
    if slot in (3, 4, 5):
        return "late"
    if slot == 6:
        return "unreachable"
    if slot == 7:
        return "blocked"
    if slot in range(8, 14):
        return "errors"
    if slot in range(14, 18):
        return "new_errors"  # found this week
    if slot in (18, 19):
        return "fixed"  # fixed this week
    if slot in range(20, 26):
        return "warnings"
    return "clean"


def level_of(index: int) -> str:
    return "government" if index % 10 == 9 else "township" if index % 25 == 24 else "department"


def sites(n: int) -> list[Site]:
    out = []
    for i in range(n):
        region = REGION_NAMES[i % len(REGION_NAMES)]
        level = level_of(i)
        name = (
            f"{region}人民政府"
            if level == "government"
            else f"{region}{DEPARTMENTS[(i // 20) % len(DEPARTMENTS)]}"
        )
        if level == "township":
            name = f"{region}第{i}街道办事处"
        out.append(
            Site(
                id=f"a{i:05d}",
                agency=f"{name}（{i}）",
                level=level,  # type: ignore[arg-type]
                region=region,
                start_urls=[f"https://a{i}.example.gov.cn/zfxxgk/nb/"],
                first_year=REPORT_YEAR,
            )
        )
    return out


def report_for(site: Site, year: int, version: int, *, hostile: bool) -> tuple[Report, bytes]:
    title = HOSTILE_TITLE if hostile else f"{site.agency}{year}年政府信息公开工作年度报告"
    sections = {
        n: Section(
            n,
            f"{'一二三四五六'[n - 1]}、{SECTION_NAMES[n - 1]}",
            "\n".join(
                f"{SECTION_NAMES[n - 1]}第{k}段：本机关{year}年依法做好相关工作（版本{version}）。"
                for k in range(1, 4)
            )
            + (f"\n{site.agency}\n{year + 1}年1月20日" if n == 6 else ""),
            n * 10,
        )
        for n in range(1, 7)
    }
    report = Report(
        path="report.html",
        format="html",
        title=title,
        agency=site.agency,
        year=year,
        level=site.level,
        template="2021",
        sections=sections,
    )
    body = (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        + "".join(f"<h2>{s.heading}</h2><p>{s.text}</p>" for s in sections.values())
        + f"<p>版本 {version}</p></body></html>"
    ).encode("utf-8")
    return report, body


def findings_for(kind: str, week: int, site: Site, year: int, *, hostile: bool) -> list[Finding]:
    """The findings the check of this report produces in crawl ``week`` (0, 1, 2)."""
    if year != REPORT_YEAR:
        return (
            [_finding("STRUCT.BLANK_CELLS", "表三有2个应填数字的单元格为空", {"table": "table3", "count": 2})]
            if kind == "errors"
            else []
        )
    out: list[Finding] = []
    quote = HOSTILE_QUOTE if hostile else f"{year}年1月20日"
    table_error = _finding(
        "CALC.T3_RESULT_TOTAL",
        "表三“总计”列：（七）总计为12，各项办理结果之和为11",
        {"table": "table3", "row": "results_total", "column": "total", "raw": "12", "line": 71},
        subject="total",
    )
    signature = _finding(
        "DATE.SIGNATURE_YEAR",
        f"{year}年度报告落款日期为{year}-01-20，应在{year + 1}年",
        {"quote": quote, "line": 105, "signed": f"{year}-01-20", "expected_year": year + 1},
    )
    if kind == "errors" or (kind == "new_errors" and week == 2) or (kind == "fixed" and week < 2):
        out += [table_error, signature]
    if kind == "late":
        out.append(
            _finding(
                "PUB.LATE",
                f"{year}年度报告于2024-02-20发布，晚于截止日期2024-01-31（逾期20天）",
                {
                    "published": "2024-02-20",
                    "published_source": "meta:PubDate",
                    "deadline": "2024-01-31",
                    "days_late": 20,
                },
            )
        )
    if kind in ("warnings", "errors"):
        out.append(
            _finding(
                "STRUCT.FEE_STATEMENT_MISSING",
                "第六部分未说明信息处理费收取情况",
                {
                    "section": "六、其他需要报告的事项",
                    "quote": f"{SECTION_NAMES[5]}第2段：本机关{year}年依法",
                },
            )
        )
    return out


def _finding(code: str, message: str, evidence: dict[str, object], subject: str = "") -> Finding:
    return Finding(code, code_of(code).severity, message, evidence, subject)


def build_archive(data_dir: str | Path, n: int = 500, *, years: int = 3, seed: int = 7) -> Archive:
    """Create the archive of ``n`` agencies in ``data_dir`` and replay three weekly crawls; the caller closes it."""
    rng = random.Random(seed)
    archive = open_archive(data_dir, manual_clock(CRAWLS[0]))
    registered = sites(n)
    save_sites(archive.db, registered, now=archive.now(), source="generated")
    columns = {row[1] for row in archive.db.execute("PRAGMA table_info(sites)").fetchall()}
    if {"contact", "phone"} <= columns:  # the sites list's contact columns, where the archive has them
        with archive.db.conn:
            archive.db.conn.executemany(
                "UPDATE sites SET contact = ?, phone = ? WHERE id = ?",
                [(f"联系人{i}", f"0797-{8000000 + i}", s.id) for i, s in enumerate(registered) if i % 3],
            )
    first_year = REPORT_YEAR - years + 1
    for week, stamp in enumerate(CRAWLS):
        archive.clock.moment = datetime.fromisoformat(stamp).replace(tzinfo=CST)
        today = date.fromisoformat(stamp[:10])
        for i, site in enumerate(registered):
            kind = kind_of(i)
            hostile = i == 0
            run = start_run(archive, site.id)
            if kind in ("unreachable", "blocked") and week == 2:
                code = "CRAWL.UNREACHABLE" if kind == "unreachable" else "CRAWL.BLOCKED"
                message = (
                    "网站无法访问：连接超时，已重试 3 次"
                    if kind == "unreachable"
                    else "网站返回 HTTP 412 反爬虫验证页"
                )
                run.add_finding(
                    _finding(
                        code,
                        message,
                        {"url": site.start_urls[0], "status": 412 if kind == "blocked" else None},
                    )
                )
                run.finish("unreachable" if kind == "unreachable" else "blocked", errors=[message])
                continue
            published_late = kind == "late"
            pending = site.level == "government" and i % 20 == 9
            for year in range(first_year, REPORT_YEAR + 1):
                if year == REPORT_YEAR and (kind == "missing" or pending):
                    continue
                version = 2 if (kind == "fixed" and week == 2) or (kind == "new_errors" and week == 2) else 1
                report, body = report_for(site, year, version, hostile=hostile)
                url = (
                    HOSTILE_URL
                    if hostile
                    else f"https://a{i}.example.gov.cn/zfxxgk/nb/{year}/t{year + 1}0120_{i}.html"
                )
                document = run.store_document(
                    body, url=url, name=f"{site.id}-{year}.html", content_type="text/html; charset=utf-8"
                )
                published = (
                    date(year + 1, 2, 20)
                    if published_late and year == REPORT_YEAR
                    else date(year + 1, 1, 20 + rng.randint(0, 9))
                )
                run.record_report(
                    document,
                    report,
                    findings_for(kind, week, site, year, hostile=hostile),
                    publication=Publication(
                        published, "meta:PubDate", url, f'<meta name="PubDate" content="{published}">'
                    ),
                )
            if kind == "missing":
                deadline = "2024-01-31"
                run.add_finding(
                    _finding(
                        "PUB.MISSING",
                        f"截至{today}，未在网站上找到{REPORT_YEAR}年度报告（截止日期{deadline}）",
                        {
                            "year": REPORT_YEAR,
                            "deadline": deadline,
                            "url": site.start_urls[0],
                            "date": today.isoformat(),
                        },
                    ),
                    year=REPORT_YEAR,
                )
            archive.clock.advance(seconds=1)
            run.finish("ok", counts={"pages": 3, "reports": years})
    return archive
