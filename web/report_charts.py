"""Server-side SVG bar charts for the reviewer dashboard: geometry here, markup in reports/_chart.html.

No chart library and no script: each chart is an SVG with a title and description (role="img"),
and the page puts the same figures in a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    text: str  # the value as read aloud and shown on hover


@dataclass
class Chart:
    """One bar chart: `bars` in plot coordinates, `ticks` (y, label) for the value axis."""

    id: str
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)  # the middle of each month with nothing to show
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x, label) under the axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM


def month_label(month: str) -> str:
    """`2025-04` → `Apr 25`."""
    return f"{date.fromisoformat(month + '-01'):%b %y}"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    points: list[tuple[str, float | None]],
    *,
    maximum: float | None = None,
    percent: bool = False,
) -> Chart:
    """Bars for `points` (label, value; None: nothing to show that month) on a 0..maximum scale."""
    top = maximum if maximum is not None else max([v for _, v in points if v is not None] + [1.0])
    chart = Chart(chart_id, title, description)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    every = max(1, round(len(points) / 12))
    for step in range(5):
        tick = top * step / 4
        y = TOP + plot_height * (1 - step / 4)
        chart.ticks.append((round(y, 1), f"{tick:.0%}" if percent else f"{tick:g}"))
    for index, (label, value) in enumerate(points):
        x = LEFT + index * slot
        if index % every == 0:
            chart.labels.append((round(x + slot / 2, 1), label))
        if value is None:
            chart.gaps.append(round(x + slot / 2, 1))
            continue
        height = plot_height * (value / top if top else 0)
        text = f"{value:.0%}" if percent else f"{value:g}"
        chart.bars.append(
            Bar(round(x + slot * 0.15, 1), round(TOP + plot_height - height, 1), round(slot * 0.7, 1),
                round(height, 1), label, text)
        )  # fmt: skip
    return chart


def nice_maximum(values: list[int]) -> float:
    """A round top for a count axis: 4, 8, 20, 40, 80, 200... so the ticks are whole numbers."""
    top = max([*values, 1])
    for candidate in (4, 8, 20, 40, 80, 200, 400, 800, 2000, 4000, 8000, 20000):
        if top <= candidate:
            return float(candidate)
    return float(top)
