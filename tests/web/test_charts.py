"""The geometry of the server-drawn charts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lana_http.web import charts

counts = st.lists(st.tuples(st.text(min_size=1, max_size=8), st.integers(0, 10_000)), max_size=40)


@given(counts)
def test_bars_stay_inside_the_view_box_and_the_largest_is_the_longest(items: list[tuple[str, int]]) -> None:
    for chart in (charts.horizontal("rows", items), charts.columns("columns", items)):
        assert len(chart.bars) == len(items)
        for bar in chart.bars:
            assert 0 <= bar.x <= chart.width
            assert bar.y >= 0
            assert bar.x + bar.width <= chart.width + 1
            assert bar.y + bar.height <= chart.height
        if items and max(v for _, v in items) > 0:
            longest = max(chart.bars, key=lambda b: b.value)
            size = (lambda b: b.width) if chart.kind == "rows" else (lambda b: b.height)
            assert all(size(bar) <= size(longest) for bar in chart.bars)


def test_a_chart_of_zeros_is_empty() -> None:
    assert charts.columns("none", [("a", 0), ("b", 0)]).empty
    assert not charts.horizontal("one", [("a", 1)]).empty
