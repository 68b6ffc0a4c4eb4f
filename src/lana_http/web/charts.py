"""Charts drawn on the server: the geometry of bar charts, which templates turn into inline SVG.

No script draws anything, so the charts show with scripts off and under the strict
content security policy; each bar carries its label and value as text for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

LABEL_WIDTH = 96
ROW_HEIGHT = 24
BAR_GAP = 6


@frozen(kw_only=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    # Where the bar's caption goes; None when only every few bars are captioned.
    caption: str | None = None


@frozen(kw_only=True)
class Chart:
    """A bar chart in a view box of ``width`` by ``height``."""

    title: str
    width: int
    height: int
    bars: Sequence[Bar]
    total: int
    # "rows": labelled bars top to bottom; "columns": a series left to right.
    kind: str = "columns"

    @property
    def empty(self) -> bool:
        return self.total == 0


def horizontal(title: str, items: Sequence[tuple[str, int]], *, width: int = 360) -> Chart:
    """One labelled bar per item, top to bottom; the longest is the widest."""
    top = max((value for _, value in items), default=0) or 1
    room = width - LABEL_WIDTH - 40
    bars = tuple(
        Bar(
            label=label,
            value=value,
            x=LABEL_WIDTH,
            y=index * ROW_HEIGHT + 2,
            width=round(room * value / top, 1),
            height=ROW_HEIGHT - BAR_GAP,
            caption=label,
        )
        for index, (label, value) in enumerate(items)
    )
    return Chart(
        title=title,
        width=width,
        height=max(1, len(items)) * ROW_HEIGHT,
        bars=bars,
        total=sum(v for _, v in items),
        kind="rows",
    )


def columns(
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    width: int = 600,
    height: int = 150,
    caption_every: int = 5,
) -> Chart:
    """One column per item, left to right (a series over time); every ``caption_every``-th
    column is captioned below the axis."""
    top = max((value for _, value in items), default=0) or 1
    plot = height - 20
    step = width / max(1, len(items))
    bars = []
    for index, (label, value) in enumerate(items):
        tall = round(plot * value / top, 1)
        captioned = index % caption_every == 0 or index == len(items) - 1
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(index * step + 1, 1),
                y=round(plot - tall, 1),
                width=round(max(1.0, step - 2), 1),
                height=tall,
                caption=label if captioned else None,
            )
        )
    return Chart(title=title, width=width, height=height, bars=tuple(bars), total=sum(v for _, v in items))
