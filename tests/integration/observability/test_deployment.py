"""The compose file, the Dockerfile and the operations guide agree with the settings Lana reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lana_adapters.messaging.settings import DEFAULT_ROUTES, parse_routes
from lana_adapters.telemetry import catalog_names, config_catalog
from lana_http.controllers.history import InteractionController

ROOT = Path(__file__).resolve().parents[3]
LANA_SERVICES = ("api", "relay", "consumer")
# Each infrastructure service's healthcheck, by a word of the probe it runs.
INFRASTRUCTURE_PROBES = {
    "postgres": "pg_isready",
    "redis": "ping",
    "rabbitmq": "ping",
    "jaeger": "16686",
    "n8n-db": "pg_isready",
    "n8n": "/healthz",
}


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


def test_every_infrastructure_service_has_a_healthcheck_its_dependants_wait_for() -> None:
    services = _compose()["services"]
    for name, probe in INFRASTRUCTURE_PROBES.items():
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert probe in " ".join(test[1:]), f"{name}'s healthcheck does not run {probe}"
    healthy = {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == healthy
    assert services["api"]["depends_on"]["redis"] == healthy
    assert services["relay"]["depends_on"]["rabbitmq"] == healthy
    assert services["consumer"]["depends_on"]["n8n"] == healthy
    assert services["n8n"]["depends_on"]["n8n-db"] == healthy


def test_the_trace_and_broker_uis_and_the_otlp_port_are_published() -> None:
    services = _compose()["services"]
    assert {"4318:4318", "16686:16686"} <= set(services["jaeger"]["ports"])  # OTLP/HTTP, UI
    assert "15672:15672" in services["rabbitmq"]["ports"]
    # Only the management image serves the UI and API on 15672.
    assert services["rabbitmq"]["image"].endswith("-management")


def test_n8n_keeps_its_data_in_a_database_server_of_its_own() -> None:
    services = _compose()["services"]
    n8n = services["n8n"]["environment"]
    assert n8n["DB_TYPE"] == "postgresdb"
    host = n8n["DB_POSTGRESDB_HOST"]
    assert host in services
    assert host != "postgres"
    n8n_db, lana_db = services[host], services["postgres"]
    assert n8n_db["environment"]["POSTGRES_DB"] == n8n["DB_POSTGRESDB_DATABASE"]
    assert n8n_db["environment"]["POSTGRES_USER"] == n8n["DB_POSTGRESDB_USER"]
    assert n8n_db["environment"]["POSTGRES_DB"] != lana_db["environment"]["POSTGRES_DB"]
    assert n8n_db["environment"]["POSTGRES_USER"] != lana_db["environment"]["POSTGRES_USER"]
    assert not set(n8n_db.get("volumes", [])) & set(lana_db.get("volumes", []))
    assert f"@{host}:" not in _compose()["x-lana-env"]["LANA_DATABASE_URL"]


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


def test_compose_n8n_publishes_the_example_workflow_the_shipped_route_calls() -> None:
    workflow = json.loads((ROOT / "deploy" / "n8n" / "high-value-customer.json").read_text())
    nodes = {node["type"]: node["parameters"] for node in workflow["nodes"]}
    webhook, note = nodes["n8n-nodes-base.webhook"], nodes["n8n-nodes-base.httpRequest"]
    [shipped] = parse_routes(DEFAULT_ROUTES)
    assert shipped.url.endswith(f"/webhook/{webhook['path']}")
    assert _compose()["x-lana-env"]["LANA_WEBHOOK_ROUTES"].endswith(f"/webhook/{webhook['path']}")
    # The note goes to Lana's interactions route of the customer the seed's body names.
    customer = "{{ $json.body.data.customerId }}"
    assert (
        note["url"]
        == "={{ $env.CRM_API_URL }}"
        + InteractionController.path.replace("{customer_id:uuid}", customer)
        + "/interactions"
    )
    n8n = _compose()["services"]["n8n"]
    started = " ".join(n8n["command"])
    assert "n8n import:workflow --input=/workflows/high-value-customer.json" in started
    assert f"n8n publish:workflow --id={workflow['id']}" in started
    assert "./deploy/n8n:/workflows:ro" in n8n["volumes"]
    assert n8n["environment"]["N8N_BLOCK_ENV_ACCESS_IN_NODE"] == "false"
    assert n8n["environment"]["CRM_API_URL"] == "http://api:8000"
