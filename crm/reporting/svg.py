"""Small server-side SVG charts for the dashboards: no JavaScript, no inline style (CSP-safe), every
bar or slice a link to the list behind it. Sizes are viewBox units; the SVG scales to its container.

A bar or slice is too small to tap on a phone, so each chart with links also carries the same links as
a folded list of full-width rows (shown on phones only, see access.css); there the picture itself is
not a target.

Text is escaped with markupsafe; colours are presentation attributes, classes come from app.css.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from markupsafe import Markup, escape

PALETTE = {
    "red": "#dc3545",
    "yellow": "#f0ad00",
    "green": "#28a745",
    "grey": "#adb5bd",
    "blue": "#2f5597",
    "teal": "#20a4a8",
    "orange": "#ed7d31",
    "muted": "#e9ecef",
}


@dataclass(frozen=True)
class Item:
    """One bar or slice: label, value, link, colour name or #hex, and the text shown for the value."""

    label: str
    value: float
    url: Optional[str] = None
    colour: str = "blue"
    text: Optional[str] = None

    @property
    def fill(self) -> str:
        return PALETTE.get(self.colour, self.colour)

    @property
    def shown(self) -> str:
        if self.text is not None:
            return self.text
        return f"{self.value:g}" if isinstance(self.value, float) else str(self.value)


def _link(item: Item, body: str) -> str:
    title = f"<title>{escape(item.label)}：{escape(item.shown)}</title>"
    if not item.url:
        return f"<g>{title}{body}</g>"
    return f'<a href="{escape(item.url)}" class="chart-link">{title}{body}</a>'


