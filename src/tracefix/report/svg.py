"""Small charts as inline SVG, drawn on the server so the page needs no script library and prints as is."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ["#2f5bd3", "#e67e22", "#1e8449", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d"]
"""Series colours, in order; a strategy keeps its colour across every chart of a page."""

FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str
    text: str
    """The value as printed at the end of the bar."""


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    points: list[tuple[float, float]]
    """(x, y) pairs; y may be NaN for a missing value."""
    tips: list[str] | None = None
    """Hover text per point (e.g. the problem's id), in the order of ``points``."""


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bar_chart(title: str, bars: Sequence[Bar], *, maximum: float | None = None, width: int = 460) -> Markup:
    """Horizontal bars, one per label, scaled to ``maximum`` (default: a round number above the largest)."""
    label_w, row_h, pad = 110, 26, 8
    top = maximum if maximum is not None else nice_max(max((b.value for b in bars), default=0.0))
    plot_w = width - label_w - 70
    height = pad * 2 + row_h * max(len(bars), 1)
    body = []
    for i, bar in enumerate(bars):
        y = pad + i * row_h
        length = 0.0 if top <= 0 else max(0.0, min(1.0, bar.value / top)) * plot_w
        body.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end" {FONT}>{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row_h - 8}" fill="#f0f2f5" rx="3"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" fill="{bar.color}" rx="3"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + row_h / 2 + 4}" {FONT} font-weight="600">'
            f"{escape(bar.text)}</text>"
        )
    return _svg(width, height, title, body)


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    step: bool = False,
    markers_only: bool = False,
    integer: bool = False,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    width: int = 460,
    height: int = 240,
) -> Markup:
    """Lines (or, with ``markers_only``, dots) per series on shared axes starting at zero.

    ``step`` draws each line as a staircase (a count that changes only at each x, like cumulative repairs);
    ``integer`` keeps the y ticks on whole numbers (for counts).
    """
    left, right, top, bottom = 48, 12, 12, 38
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points if not math.isnan(y)] or [0.0]
    x_min, x_max = min(xs), max(xs)
    if markers_only:  # keep the first and last dots off the axes
        x_min, x_max = x_min - 0.5, x_max + 0.5
    x_max = x_max if x_max > x_min else x_min + 1
    y_max = nice_max(max(ys))
    if integer:
        y_max = 4.0 * math.ceil(y_max / 4)
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x_min) / (x_max - x_min) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / y_max * plot_h

    body = _axes(left, top, plot_w, plot_h, y_max, py)
    ticks = x_ticks if x_ticks is not None else [(x, _num(x)) for x in sorted(set(xs))]
    for x, text in ticks:
        body.append(
            f'<text x="{px(x):.1f}" y="{top + plot_h + 14}" text-anchor="middle" {FONT} fill="#5f6878">'
            f"{escape(text)}</text>"
        )
    body.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" {FONT} fill="#5f6878">'
        f"{escape(x_label)}</text>"
        f'<text x="10" y="{top + plot_h / 2}" text-anchor="middle" {FONT} fill="#5f6878" '
        f'transform="rotate(-90 10 {top + plot_h / 2})">{escape(y_label)}</text>'
    )
    for s in series:
        body.extend(_series_marks(s, px, py, step=step, markers_only=markers_only))
    return _svg(width, height, title, body)


Scale = Callable[[float], float]


def _axes(left: int, top: int, plot_w: int, plot_h: int, y_max: float, py: Scale) -> list[str]:
    body = []
    for i in range(5):
        value = y_max * i / 4
        y = py(value)
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT} fill="#5f6878">{_num(value)}</text>'
        )
    body.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#b8bec9"/>')
    return body


def _series_marks(s: Series, px: Scale, py: Scale, *, step: bool, markers_only: bool) -> list[str]:
    tips = s.tips or [""] * len(s.points)
    kept = [(x, y, tip) for (x, y), tip in zip(s.points, tips, strict=True) if not math.isnan(y)]
    points = [(x, y) for x, y, _ in kept]
    marks = []
    if points and not markers_only:
        coords = []
        for i, (x, y) in enumerate(points):
            if step and i:
                coords.append(f"{px(x):.1f},{py(points[i - 1][1]):.1f}")
            coords.append(f"{px(x):.1f},{py(y):.1f}")
        marks.append(
            f'<polyline points="{" ".join(coords)}" fill="none" stroke="{s.color}" stroke-width="2.2" '
            'stroke-linejoin="round"/>'
        )
    for x, y, tip in kept:
        label = f"{s.name} · {tip}: {_num(y)}" if tip else f"{s.name}: {_num(y)}"
        marks.append(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{3.4 if markers_only else 2.6}" fill="{s.color}">'
            f"<title>{escape(label)}</title></circle>"
        )
    return marks


def legend(series: Sequence[tuple[str, str]]) -> Markup:
    """An HTML legend (name, colour) for the charts of a page."""
    items = "".join(
        f'<span><span class="sw" style="--c:{color};--cb:{color}"></span>{escape(name)}</span>'
        for name, color in series
    )
    return Markup(f'<div class="legend">{items}</div>')
