"""What a JSON log line says: its time to the millisecond in UTC, its message as written."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.telemetry.logging import JsonFormatter
from lana_adapters.telemetry.redaction import RedactSecrets


def _line(record: logging.LogRecord) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(JsonFormatter(RedactSecrets()).format(record))
    return parsed


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("lana.test", logging.INFO, __file__, 1, message, args, None)


@given(st.floats(min_value=0, max_value=2**32, allow_nan=False))
def test_the_time_is_the_records_to_the_millisecond_in_utc(created: float) -> None:
    record = _record("tick")
    record.created = created

    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert _line(record)["time"] == expected


def test_the_message_keeps_its_characters_and_any_argument_as_text() -> None:
    line = _line(_record("Zoë %s %s", "→", {1, 2}))

    assert line["message"] == "Zoë → {1, 2}"
    assert line["level"] == "INFO"
    assert line["logger"] == "lana.test"