def _svg(width: float, height: float, label: str, body: str, css: str = "") -> Markup:
    return Markup(
        f'<svg class="chart {css}" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _swatch(fill: str) -> str:
    return (
        '<svg class="chart-swatch" viewBox="0 0 10 10" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="10" height="10" rx="2" fill="{escape(fill)}"/></svg>'
    )


def _phone_links(chart: Markup, rows: Sequence[tuple[str, Item]]) -> Markup:
    """The chart, plus its links as a folded list of tappable rows for phones: (row label, item)."""
    linked = [(label, item) for label, item in rows if item.url]
    if not linked:
        return chart
    lines = "".join(
        '<a class="list-group-item list-group-item-action d-flex justify-content-between align-items-center"'
        f' href="{escape(item.url)}"><span class="d-flex align-items-center gap-2">{_swatch(item.fill)}'
        f'{escape(label)}</span><span class="fw-semibold">{escape(item.shown)}</span></a>'
        for label, item in linked
    )
    return Markup(
        f'{chart}<details class="chart-phone-links d-md-none mt-2"><summary class="small">查看明细</summary>'
        f'<div class="list-group list-group-flush">{lines}</div></details>'
    )


def hbar_chart(
    items: Sequence[Item], label: str, max_value: Optional[float] = None, label_width: float = 96
) -> Markup:
    """Horizontal bars, one row per item (label | bar | value)."""
    width, row, gap = 360.0, 24.0, 6.0
    top = max((i.value for i in items), default=0)
    scale_max = max_value if max_value is not None else (top or 1)
    bar_space = width - label_width - 46
    parts = []
    for n, item in enumerate(items):
        y = n * (row + gap)
        length = 0 if not scale_max else max(bar_space * min(item.value, scale_max) / scale_max, 0)
        body = (
            f'<text x="{label_width - 6:g}" y="{y + row / 2 + 4:g}" text-anchor="end" class="chart-label">'
            f"{escape(item.label)}</text>"
            f'<rect x="{label_width:g}" y="{y:g}" width="{bar_space:g}" height="{row:g}" rx="3" '
            f'fill="{PALETTE["muted"]}"/>'
            f'<rect x="{label_width:g}" y="{y:g}" width="{length:.1f}" height="{row:g}" rx="3" '
            f'fill="{item.fill}"/>'
            f'<text x="{label_width + bar_space + 6:g}" y="{y + row / 2 + 4:g}" class="chart-value">'
            f"{escape(item.shown)}</text>"
        )
        parts.append(_link(item, body))
    height = max(len(items) * (row + gap) - gap, row)
    chart = _svg(width, height, label, "".join(parts), "chart-hbar")
    return _phone_links(chart, [(item.label, item) for item in items])


def donut_chart(items: Sequence[Item], label: str, centre: str, centre_caption: str) -> Markup:
    """A ring of slices (stroke-dasharray on circles) with a total in the middle and a legend."""
    size, radius, thick = 160.0, 56.0, 22.0
    cx = cy = size / 2
    circumference = 2 * math.pi * radius
    total = sum(i.value for i in items)
    parts = [
        f'<circle cx="{cx:g}" cy="{cy:g}" r="{radius:g}" fill="none" stroke="{PALETTE["muted"]}" '
        f'stroke-width="{thick:g}"/>'
    ]
    offset = 0.0
    for item in items:
        if not total or not item.value:
            continue
        length = circumference * item.value / total
        body = (
            f'<circle cx="{cx:g}" cy="{cy:g}" r="{radius:g}" fill="none" stroke="{item.fill}" '
            f'stroke-width="{thick:g}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {cx:g} {cy:g})"/>'
        )
        parts.append(_link(item, body))
        offset += length
    parts.append(
        f'<text x="{cx:g}" y="{cy + 4:g}" text-anchor="middle" class="chart-total">{escape(centre)}</text>'
        f'<text x="{cx:g}" y="{cy + 24:g}" text-anchor="middle" class="chart-caption">'
        f"{escape(centre_caption)}</text>"
    )
    legend_x, y = size + 14, 34.0
    for item in items:
        body = (
            f'<rect x="{legend_x:g}" y="{y - 11:g}" width="14" height="14" rx="3" fill="{item.fill}"/>'
            f'<text x="{legend_x + 20:g}" y="{y:g}" class="chart-label">{escape(item.label)}</text>'
            f'<text x="{legend_x + 118:g}" y="{y:g}" text-anchor="end" class="chart-value">'
            f"{escape(item.shown)}</text>"
        )
        parts.append(_link(item, body))
        y += 30
    chart = _svg(size + 150, size, label, "".join(parts), "chart-donut")
    return _phone_links(chart, [(item.label, item) for item in items])


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    items: Sequence[Item]  # one per category, in category order


def column_chart(categories: Sequence[str], series: Sequence[Series], label: str) -> Markup:
    """Grouped columns per category (e.g. new vs closed per month) with a legend above."""
    width, height, top, bottom, left = 360.0, 190.0, 26.0, 20.0, 4.0
    plot_h = height - top - bottom
    peak = max((i.value for s in series for i in s.items), default=0) or 1
    slot = (width - left) / max(len(categories), 1)
    bar_w = min(slot * 0.8 / max(len(series), 1), 14)
    parts = []
    x = left
    for s in series:
        fill = PALETTE.get(s.colour, s.colour)
        parts.append(
            f'<rect x="{x:g}" y="4" width="12" height="12" rx="2" fill="{fill}"/>'
            f'<text x="{x + 16:g}" y="14" class="chart-label">{escape(s.name)}</text>'
        )
        x += 16 + 14 * len(s.name) + 14
    baseline = top + plot_h
    parts.append(
        f'<line x1="{left:g}" y1="{baseline:g}" x2="{width:g}" y2="{baseline:g}" '
        'stroke="#ced4da" stroke-width="1"/>'
    )
    for n, category in enumerate(categories):
        group_x = left + n * slot + (slot - bar_w * len(series)) / 2
        for k, s in enumerate(series):
            item = s.items[n]
            h = plot_h * item.value / peak
            bx = group_x + k * bar_w
            body = (
                f'<rect x="{bx:.1f}" y="{baseline - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{max(h, 0.5):.1f}" '
                f'fill="{PALETTE.get(s.colour, s.colour)}"/>'
            )
            if item.value:
                body += (
                    f'<text x="{bx + (bar_w - 1) / 2:.1f}" y="{baseline - h - 3:.1f}" text-anchor="middle" '
                    f'class="chart-small">{escape(item.shown)}</text>'
                )
            parts.append(_link(item, body))
        parts.append(
            f'<text x="{left + n * slot + slot / 2:.1f}" y="{height - 5:g}" text-anchor="middle" '
            f'class="chart-small">{escape(category)}</text>'
        )
    chart = _svg(width, height, label, "".join(parts), "chart-columns")
    rows = [(f"{category} {s.name}", s.items[n]) for n, category in enumerate(categories) for s in series]
    return _phone_links(chart, [(label, item) for label, item in rows if item.value])


def meter(value: Optional[float], colour: str = "blue", width: float = 100.0) -> Markup:
    """A small percentage bar for table cells (value 0–100, None shows an empty track)."""
    fill = PALETTE.get(colour, colour)
    length = 0 if value is None else width * max(min(value, 100), 0) / 100
    body = (
        f'<rect x="0" y="0" width="{width:g}" height="8" rx="4" fill="{PALETTE["muted"]}"/>'
        f'<rect x="0" y="0" width="{length:.1f}" height="8" rx="4" fill="{fill}"/>'
    )
    return _svg(width, 8, f"{value if value is not None else '—'}%", body, "chart-meter")
