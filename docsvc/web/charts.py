"""Charts as SVG, drawn on the server: no script, nothing loaded from elsewhere, and the
same figures in a table beside each chart for screen readers and for copying.

Every text is escaped here (department codes and names come from the database). Colours
are the Okabe-Ito palette, told apart by people with colour-vision deficiencies, and each
series also has its label in the legend and the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

from docsvc.locale import Translator

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = 'font-family="system-ui, sans-serif" font-size="14"'


def _number(t: Translator, value: float) -> str:
    """A figure with the reader's separators: whole above ten, else to one decimal."""
    return t.format_number(value, "#,##0" if value >= 10 or value == int(value) else "#,##0.0")


def horizontal_bars(
    t: Translator,
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    width: int = 560,
) -> Markup:
    """One bar per row, longest first as given, its value written at its end in ``t``'s
    language."""
    bar_height, gap, label_width = 22, 8, 180
    height = max(1, len(rows)) * (bar_height + gap) + gap
    top = max((value for _, value in rows), default=0) or 1
    room = width - label_width - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="chart" {FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = max(1.0, room * value / top)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(label[:28])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">'
            f"{escape(_number(t, value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text drawn above went through escape()


def stacked_columns(
    t: Translator,
    title: str,
    columns: Sequence[str],
    series: Sequence[str],
    value: dict[tuple[str, str], int],
    *,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """One column per entry of ``columns`` (months, "2026-12"), stacked by ``series``
    (departments), with a legend; figures and months in ``t``'s language."""
    left, bottom, top_margin = 36, 40, 10
    legend_height = 18 * ((len(series) + 3) // 4)
    plot_height = height - bottom - top_margin
    totals = [sum(value.get((s, c), 0) for s in series) for c in columns]
    top = max(totals, default=0) or 1
    step = (width - left - 10) / max(1, len(columns))
    bar = step * 0.7
    full_height = height + legend_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full_height}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="chart" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top_margin + plot_height}" x2="{width - 10}" '
        f'y2="{top_margin + plot_height}" stroke="#444"/>',
        f'<text x="{left - 4}" y="{top_margin + 8}" text-anchor="end">'
        f"{escape(_number(t, top))}</text>",
        f'<text x="{left - 4}" y="{top_margin + plot_height}" text-anchor="end">0</text>',
    ]
    for index, column in enumerate(columns):
        x = left + index * step + (step - bar) / 2
        y = float(top_margin + plot_height)
        for number, name in enumerate(series):
            count = value.get((name, column), 0)
            if not count:
                continue
            h = plot_height * count / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}"><title>{escape(name)} '
                f"{escape(t.format_month(column))}: {escape(_number(t, count))}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top_margin + plot_height + 14}" '
            f'text-anchor="middle">{escape(t.format_month(column, "MMM"))}</text>'
        )
    for number, name in enumerate(series):
        x = left + (number % 4) * 150
        y = height + (number // 4) * 18
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{y}">{escape(name[:20])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text drawn above went through escape()
