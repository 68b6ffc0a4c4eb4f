"""Lana's configuration: one settings object for the API, the workers and the CLI.

:class:`Settings` holds one group per adapter; each group declares its ``LANA_*`` variables
beside their defaults and meanings (see :mod:`lana_adapters.variables`), and the tables in
the README and ``docs/operations.md`` are generated from them (:mod:`lana_adapters.settings_docs`).
A new setting is one field in its group; a new group is one field here.

The defaults are the embedded mode: a SQLite file in the working directory, in-memory
cache and event bus, and the rules engine for insights. Nothing needs a server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from attrs import Factory, frozen, validators

from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.openai.settings import OpenAISettings
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.security.settings import HttpSettings
from lana_adapters.sql.settings import SqlSettings
from lana_adapters.telemetry.settings import TelemetrySettings, WorkerSettings
from lana_adapters.variables import (
    InvalidSettings,
    env_name,
    is_secret,
    meaning,
    read_group,
    render,
    variable,
    variables,
)
from lana_core.errors import FieldError
from lana_core.usecases.insights import InsightOptions

# Defaults owned by the insight use cases, read from there so they are stated once.
_INSIGHT_DEFAULTS = InsightOptions()


@frozen(kw_only=True)
class InsightSettings:
    """How insights use the model: its deadline, the circuit breaker and batch parallelism."""

    deadline_seconds: float = variable(
        "LANA_INSIGHT_DEADLINE_SECONDS",
        _INSIGHT_DEFAULTS.deadline_seconds,
        "How long an insight waits for the model before the rules answer.",
        validator=validators.gt(0),
    )
    batch_concurrency: int = variable(
        "LANA_INSIGHT_BATCH_CONCURRENCY", 8, "Insights generated at once by a batch."
    )
    breaker_failures: int = variable(
        "LANA_INSIGHT_BREAKER_FAILURES",
        _INSIGHT_DEFAULTS.breaker_threshold,
        "Model failures in a row that open the circuit breaker (the rules answer meanwhile; at least 1).",
        validator=validators.ge(1),
    )
    breaker_cooldown_seconds: float = variable(
        "LANA_INSIGHT_BREAKER_COOLDOWN_SECONDS",
        _INSIGHT_DEFAULTS.breaker_cooldown_seconds,
        "How long an open breaker keeps the model uncalled before one call probes it.",
    )

    def options(self, on_fallback: Callable[[str], None]) -> InsightOptions:
        """The use cases' options; ``on_fallback`` hears of each insight the rules answered."""
        return InsightOptions(
            deadline_seconds=self.deadline_seconds,
            breaker_threshold=self.breaker_failures,
            breaker_cooldown_seconds=self.breaker_cooldown_seconds,
            batch_concurrency=max(1, self.batch_concurrency),
            on_fallback=on_fallback,
        )


@frozen(kw_only=True)
class Settings:
    """Every process's settings, one group per adapter; read them with :meth:`from_env`.

    The groups appear in the documentation tables in this order.
    """

    database: SqlSettings = Factory(SqlSettings)
    redis: RedisSettings = Factory(RedisSettings)
    messaging: MessagingSettings = Factory(MessagingSettings)
    openai: OpenAISettings = Factory(OpenAISettings)
    insight: InsightSettings = Factory(InsightSettings)
    http: HttpSettings = Factory(HttpSettings)
    telemetry: TelemetrySettings = Factory(TelemetrySettings)
    worker: WorkerSettings = Factory(WorkerSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment).

        Raises InvalidSettings (a ValidationError and a ValueError) naming each variable
        that does not parse or whose value is refused.
        """
        source = os.environ if environ is None else environ
        groups: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, group in _groups():
            try:
                groups[name] = read_group(group, source)
            except InvalidSettings as invalid:
                errors.extend(invalid.errors)
        if errors:
            raise InvalidSettings(errors)
        return cls(**groups)

    def secrets(self) -> list[str]:
        """The values of every secret setting that is set (logs mask them)."""
        return [
            value
            for name, group in _groups()
            for field in variables(group)
            if is_secret(field) and (value := getattr(getattr(self, name), field.name))
        ]


def _groups() -> Iterator[tuple[str, type]]:
    """(attribute, class) of each group of :class:`Settings`, in declaration order."""
    defaults = Settings()
    for field in attrs.fields(Settings):
        yield field.name, type(getattr(defaults, field.name))


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, group by group, in declaration order."""
    return [
        (env_name(field), render(field.default), meaning(field))
        for _name, group in _groups()
        for field in variables(group)
    ]


def markdown_table() -> str:
    """The settings as the Markdown table the README and docs show."""
    rows = (
        f"| `{name}` | {f'`{default}`' if default else '(unset)'} | {text} |"
        for name, default, text in settings_table()
    )
    return "\n".join(("| variable | default | meaning |", "|---|---|---|", *rows))


if __name__ == "__main__":
    print(markdown_table())
