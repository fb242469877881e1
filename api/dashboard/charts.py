"""The dashboard's charts as inline SVG built on the server: no script, no CDN, nothing for the CSP to let in.

Each chart is values -> geometry (bars or points, in a fixed 600-wide viewBox that CSS scales to the
page) -> markup. The SVG is `role="img"` named by its `<title>` and described by a `<desc>` that says the
numbers in a sentence; the same numbers follow in a table, for a screen reader, a phone or a copy-paste.
Colours come from classes in dashboard.css (`series-N`): the page's CSP allows no inline style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

# In viewBox units: on a phone the 600 wide box is drawn about 330 pixels wide, so text is 18 units (about 10 px).
WIDTH, LABEL_W, VALUE_W, BAR_H, GAP, TOP, LEGEND_ROW = 600, 230, 50, 22, 12, 8, 28
PLOT_H = 240  # columns and lines: the plot's height under the legend
LABEL_CHARS, LEGEND_COLUMNS = 20, 3


@dataclass(frozen=True)
class Bar:
    label: str
    series: int  # which of the chart's series: its colour
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    label: str
    series: int
    value: float
    x: float
    y: float


@dataclass
class Chart:
    id: str
    title: str
    series: list[str]
    height: float
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    texts: list[tuple[float, float, str, str]] = field(default_factory=list)  # x, y, anchor, text
    swatches: list[tuple[float, float, int]] = field(default_factory=list)  # the legend: x, y, series
    columns: list[str] = field(default_factory=list)  # the table's header
    rows: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def summary(self) -> str:
        if self.empty:
            return "Nothing to chart yet."
        named = [(row[0], zip(self.columns[1:], row[1:], strict=True)) for row in self.rows]
        return "; ".join(f"{label}: " + ", ".join(f"{c} {v}" for c, v in values) for label, values in named) + "."


def _number(value: float) -> str:
    return f"{value:g}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _legend_height(series: int) -> int:
    return 0 if series < 2 else LEGEND_ROW * -(-series // LEGEND_COLUMNS)


def _legend(chart: Chart) -> None:
    if len(chart.series) > 1:
        for i, name in enumerate(chart.series):
            x, y = 10 + (i % LEGEND_COLUMNS) * (WIDTH // LEGEND_COLUMNS), 4 + (i // LEGEND_COLUMNS) * LEGEND_ROW
            chart.swatches.append((x, y, i))
            chart.texts.append((x + 20, y + 15, "start", name))


def grouped(chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> Chart:
    """Horizontal bars: one row per label, one bar per series in it (a funnel, a distribution)."""
    names = list(series)
    legend = _legend_height(len(names))
    row_h = len(names) * BAR_H + GAP
    chart = Chart(chart_id, title, names, TOP + legend + max(len(labels), 1) * row_h)
    chart.columns = ["", *names] if len(names) > 1 else ["", names[0] if names else "value"]
    top = max((v for values in series.values() for v in values), default=0) or 1
    scale = (WIDTH - LABEL_W - VALUE_W) / top
    for r, label in enumerate(labels):
        y0 = TOP + legend + r * row_h
        chart.texts.append((LABEL_W - 6, y0 + row_h / 2, "end", _short(label)))
        for s, name in enumerate(names):
            value = series[name][r]
            y = y0 + s * BAR_H
            chart.bars.append(Bar(label, s, value, LABEL_W, y, value * scale, BAR_H - 2))
            chart.texts.append((LABEL_W + value * scale + 4, y + BAR_H - 6, "start", _number(value)))
        chart.rows.append([label, *(_number(series[n][r]) for n in names)])
    _legend(chart)
    return chart


def bars(chart_id: str, title: str, items: Sequence[tuple[str, float]], name: str = "partners") -> Chart:
    return grouped(chart_id, title, [label for label, _ in items], {name: [v for _, v in items]})


def stacked(
    chart_id: str, title: str, columns: Sequence[tuple[str, Mapping[str, float]]], series: Sequence[str]
) -> Chart:
    """Vertical columns, each split by series (the tier mix at each review)."""
    base = TOP + _legend_height(len(series)) + PLOT_H + 24  # room above the columns for their totals
    chart = Chart(chart_id, title, list(series), base + 30)
    chart.columns = ["", *series]
    top = max((sum(parts.values()) for _, parts in columns), default=0) or 1
    slot = (WIDTH - 20) / max(len(columns), 1)
    for c, (label, parts) in enumerate(columns):
        x, y = 10 + c * slot + slot * 0.2, float(base)
        for s, name in enumerate(series):
            h = parts.get(name, 0) * PLOT_H / top
            y -= h
            chart.bars.append(Bar(label, s, parts.get(name, 0), x, y, slot * 0.6, h))
        chart.texts.append((x + slot * 0.3, base + 22, "middle", _short(label)))
        chart.texts.append((x + slot * 0.3, y - 4, "middle", _number(sum(parts.values()))))
        chart.rows.append([label, *(_number(parts.get(n, 0)) for n in series)])
    _legend(chart)
    return chart


def lines(
    chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], top: float = 100
) -> Chart:
    """Points over time, joined per series (a partner's signals at each moment a value was kept)."""
    names = list(series)
    base = TOP + _legend_height(len(names)) + PLOT_H + 12
    chart = Chart(chart_id, title, names, base + 30)
    chart.columns = ["", *names]
    step = (WIDTH - 100) / max(len(labels) - 1, 1)
    for i, label in enumerate(labels):
        x = 60 + (i * step if len(labels) > 1 else (WIDTH - 100) / 2)
        for s, name in enumerate(names):
            value = series[name][i]
            if value is not None:
                chart.points.append(Point(label, s, value, x, base - min(value, top) * PLOT_H / top))
        chart.texts.append((x, base + 22, "middle", _short(label)))
        chart.rows.append([label, *("–" if series[n][i] is None else _number(series[n][i] or 0) for n in names)])
    chart.texts += [(44, base + 6, "end", "0"), (44, base - PLOT_H + 6, "end", _number(top))]
    _legend(chart)
    return chart


def _text(x: float, y: float, anchor: str, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _shapes(chart: Chart) -> list[str]:
    out = [
        f'<rect class="bar series-{b.series}" x="{b.x:.1f}" y="{b.y:.1f}" width="{b.width:.1f}" '
        f'height="{b.height:.1f}"/>'
        for b in chart.bars
    ]
    out += [f'<rect class="swatch series-{s}" x="{x}" y="{y}" width="16" height="16"/>' for x, y, s in chart.swatches]
    for s in range(len(chart.series)):
        mine = [p for p in chart.points if p.series == s]
        if len(mine) > 1:
            joined = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in mine)
            out.append(f'<polyline class="line series-{s}" points="{joined}"/>')
        out += [f'<circle class="point series-{s}" cx="{p.x:.1f}" cy="{p.y:.1f}" r="6"/>' for p in mine]
    return out + [_text(*t) for t in chart.texts]


def svg(chart: Chart) -> Markup:
    """The figure: the SVG, then its numbers as a table (or a sentence when there are none)."""
    cid = escape(chart.id)
    height = chart.height if not chart.empty else 40
    body = _shapes(chart) if not chart.empty else [_text(WIDTH / 2, 24, "middle", "Nothing to chart yet")]
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in chart.columns)
    rows = "".join(
        "<tr>" + f'<th scope="row">{escape(r[0])}</th>' + "".join(f"<td>{escape(v)}</td>" for v in r[1:]) + "</tr>"
        for r in chart.rows
    )
    table = (
        f'<details><summary>The numbers</summary><div class="scroll" tabindex="0" role="region" '
        f'aria-label="{escape(chart.title)}: the numbers"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></details>"
        if not chart.empty
        else ""
    )
    return Markup(
        f'<figure class="chart"><svg role="img" aria-labelledby="{cid}-t {cid}-d" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{cid}-t">{escape(chart.title)}</title>'
        f'<desc id="{cid}-d">{escape(chart.summary)}</desc>{"".join(body)}</svg>{table}</figure>'
    )
