"""Small charts drawn on the server as inline SVG: no script, no CDN, readable without colour.

Each chart fills its card (it scales to the card's width), its axis steps are round numbers
(1, 2, 2.5 or 5 × a power of ten), and a category label too long for its bar group is turned
(or, with many categories, the labels are turned all together) so that no two overlap. The page
shows the same figures as a table under each chart: the table is what a screen reader reads.
"""

import math

from django.utils.html import format_html
from django.utils.safestring import SafeString

PALETTE = ("#1a3e72", "#c8102e", "#6b8e23", "#b8860b")
# Six distinct colours, for a scale's bands (thin … obese) where four would repeat.
WIDE_PALETTE = ("#8c510a", "#d8b365", "#5ab4ac", "#01665e", "#762a83", "#c51b7d")
FONT_PX = 10
CHAR_PX = 6.2  # an average glyph of the 10 px labels (Sarabun); Thai marks take no width


def nice_step(top: float, *, steps: int = 4) -> float:
    """Return a round step (1, 2, 2.5 or 5 × 10ⁿ) so that `steps` of them reach at least top."""
    if top <= 0:
        return 1
    raw = top / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            step = factor * power
            return step if step >= 1 else 1  # whole learners and baht: no step below 1
    return 10 * power


def label_width(text: str) -> float:
    """Estimate a label's width in px: Thai vowel and tone marks above or below take no room."""
    spacing = sum(
        1 for ch in text if not ("\u0e31" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e")
    )
    return spacing * CHAR_PX


def bar_chart(
    *,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    title: str,
    height: int = 220,
    palette: tuple[str, ...] = PALETTE,
) -> SafeString:
    """Return grouped vertical bars (one group per category, one bar per series) as an <svg>."""
    if not categories or not series:
        return SafeString("")
    ticks = 4
    step = nice_step(max([max(values, default=0) for _name, values in series] + [1]), steps=ticks)
    top = step * ticks
    left, gap = 14 + label_width(f"{top:,.0f}"), 10
    group = max(24, 14 * len(series) + gap)
    widest = max(label_width(str(c)) for c in categories)
    turned = widest > group - 2  # the labels would touch: turn them all, 45°
    bottom = 22 + (widest * 0.72 if turned else 0)
    legend_rows = 1 + sum(label_width(name) + 34 for name, _v in series) // 600
    head = 12 + 16 * legend_rows
    width = left + group * len(categories) + 20
    plot = height - bottom - head
    if plot < 80:  # turned labels need room: grow rather than squash the bars
        height += 80 - plot
        plot = 80
    bar = (group - gap) / len(series)
    shapes = _grid(step=step, ticks=ticks, left=left, right=width - 10, top=head, plot=plot)
    base = head + plot
    for i, category in enumerate(categories):
        x0 = left + i * group + gap / 2
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = plot * value / top
            shapes.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} · {}: {}</title></rect>',
                f"{x0 + j * bar:.1f}", f"{base - h:.1f}", f"{max(bar - 1, 1):.1f}", f"{h:.1f}",
                palette[j % len(palette)], category, name, f"{value:,}",
            ))  # fmt: skip
        centre = x0 + (group - gap) / 2
        if turned:
            shapes.append(format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="{}" transform="rotate(-45 {} {})">{}</text>',
                f"{centre:.1f}", base + 12, FONT_PX, f"{centre:.1f}", base + 12, category,
            ))  # fmt: skip
        else:
            shapes.append(format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
                f"{centre:.1f}", base + 14, FONT_PX, category,
            ))  # fmt: skip
    return format_html(
        '<svg class="dmc-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        title, f"{width:.0f}", f"{height:.0f}", title,
        SafeString("".join(_legend([n for n, _v in series], palette, left=left, width=width))),
        SafeString("".join(shapes)),
    )  # fmt: skip


