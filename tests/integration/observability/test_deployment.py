"""The compose file, the Dockerfile and the operations guide agree with the settings Lana reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lana_adapters.telemetry import catalog_names, config_catalog

ROOT = Path(__file__).resolve().parents[3]
LANA_SERVICES = ("api", "relay", "consumer")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_the_api_and_both_workers_next_to_the_infrastructure() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "rabbitmq", "jaeger", "n8n", *LANA_SERVICES} <= set(services)
    assert "8000:8000" in services["api"]["ports"]
    for name in LANA_SERVICES:
        service = services[name]
        assert service["build"] == "."
        assert service["healthcheck"]["test"][0] == "CMD"
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "/health/live" in " ".join(services["api"]["healthcheck"]["test"])


def test_every_lana_variable_compose_sets_is_a_real_setting() -> None:
    known = catalog_names()
    for name, service in _compose()["services"].items():
        variables = {v for v in service.get("environment", {}) if v.startswith("LANA_")}
        assert variables <= known, f"{name} sets unknown {sorted(variables - known)}"


def test_compose_points_the_workers_at_the_compose_services() -> None:
    env = _compose()["services"]["relay"]["environment"]
    assert "@postgres:5432/" in env["LANA_DATABASE_URL"]
    assert "@rabbitmq:5672/" in env["LANA_BROKER_URL"]
    assert env["LANA_OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"


def test_the_workers_serve_metrics_and_their_healthcheck_asks_their_liveness() -> None:
    services = _compose()["services"]
    for name in ("relay", "consumer"):
        env = services[name]["environment"]
        port = env["LANA_WORKER_METRICS_PORT"]
        assert env["LANA_WORKER_METRICS_HOST"] == "0.0.0.0"  # a scraper in another container
        assert port in services[name]["expose"]
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/health/live" in probe


def test_the_image_runs_as_a_non_root_user_and_checks_liveness() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim AS build" in dockerfile
    assert "\nUSER lana\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "/health/live" in dockerfile


def test_the_operations_guide_lists_every_variable_with_its_default() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name, default, _meaning in config_catalog():
        shown = f"`{default}`" if default else "(unset)"
        assert f"| `{name}` | {shown} |" in guide, f"docs/operations.md is missing {name} = {shown}"
