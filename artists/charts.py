"""Server-rendered SVG charts: no JavaScript, nothing inline for the Content-Security-Policy
to refuse (colours come from classes in static/css/site.css), readable by screen readers
through <title>/<desc>; every chart on a page sits next to a data table of its numbers.

All text is escaped here; the returned markup is safe to output as is.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | Decimal

# Drawn about as wide as a dashboard panel, so that 13px labels stay readable.
WIDTH = 480
HEIGHT = 240
# Room for the value axis on the left, month labels below and the legend above.
PLOT_LEFT = 44
PLOT_RIGHT = WIDTH - 6
PLOT_TOP = 32
PLOT_BOTTOM = HEIGHT - 26
TICKS = 4
# Horizontal bars: one row per item, its label on the left.
ROW_HEIGHT = 28
LABEL_WIDTH = 170
LABEL_CHARS = 22
# The legend's text is not measured; this is an upper bound per character at 13px.
CHAR_WIDTH = 7.5


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Number, ...]


def _number(value: Number) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _axis(values: list[Number]) -> tuple[float, float, float]:
    """Bounds and step of the value axis: a round step (1, 2 or 5 times a power of ten; whole numbers
    for counts), bounds on a step, 0 always included, never an empty range."""
    low, high = float(min([0, *values])), float(max([0, *values]))
    wanted = (high - low) / TICKS or 1.0
    magnitude = 10 ** math.floor(math.log10(wanted))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= wanted)
    if all(isinstance(value, int) for value in values):
        step = max(step, 1.0)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    return low, max(high, low + step), step


def _svg(*, chart_id: str, title: str, description: str, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _legend(series: list[Series]) -> list[str]:
    parts = []
    x = float(PLOT_LEFT)
    for index, one in enumerate(series):
        parts.append(
            f'<rect class="series-{index + 1}" x="{x:.1f}" y="6" width="12" height="12" rx="2"/>'
            f'<text class="chart-label" x="{x + 17:.1f}" y="17">{escape(one.name)}</text>'
        )
        x += 17 + len(one.name) * CHAR_WIDTH + 16
    return parts


def _value_axis(low: float, high: float, step: float, y_of) -> list[str]:
    decimals = max(0, -math.floor(math.log10(step)))
    parts = []
    for index in range(round((high - low) / step) + 1):
        value = low + index * step
        y = y_of(value)
        parts.append(
            f'<line class="chart-grid" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-label" x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{value:,.{decimals}f}</text>"
        )
    return parts


def _category_labels(labels: list[str], x_of) -> list[str]:
    return [
        f'<text class="chart-label" x="{x_of(index):.1f}" y="{HEIGHT - 8}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for index, label in enumerate(labels)
    ]


def _vertical(labels: list[str], series: list[Series]):
    low, high, step = _axis([value for one in series for value in one.values])

    def y_of(value) -> float:
        return PLOT_BOTTOM - (float(value) - low) / (high - low) * (PLOT_BOTTOM - PLOT_TOP)

    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(labels), 1)
    return y_of, slot, [*_legend(series), *_value_axis(low, high, step, y_of)]


def bar_chart(
    *, chart_id: str, title: str, description: str, labels: list[str], series: list[Series]
) -> SafeString:
    """Grouped vertical bars, one group per label; negative values hang below the zero line."""
    y_of, slot, body = _vertical(labels, series)
    bar = slot * 0.8 / max(len(series), 1)
    zero = y_of(0)
    for index in range(len(labels)):
        for number, one in enumerate(series):
            value = one.values[index]
            x = PLOT_LEFT + index * slot + slot * 0.1 + number * bar
            top, bottom = sorted((y_of(value), zero))
            body.append(
                f'<rect class="series-{number + 1}" x="{x:.1f}" y="{top:.1f}" '
                f'width="{bar:.1f}" height="{bottom - top:.1f}">'
                f"<title>{escape(f'{one.name}, {labels[index]}: {_number(value)}')}</title></rect>"
            )
    body.append(
        f'<line class="chart-axis" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" '
        f'y1="{zero:.1f}" y2="{zero:.1f}"/>'
    )
    body += _category_labels(labels, lambda index: PLOT_LEFT + (index + 0.5) * slot)
    return mark_safe(  # noqa: S308 - every text above went through escape()
        _svg(chart_id=chart_id, title=title, description=description, height=HEIGHT, body=body)
    )


def line_chart(
    *, chart_id: str, title: str, description: str, labels: list[str], series: list[Series]
) -> SafeString:
    """One line per series over the labels (months), with a dot on each value."""
    y_of, slot, body = _vertical(labels, series)

    def x_of(index: int) -> float:
        return PLOT_LEFT + (index + 0.5) * slot

    for number, one in enumerate(series):
        points = " ".join(
            f"{x_of(index):.1f},{y_of(value):.1f}" for index, value in enumerate(one.values)
        )
        body.append(f'<polyline class="line-{number + 1}" points="{points}"/>')
        body += [
            f'<circle class="series-{number + 1}" cx="{x_of(index):.1f}" '
            f'cy="{y_of(value):.1f}" r="3.5">'
            f"<title>{escape(f'{one.name}, {labels[index]}: {_number(value)}')}</title></circle>"
            for index, value in enumerate(one.values)
        ]
    body += _category_labels(labels, x_of)
    return mark_safe(  # noqa: S308 - every text above went through escape()
        _svg(chart_id=chart_id, title=title, description=description, height=HEIGHT, body=body)
    )


def ranking_chart(
    *, chart_id: str, title: str, description: str, labels: list[str], values: list[Number]
) -> SafeString:
    """Horizontal bars, one row per item (long names fit), the value at the bar's end."""
    height = max(len(labels), 1) * ROW_HEIGHT + 8
    high = max([*values, 0]) or 1
    room = WIDTH - LABEL_WIDTH - 80
    body = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + index * ROW_HEIGHT
        length = float(value) / float(high) * room
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(short)}</text>"
            f'<rect class="series-1" x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" '
            f'height="{ROW_HEIGHT - 8}" rx="3"><title>{escape(f"{label}: {_number(value)}")}'
            f"</title></rect>"
            f'<text class="chart-label" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}">'
            f"{escape(_number(value))}</text>"
        )
    return mark_safe(  # noqa: S308 - every text above went through escape()
        _svg(chart_id=chart_id, title=title, description=description, height=height, body=body)
    )
