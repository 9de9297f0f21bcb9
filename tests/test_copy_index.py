"""XREF.COPIED through the similarity index: a copy is found among every report of the year."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from monitor.model import Report, Section
from monitor.similarity import (
    BANDS,
    COPY_SHARE,
    MIN_SHINGLES,
    band_keys,
    estimated_share,
    own_shingles,
    share,
    shingle_hashes,
    signature,
)
from nianbao.context import index_entry, rule_context
from nianbao.indexing import ensure_indexed
from nianbao.ingest import ingest_bytes
from storage.db import write_transaction
from storage.queries import findings
from storage.reports import latest_report, write_report
from storage.similarity import candidates
from storage.sites import get_site
from tests.support.archive import add_site, manual_clock, open_archive, seed_bytes
from tests.support.batch import variant_agency
from tests.support.synthetic import SyntheticReports

REPORTS = SyntheticReports()
YEAR = 2023


@pytest.fixture
def archive(tmp_path):
    archive = open_archive(tmp_path / "data", manual_clock())
    yield archive
    archive.close()


def report_of(number: int, agency: str, narrative=None) -> Report:
    """A parsed report telling a synthetic narrative (without reading a file: thousands are needed)."""
    told = narrative or REPORTS.narrative(number)
    return Report(
        path=f"https://s{number}.gov.cn/nb/{YEAR}.html",
        format="html",
        agency=agency,
        heading_agency=agency,
        year=YEAR,
        sections={
            1: Section(1, "一、总体情况", "\n".join(told.overview), 5),
            5: Section(5, "五、存在的主要问题及改进情况", "\n".join(told.problems), 60),
        },
    )


def fill(archive, count: int, *, skip: int | None = None) -> None:
    """``count`` sites, each with its current report of YEAR in the index (report ``skip`` left out)."""
    now = archive.now()
    db = archive.db
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO sites (id, agency, level, start_urls, added_at, updated_at)"
            " VALUES (?, ?, 'department', '[]', ?, ?)",
            [(f"s{n:05d}", variant_agency(n), now, now) for n in range(count)],
        )
        for n in range(count):
            if n == skip:
                continue
            sha = f"{n:064x}"
            db.execute("INSERT INTO blobs (sha256, size, stored_at) VALUES (?, 1, ?)", [sha, now])
            document = db.execute(
                "INSERT INTO documents (site_id, url, sha256, size, origin, first_seen, last_seen)"
                " VALUES (?, ?, ?, 1, 'crawl', ?, ?)",
                [f"s{n:05d}", f"https://s{n}.gov.cn/nb/{YEAR}.html", sha, now, now],
            ).lastrowid
            report = report_of(n, variant_agency(n))
            write_report(
                db,
                site_id=f"s{n:05d}",
                document_id=int(document or 0),
                year=YEAR,
                report=report,
                parse_error=None,
                run_id=None,
                now=now,
                report_key=report.path,
                sketch=index_entry(report),
            )


def test_signatures_estimate_the_share_and_band_keys_are_stable():
    a = own_shingles(report_of(1, "东湖区教育局"))
    b = own_shingles(report_of(2, "西湖区财政局"))
    c = own_shingles(report_of(0, "青山区审计局", REPORTS.copy_of(1)))
    assert a.size > MIN_SHINGLES and b.size > MIN_SHINGLES
    exact = share(c, a)
    assert exact >= COPY_SHARE
    assert abs(estimated_share(signature(c), c.size, signature(a), a.size) - exact) < 0.15
    assert share(b, a) < 0.05 and estimated_share(signature(b), b.size, signature(a), a.size) < 0.2
    # The same text gives the same keys in every process (no salted hash()).
    keys = band_keys(signature(shingle_hashes("政府信息公开工作年度报告总体情况")))
    assert len(keys) == BANDS and keys == band_keys(
        signature(shingle_hashes("政府信息公开工作年度报告总体情况"))
    )
    assert np.array_equal(shingle_hashes("一二三四五六七八九十甲"), shingle_hashes("一二三四五六七八九十甲"))


def test_template_wording_never_makes_reports_alike():
    """Two narratives that both say every standard sentence of the template share nothing of their own."""
    from monitor.similarity import TEMPLATE_WORDING

    def with_template(number: int, agency: str) -> Report:
        told = REPORTS.narrative(number)
        paragraphs = list(told.overview)
        for i, sentence in enumerate(TEMPLATE_WORDING):
            paragraphs.insert(i % (len(paragraphs) + 1), sentence + "。")
        return report_of(number, agency, type(told)(tuple(paragraphs), told.problems))

    one, other = with_template(5, "东湖区教育局"), with_template(6, "西湖区财政局")
    assert share(own_shingles(one), own_shingles(other)) < 0.05
    assert share(own_shingles(one), own_shingles(report_of(5, "东湖区教育局"))) > 0.9


@pytest.mark.slow
def test_a_copy_is_found_among_ten_thousand_others(archive):
    count, original = 10_000, 4321
    fill(archive, count, skip=original)
    # The original arrives as agencies send it (a file read and checked), then its copy elsewhere.
    site = f"s{original:05d}"
    text = REPORTS.text(REPORTS.narrative(original), variant_agency(original), YEAR, seed_prefix="001")
    first = ingest_bytes(archive, site, text, name="original.txt")
    assert first.status == "added" and "XREF.COPIED" not in {f.code for f in first.findings}
    add_site(archive, "copier", "赣州经开区城市管理局")
    copy = REPORTS.text(REPORTS.copy_of(original), "赣州经开区城市管理局", YEAR, seed_prefix="002")
    result = ingest_bytes(archive, "copier", copy, name="copy.txt")
    (found,) = [f for f in result.findings if f.code == "XREF.COPIED"]
    assert found.evidence["other_agency"] == variant_agency(original)
    assert found.evidence["share"] >= COPY_SHARE
    assert "同年度其他机关" in found.message
    # Few of the 10,000 were even looked at, and only the copy was read for the exact comparison.
    copier_report = latest_report(archive.db, "copier", YEAR)
    assert copier_report is not None
    mine = index_entry(copier_report)
    looked_at = candidates(archive.db, YEAR, mine.bands, exclude_site="copier")
    assert original in {int(c.site_id[1:]) for c in looked_at if c.site_id.startswith("s")}
    assert len(looked_at) < 200
    copier = get_site(archive.db, "copier")
    assert copier is not None
    ctx = rule_context(archive.db, copier, copier_report, publication=None, today=date(2024, 2, 5))
    assert [p.agency for p in ctx.peers] == [variant_agency(original)]
    # None of the other 9,999 distinct narratives is taken for a copy.
    assert [f.code for f in findings(archive.db, code="XREF.COPIED")] == ["XREF.COPIED"]


def test_one_finding_per_pair(archive):
    for site, agency in (("a", "东湖区教育局"), ("b", "西湖区财政局")):
        add_site(archive, site, agency)
    original = REPORTS.text(REPORTS.narrative(11), "东湖区教育局", YEAR)
    copy = REPORTS.text(REPORTS.copy_of(11, keep=0.97), "西湖区财政局", YEAR, seed_prefix="001")
    ingest_bytes(archive, "a", original, name="a.txt")
    assert "XREF.COPIED" in {f.code for f in ingest_bytes(archive, "b", copy, name="b.txt").findings}
    # The original is corrected elsewhere and read again: the pair is already reported by the copy.
    archive.clock.advance(days=3)
    again = ingest_bytes(archive, "a", original + b"\n", name="a2.txt")
    assert again.status == "added" and "XREF.COPIED" not in {f.code for f in again.findings}
    assert [(f.site, f.code) for f in findings(archive.db, code="XREF.COPIED")] == [("b", "XREF.COPIED")]


def test_reports_archived_before_the_index_are_indexed_on_first_use(archive):
    add_site(archive, "a", "东湖区教育局")
    add_site(archive, "b", "西湖区财政局")
    ingest_bytes(archive, "a", REPORTS.text(REPORTS.narrative(21), "东湖区教育局", YEAR), name="a.txt")
    archive.db.execute("DELETE FROM report_bands")
    archive.db.execute("DELETE FROM report_sketches")  # as after migration m003
    from nianbao import indexing

    indexing._complete.discard(archive.db)
    assert ensure_indexed(archive.db) == 1
    assert ensure_indexed(archive.db) == 0
    copy = REPORTS.text(REPORTS.copy_of(21), "西湖区财政局", YEAR, seed_prefix="003")
    result = ingest_bytes(archive, "b", copy, name="b.txt")
    assert "XREF.COPIED" in {f.code for f in result.findings}


def test_seed_copies_keep_todays_verdicts(archive):
    """The rule's test cases through the archive: a name-swapped copy fires, two agencies of one district do not."""
    add_site(archive, "jtfw", "赣州经开区教体服务中心")
    add_site(archive, "jgsw", "赣州经开区机关事务管理中心")
    add_site(archive, "cgj", "赣州经开区城市管理局")
    ingest_bytes(archive, "jtfw", seed_bytes("000"), name="000.txt")
    other = ingest_bytes(archive, "jgsw", seed_bytes("001"), name="001.txt")
    assert "XREF.COPIED" not in {f.code for f in other.findings}
    swapped = seed_bytes("000").decode().replace("教体服务中心", "城市管理局").encode()
    copied = ingest_bytes(archive, "cgj", swapped, name="copy.txt")
    (found,) = [f for f in copied.findings if f.code == "XREF.COPIED"]
    assert found.evidence["share"] > 0.9 and found.evidence["other_agency"] == "赣州经开区教体服务中心"