def _grid(*, step: float, ticks: int, left: float, right: float, top: float, plot: float) -> list:
    """Return the horizontal grid lines of a plot and their round values, bottom to top."""
    lines = []
    for k in range(ticks + 1):
        y = top + plot - plot * k / ticks
        lines.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="{}">{}</text>',
            f"{left:.1f}", right, f"{y:.1f}", f"{y:.1f}", f"{left - 4:.1f}", f"{y + 3:.1f}",
            FONT_PX, f"{step * k:,.0f}" if step >= 1 else f"{step * k:,.1f}",
        ))  # fmt: skip
    return lines


def _legend(names: list[str], palette: tuple[str, ...], *, left: float, width: float) -> list:
    """Return the legend's swatches and names, in rows no wider than the chart (600 at least)."""
    legend, x, y = [], left, 4
    for k, name in enumerate(names):
        if x + label_width(name) + 34 > max(width, 600) and x > left:
            x, y = left, y + 16
        legend.append(format_html(
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>',
            f"{x:.1f}", y, palette[k % len(palette)], f"{x + 14:.1f}", y + 9, name,
        ))  # fmt: skip
        x += label_width(name) + 34
    return legend


def _line_axis(values: list[float]) -> tuple[float, float, float, int]:
    """Return a line chart's axis: its lowest and highest value, its round step and how many steps,
    from a round step below the lowest value to one above the highest."""
    ticks = 3
    low, high = min(values), max(values)
    step = nice_step(max(high - low, 1), steps=ticks)
    bottom_value = math.floor(low / step) * step
    top_value = bottom_value + step * ticks
    while top_value < high:  # a round step may fall short of the highest point: one more tick
        ticks += 1
        top_value += step
    return bottom_value, top_value, step, ticks


def line_chart(
    *,
    labels: list[str],
    values: list[float],
    title: str,
    unit: str,
    height: int = 150,
    colour: str = PALETTE[0],
) -> SafeString:
    """Return one series as a line with a dot and its value at each point (a learner's height over
    the rounds, say), its axis from a round step below the lowest to one above the highest."""
    if not values:
        return SafeString("")
    bottom_value, top_value, step, ticks = _line_axis(values)
    left = 14 + label_width(f"{top_value:,.0f}")
    head, bottom = 22, 30
    gap = max(48, max(label_width(x) for x in labels) + 10)
    width = left + gap * len(labels) + 10
    plot = height - head - bottom

    def y(value: float) -> float:
        return head + plot - plot * (value - bottom_value) / (top_value - bottom_value)

    shapes = []
    for k in range(ticks + 1):
        value = bottom_value + step * k
        shapes.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="{}">{}</text>',
            f"{left:.1f}", f"{width - 10:.1f}", f"{y(value):.1f}", f"{y(value):.1f}",
            f"{left - 4:.1f}", f"{y(value) + 3:.1f}", FONT_PX, f"{value:,.0f}",
        ))  # fmt: skip
    points = [(left + gap * (i + 0.5), y(v)) for i, v in enumerate(values)]
    if len(points) > 1:
        shapes.append(format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
            " ".join(f"{px:.1f},{py:.1f}" for px, py in points), colour,
        ))  # fmt: skip
    for (px, py), label, value in zip(points, labels, values, strict=True):
        shapes.append(format_html(
            '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}: {} {}</title></circle>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
            f"{px:.1f}", f"{py:.1f}", colour, label, f"{value:g}", unit,
            f"{px:.1f}", f"{py - 7:.1f}", FONT_PX, f"{value:g}",
            f"{px:.1f}", height - 12, FONT_PX, label,
        ))  # fmt: skip
    return format_html(
        '<svg class="dmc-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<text x="{}" y="12" font-size="11">{}</text>{}</svg>',
        title, f"{width:.0f}", height, title, f"{left:.1f}", f"{title} ({unit})",
        SafeString("".join(shapes)),
    )  # fmt: skip
