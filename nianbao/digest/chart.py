"""A small bar chart of open errors per week, laid out here and drawn as inline SVG by the template."""

from __future__ import annotations

from datetime import date

from nianbao.digest.model import Bar, Chart
from nianbao.digest.weeks import Week
from storage.queries import WeekCount

WIDTH, HEIGHT = 600, 180
TOP, BOTTOM, LEFT, RIGHT = 22, 28, 8, 8
GAP = 0.3  # share of each slot left empty between bars


def weekly_chart(history: list[WeekCount]) -> Chart:
    """Bars scaled to the largest week; the value sits above each bar, the week's Monday below."""
    top = max((w.open for w in history), default=0)
    slot = (WIDTH - LEFT - RIGHT) / max(len(history), 1)
    plot = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    bars = []
    for index, week in enumerate(history):
        monday = date.fromisoformat(week.week_start)
        height = plot * week.open / top if top else 0.0
        bars.append(
            Bar(
                label=f"{monday.month}/{monday.day}",
                week=Week.containing(monday).label,
                value=week.open,
                x=round(LEFT + index * slot + slot * GAP / 2, 1),
                y=round(baseline - height, 1),
                width=round(slot * (1 - GAP), 1),
                height=round(height, 1),
            )
        )
    summary = "；".join(f"{b.week}：{b.value}" for b in bars)
    return Chart(WIDTH, HEIGHT, baseline, bars, top, summary)
