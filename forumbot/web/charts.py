"""Charts as inline SVG, rendered on the server (no JavaScript): stacked bars by day and
horizontal bars by label. Every label is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

# A colour-blind-safe palette (Okabe-Ito), cycled per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000")


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def hbars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 640,
) -> Markup:
    """One bar per row, split into the series (e.g. rule → counts per action)."""
    bar_h, gap, label_w = 18, 6, 200
    height = 30 + len(rows) * (bar_h + gap) + 24
    peak = max([sum(values.values()) for _, values in rows] + [1])
    scale = (width - label_w - 60) / peak
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    y = 24
    for label, values in rows:
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{escape(label[:32])}</text>"
        )
        x = float(label_w)
        for i, name in enumerate(series):
            n = values.get(name, 0)
            if n:
                w = n * scale
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{colour(i)}"><title>{escape(name)}: {n}</title></rect>'
                )
                x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="12">{sum(values.values())}</text>'
        )
        y += bar_h + gap
    parts.append(_legend(series, y + 4))
    parts.append("</svg>")
    return Markup("".join(parts))


def day_columns(
    days: Sequence[str],
    counts: Mapping[str, Mapping[str, int]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Stacked columns, one per day; `counts[day][series] = n`."""
    top, bottom, left = 20, 40, 36
    plot_h = height - top - bottom
    peak = max([sum(counts.get(d, {}).values()) for d in days] + [1])
    step = (width - left - 10) / max(len(days), 1)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height + 20}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#888"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * step + 1
        y = float(top + plot_h)
        for j, name in enumerate(series):
            n = counts.get(day, {}).get(name, 0)
            if n:
                h = n / peak * plot_h
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                    f'height="{h:.1f}" fill="{colour(j)}"><title>{escape(day)} '
                    f"{escape(name)}: {n}</title></rect>"
                )
        if len(days) <= 16 or i % max(len(days) // 8, 1) == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10">{escape(day[5:])}</text>'
            )
    parts.append(_legend(series, height))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(series: Sequence[str], y: float) -> str:
    parts = []
    x = 10.0
    for i, name in enumerate(series):
        parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="10" height="10" fill="{colour(i)}"/>'
            f'<text x="{x + 14:.0f}" y="{y + 9:.0f}" font-size="11">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return "".join(parts)
