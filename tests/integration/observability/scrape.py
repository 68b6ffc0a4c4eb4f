"""Reading a scrape as Prometheus does: a series is its name and its set of labels (their
order does not matter), and its value a number (``1`` and ``1.0`` are one value)."""

from __future__ import annotations

import re

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", re.M)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def series_values(text: str, name: str | None = None) -> dict[str, float]:
    """Every sample of ``text`` (only those of metric ``name`` when given), keyed by :func:`normal`."""
    return {
        _key(sample, labels): float(number)
        for sample, labels, number in _SAMPLE.findall(text)
        if name is None or sample == name
    }


def normal(series: str) -> str:
    """``name{labels}`` with its labels sorted by name, as :func:`series_values` keys it."""
    name, _, labels = series.partition("{")
    return _key(name, labels.removesuffix("}"))


def value(text: str, series: str) -> float | None:
    """The value of ``series`` in ``text``; None when the scrape does not show it."""
    return series_values(text).get(normal(series))


def _key(name: str, labels: str) -> str:
    pairs = ",".join(f'{label}="{text}"' for label, text in sorted(_LABEL.findall(labels)))
    return f"{name}{{{pairs}}}" if pairs else name
