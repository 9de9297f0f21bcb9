"""The digest as of its cutoff: a regenerated past week says what it said then; the chart agrees with the headline."""

from __future__ import annotations

from datetime import date

import pytest

from nianbao.digest import build_digest, resolve_period
from nianbao.ingest import ingest_bytes
from storage.clock import iso
from storage.reviews import add_review
from tests.support.archive import ManualArchive, add_site, seed_bytes

SIGNED = "\n\n卫滨区人民政府\n2024年1月25日\n".encode()


@pytest.mark.parametrize("clock_start", ["2024-02-06T10:00:00"])  # Tuesday of 2024-W06
def test_a_regenerated_past_week_keeps_its_reports_and_deadlines(archive: ManualArchive) -> None:
    add_site(archive, "qzf", "卫滨区人民政府", level="government")
    ingest_bytes(archive, "qzf", seed_bytes("002"), name="v1.txt", year=2023)

    def summary() -> tuple[int, int, list[tuple[str, int]]]:
        digest = build_digest(archive.db, resolve_period("2024-W06", now=date(2024, 2, 20)))
        return (
            digest.headline.reports,
            digest.headline.reports_new,
            [(u.site_id, u.year) for u in digest.upcoming],
        )

    before = summary()
    assert before == (1, 1, [])
    archive.clock.advance(days=7)  # 2024-W07: a corrected version of the same report
    ingest_bytes(archive, "qzf", seed_bytes("002") + SIGNED, name="v2.txt", year=2023)
    assert summary() == before  # not "临近截止" for an agency that had already published in W06


@pytest.mark.parametrize("clock_start", ["2024-02-05T10:00:00"])  # Monday of 2024-W06
def test_the_charts_last_bar_is_the_headlines_open_errors(archive: ManualArchive) -> None:
    for site in ("kept", "gone", "later"):
        add_site(archive, site, f"{site}局")
    ingest_bytes(archive, "kept", seed_bytes("001"), name="a.txt")  # DATE.SIGNATURE_YEAR: an error
    ingest_bytes(archive, "gone", seed_bytes("001"), name="b.txt")
    add_site(archive, "gone", "gone局", enabled=False)  # disabled: not monitored, not counted
    archive.clock.advance(days=2)  # Wednesday: after the digest's --today below
    ingest_bytes(archive, "later", seed_bytes("001"), name="c.txt")

    digest = build_digest(archive.db, resolve_period(None, date(2024, 2, 5)))
    assert digest.headline.open_errors == 1
    assert digest.chart.bars[-1].week == "2024-W06"
    assert digest.chart.bars[-1].value == digest.headline.open_errors

    now = build_digest(archive.db, resolve_period(None, date(2024, 2, 7)))
    assert now.headline.open_errors == now.chart.bars[-1].value == 2
    assert [b.value for b in now.chart.bars[:-1]] == [0] * (len(now.chart.bars) - 1)

    # Dismissed as a false finding in W07: left out of W07's bar as of the headline, still in W06's.
    archive.clock.advance(days=7)
    (kept,) = archive.db.execute(
        "SELECT id FROM findings WHERE site_id = 'kept' AND code = 'DATE.SIGNATURE_YEAR'"
    ).fetchone()
    add_review(archive.db, kept, "dismissed", note="误报", reviewer="张三", now=iso(archive.clock()))
    later = build_digest(archive.db, resolve_period(None, date(2024, 2, 14)))
    assert later.headline.open_errors == later.chart.bars[-1].value == 1
    assert later.chart.bars[-2].value == 2
