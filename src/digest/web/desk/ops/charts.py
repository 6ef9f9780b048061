"""Line charts drawn on the server as SVG: no script, no library, readable at 375 px.

``line_chart`` is pure: values in, markup out. The drawing is 360 units wide (about one unit
a pixel on a phone, scaled up to the column on a wide screen); every series has its own
colour and dash pattern and a legend, and the SVG names itself for screen readers. Pages
show the same figures as a table next to each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 46
# colour, dash: apart by colour and by line pattern (colour-blind readers, print)
STYLES = (
    ("#0b3d91", ""),
    ("#b35900", "6 3"),
    ("#1b7f3b", "2 3"),
    ("#a4000f", "8 3 2 3"),
    ("#6a3d9a", "4 2"),
)


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name (for the legend) and a value per x position (None: no value)."""

    name: str
    values: Sequence[float | None]


TICKS = 4  # gridlines above zero


def nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (an axis step; 1 for nothing)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value * (1 - 1e-9):
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def axis_top(peak: float, whole: bool = True) -> float:
    """The top of an axis for values up to ``peak``: TICKS equal, round steps (whole numbers
    for counts; fractions, at most 1, for shares)."""
    if peak <= 0:
        return float(TICKS) if whole else 1.0
    step = nice_step(peak / TICKS)
    if not whole:
        return min(1.0, step * TICKS)
    if whole:
        step = max(1.0, step)
    return step * TICKS


def _x(i: int, n: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(value: float, top: float) -> float:
    span = HEIGHT - TOP - BOTTOM
    return TOP + span - span * (value / top)


def _grid(top: float, fmt: Callable[[float], str]) -> list[str]:
    parts = []
    for k in range(TICKS + 1):
        value = top * k / TICKS
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#555">{escape(fmt(value))}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str]) -> list[str]:
    n = len(labels)
    picks = sorted({0, n // 2, n - 1}) if n > 2 else list(range(n))
    base = HEIGHT - BOTTOM + 14
    parts = []
    for i in picks:
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(
            f'<text x="{_x(i, n):.1f}" y="{base}" text-anchor="{anchor}" font-size="12" '
            f'fill="#555">{escape(labels[i])}</text>'
        )
    return parts


def _line(series: Series, n: int, top: float, style: tuple[str, str]) -> str:
    colour, dash = style
    runs: list[list[str]] = [[]]
    dots = []
    for i, value in enumerate(series.values):
        if value is None:
            runs.append([])
            continue
        point = f"{_x(i, n):.1f},{_y(value, top):.1f}"
        runs[-1].append(point)
        dots.append(point)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
        f'stroke-width="2"{dash_attr} stroke-linejoin="round"/>'
        for run in runs
        if len(run) > 1
    ]
    if n <= 40:
        out += [
            f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.2" fill="{colour}"/>'
            for p in dots
        ]
    return "".join(out)


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    y = HEIGHT - 12
    x = float(LEFT)
    for s, (colour, dash) in zip(series, STYLES, strict=False):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.0f}" y1="{y - 4}" x2="{x + 18:.0f}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/><text x="{x + 22:.0f}" y="{y}" font-size="12" '
            f'fill="#1a1a1a">{escape(s.name)}</text>'
        )
        x += 30 + 6.8 * len(s.name)
    return parts


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    summary: str = "",
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    top: float | None = None,
) -> Markup:
    """An SVG line chart of ``series`` over ``labels`` (at most five series)."""
    n = len(labels)
    peak = max((v for s in series for v in s.values if v is not None), default=0.0)
    top = top if top is not None else axis_top(peak, whole=fmt is not percent)
    body = [*_grid(top, fmt), *_x_labels(labels)] if n else []
    body += [_line(s, n, top, style) for s, style in zip(series, STYLES, strict=False)]
    body += _legend(series)
    if not n:
        body.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="12" '
            f'fill="#555">{escape(summary or title)}</text>'
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>{''.join(body)}</svg>"
    )


def percent(value: float) -> str:
    """A fraction as a percentage for an axis label."""
    return f"{value * 100:.0f}%" if value >= 0.1 or value == 0 else f"{value * 100:.1f}%"
