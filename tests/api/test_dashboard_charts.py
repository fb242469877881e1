"""The dashboard's SVG charts: values become the right bars and points, scaled to the largest value; no data
and one point still make a named, described image; labels are escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from api.dashboard import chart_views, charts


def count(markup: str, what: str) -> int:
    return len(re.findall(what, markup))


def test_bars_scale_to_the_largest_value_and_keep_their_numbers() -> None:
    chart = charts.bars("f", "Stage funnel", [("awareness", 10), ("activation", 5), ("acceleration", 0)])
    assert [b.value for b in chart.bars] == [10, 5, 0]
    assert chart.bars[0].width == 2 * chart.bars[1].width > 0 and chart.bars[2].width == 0
    markup = charts.svg(chart)
    assert count(markup, '<rect class="bar ') == 3 and count(markup, 'class="swatch') == 0  # one series: no legend
    assert 'role="img"' in markup and '<title id="f-t">Stage funnel</title>' in markup
    assert 'aria-labelledby="f-t f-d"' in markup
    assert chart.summary.startswith("awareness: partners 10; activation: partners 5")
    assert '<th scope="row">activation</th><td>5</td>' in markup


def test_grouped_bars_one_per_step_and_series_with_a_legend() -> None:
    chart = charts.grouped("s", "Steps", ["icp", "rules"], {"invited": [4, 3], "completed": [2, 1], "overdue": [1, 0]})
    markup = charts.svg(chart)
    assert count(markup, '<rect class="bar ') == 6 and count(markup, 'class="swatch') == 3
    assert [(b.label, b.series, b.value) for b in chart.bars[:3]] == [("icp", 0, 4), ("icp", 1, 2), ("icp", 2, 1)]
    assert chart.rows == [["icp", "4", "2", "1"], ["rules", "3", "1", "0"]]


def test_stacked_columns_split_each_total_by_series() -> None:
    mix = [("2026-10", {"Tier 1": 1, "Tier 3": 3}), ("2026-11", {"Tier 1": 2, "Tier 2": 1, "Tier 3": 1})]
    chart = charts.stacked("m", "Tier mix", mix, ["Tier 1", "Tier 2", "Tier 3"])
    assert count(charts.svg(chart), '<rect class="bar ') == 6  # a (possibly empty) part per series and column
    first = [b for b in chart.bars if b.label == "2026-10"]
    assert sum(b.height for b in first) == charts.PLOT_H  # both columns hold 4 partners: full height
    assert first[0].y + first[0].height == max(b.y + b.height for b in chart.bars)  # tier 1 at the bottom


def test_lines_have_a_point_per_known_value_and_join_them() -> None:
    chart = charts.lines("l", "Signals", ["1 Oct", "1 Nov", "now"], {"gtm": [10, 40, 80], "trust": [None, 50, 60]})
    markup = charts.svg(chart)
    assert count(markup, "<circle ") == 5 and count(markup, "<polyline ") == 2
    assert [p.y for p in chart.points if p.series == 0] == sorted((p.y for p in chart.points if p.series == 0),
                                                                   reverse=True)  # fmt: skip
    assert chart.rows[0] == ["1 Oct", "10", "–"]


def test_one_point_is_a_dot_without_a_line_and_no_data_says_so() -> None:
    one = charts.svg(charts.lines("o", "Signals", ["now"], {"gtm": [30]}))
    assert count(one, "<circle ") == 1 and count(one, "<polyline ") == 0
    for empty in (charts.bars("e", "Funnel", []), charts.stacked("e", "Mix", [], ["Tier 1"])):
        markup = charts.svg(empty)
        assert empty.empty and count(markup, "<rect ") == 0 and "Nothing to chart yet" in markup
        assert 'role="img"' in markup and "<table>" not in markup


def test_labels_are_escaped() -> None:
    markup = charts.svg(charts.bars("x", "<b>", [("<script>", 1)]))
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "<b>" not in markup


def test_the_tier_mix_after_each_review_is_rebuilt_backwards_from_today() -> None:
    reviews = [("2026-09", {(3, 2): 2}), ("2026-10", {(2, 1): 1, (3, 2): 1})]
    assert chart_views.mix_over_time({1: 1, 2: 2, 3: 1}, reviews) == [
        ("2026-09", {1: 0, 2: 2, 3: 2}),
        ("2026-10", {1: 1, 2: 2, 3: 1}),
    ]
    assert chart_views.mix_over_time({3: 4}, []) == [("now", {3: 4})]


def test_first_deals_fall_in_weeks_from_the_window_start() -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    firsts = [
        start - timedelta(hours=1),
        start + timedelta(days=6, hours=23),
        start + timedelta(days=7),
        start + timedelta(days=90),
    ]
    buckets = dict(chart_views.first_deal_buckets(start, firsts, partners=6))
    assert (buckets["week 1"], buckets["week 2"], buckets["after week 8"], buckets["no deal yet"]) == (2, 1, 1, 2)
    assert len(buckets) == chart_views.WEEKS + 2
