"""Small charts drawn on the server as inline SVG: no script, no CDN, readable without colour."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE = ("#1a3e72", "#c8102e", "#6b8e23", "#b8860b")


def bar_chart(
    *,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    title: str,
    height: int = 220,
) -> SafeString:
    """Return grouped vertical bars (one group per category, one bar per series) as an <svg>."""
    if not categories:
        return SafeString("")
    top = max([max(values, default=0) for _name, values in series] + [1])
    left, bottom, gap = 48, 36, 10
    group = max(24, 14 * len(series) + gap)
    width = left + group * len(categories) + 20
    plot = height - bottom - 24
    bar = (group - gap) / len(series)
    shapes = []
    for step in range(5):  # grid lines and their values
        value = top * step / 4
        y = 24 + plot - plot * step / 4
        shapes.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text>',
            left, width - 10, f"{y:.1f}", f"{y:.1f}", left - 4, f"{y + 3:.1f}", f"{value:,.0f}",
        ))  # fmt: skip
    for i, category in enumerate(categories):
        x0 = left + i * group + gap / 2
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = plot * value / top
            shapes.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} · {}: {}</title></rect>',
                f"{x0 + j * bar:.1f}", f"{24 + plot - h:.1f}", f"{max(bar - 1, 1):.1f}", f"{h:.1f}",
                PALETTE[j % len(PALETTE)], category, name, f"{value:,}",
            ))  # fmt: skip
        shapes.append(format_html(
            '<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>',
            f"{x0 + (group - gap) / 2:.1f}", height - bottom + 14, category,
        ))  # fmt: skip
    legend = format_html_join(
        "",
        '<rect x="{}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13" font-size="11">{}</text>',
        ((left + k * 90, PALETTE[k % len(PALETTE)], left + k * 90 + 14, name)
         for k, (name, _v) in enumerate(series)),
    )  # fmt: skip
    return format_html(
        '<svg class="dmc-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        title, width, height, width, height, title, legend, SafeString("".join(shapes)),
    )  # fmt: skip
