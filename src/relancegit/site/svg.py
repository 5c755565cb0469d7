"""Inline SVG charts drawn from the data: horizontal bars, columns and a gauge.

Layer: presentation. Each chart is a `Markup` string to place in a page: it scales with its
container (viewBox, width 100 %), names itself for screen readers (`role="img"`, `<title>`,
`<desc>`), and every text it holds is escaped. Colours come from CSS classes so the print
stylesheet and dark backgrounds can restyle them. No library, no external request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

ROW = 28  # px per bar in horizontal charts
CHAR_WIDTH = 7.0  # average width of a 12 px label character (DejaVu Sans), to size the label column


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | float | int | None  # None: no data (drawn as a gap)
    display: str  # the value as people read it ("12 345,00 €", "43 %")
    tone: str = ""  # CSS modifier: "", "warn", "bad", "good", "muted"


def _number(value: Decimal | float | int | None) -> float:
    return float(value) if value is not None else 0.0


def _open(kind: str, width: int, height: int, title: str, desc: str) -> str:
    ident = _ident(title)
    return (
        f'<svg class="chart chart-{kind}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="t-{ident} d-{ident}">'
        f'<title id="t-{ident}">{escape(title)}</title><desc id="d-{ident}">{escape(desc)}</desc>'
    )


def _ident(title: str) -> str:
    # Ids unique within a page: derived from the title (several charts per page).
    return "".join(c for c in title.lower() if c.isalnum())[:24] or "chart"


def hbars(bars: Sequence[Bar], title: str, desc: str = "", width: int = 440) -> Markup:
    """One horizontal bar per item, label on the left, value at the end of the bar."""
    height = max(len(bars), 1) * ROW + 6
    top = max((_number(b.value) for b in bars), default=0.0) or 1.0
    longest = max((len(b.label) for b in bars), default=4)
    label_width = int(min(max(longest * CHAR_WIDTH + 10, 60), width * 0.5))
    value_width = int(max((len(b.display) for b in bars), default=4) * CHAR_WIDTH + 12)
    plot = width - label_width - value_width
    parts = [_open("hbars", width, height, title, desc or _summary(bars))]
    for i, bar in enumerate(bars):
        y = i * ROW + 4
        length = max(_number(bar.value) / top * plot, 0.0)
        if bar.value is not None and _number(bar.value) > 0:
            length = max(length, 2.0)
        tone = f" {bar.tone}" if bar.tone else ""
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{y + ROW / 2}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(bar.label)}</text>'
            f'<rect class="bar{tone}" x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{ROW - 10}" rx="3"/>'
            f'<text class="value" x="{label_width + length + 6:.1f}" y="{y + ROW / 2}" '
            f'dominant-baseline="middle">{escape(bar.display)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    bars: Sequence[Bar], title: str, desc: str = "", width: int = 440, height: int = 220, ceiling: float | None = None
) -> Markup:
    """Vertical columns over time (DSO by month, recovery by quarter); None draws a dash."""
    base = height - 40
    top = ceiling or max((_number(b.value) for b in bars), default=0.0) or 1.0
    slot = (width - 8) / max(len(bars), 1)
    bar_width = min(slot * 0.62, 46)
    parts = [_open("columns", width, height, title, desc or _summary(bars))]
    parts.append(f'<line class="axis" x1="4" y1="{base}" x2="{width - 4}" y2="{base}"/>')
    for i, bar in enumerate(bars):
        cx = 4 + slot * i + slot / 2
        tone = f" {bar.tone}" if bar.tone else ""
        if bar.value is None:
            parts.append(f'<text class="value muted" x="{cx:.1f}" y="{base - 6}" text-anchor="middle">—</text>')
        else:
            h = max(_number(bar.value) / top * (base - 22), 1.0)
            parts.append(
                f'<rect class="bar{tone}" x="{cx - bar_width / 2:.1f}" y="{base - h:.1f}" '
                f'width="{bar_width:.1f}" height="{h:.1f}" rx="2"/>'
                f'<text class="value" x="{cx:.1f}" y="{base - h - 5:.1f}" '
                f'text-anchor="middle">{escape(bar.display)}</text>'
            )
        # A label may hold two lines ("nov.\n2026"): the second one below the first.
        for line, text in enumerate(bar.label.split("\n")[:2]):
            parts.append(
                f'<text class="label" x="{cx:.1f}" y="{base + 16 + 14 * line}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def gauge(
    value: Decimal, limit: Decimal | None, title: str, value_text: str, limit_text: str, width: int = 440
) -> Markup:
    """Exposure against a credit limit: a track, the exposure bar, a mark at the limit."""
    height = 46
    scale = max(_number(value), _number(limit), 1.0) * 1.1
    track = width - 8
    x_value = _number(value) / scale * track
    tone = "bad" if limit is not None and value > limit else "good"
    parts = [_open("gauge", width, height, title, f"{value_text} / {limit_text}")]
    parts.append(f'<rect class="track" x="4" y="8" width="{track}" height="18" rx="4"/>')
    parts.append(f'<rect class="bar {tone}" x="4" y="8" width="{max(x_value, 2):.1f}" height="18" rx="4"/>')
    if limit is not None:
        x_limit = 4 + _number(limit) / scale * track
        parts.append(f'<line class="limit" x1="{x_limit:.1f}" y1="2" x2="{x_limit:.1f}" y2="32"/>')
        anchor = "end" if x_limit > width * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(
            f'<text class="label" x="{x_limit + dx:.1f}" y="42" text-anchor="{anchor}">{escape(limit_text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _summary(bars: Sequence[Bar]) -> str:
    return "; ".join(f"{b.label}: {b.display}" for b in bars)
