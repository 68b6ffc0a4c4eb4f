"""Analytics over HTTP: ingest events, read the figures back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.api import Api


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def _seed(api: Api) -> None:
    events = [
        {"name": "page_view", "user_id": "u1", "session_id": "s1", "occurred_at": _ago(minutes=5)},
        {"name": "page_view", "user_id": "u2", "session_id": "s2", "occurred_at": _ago(minutes=10)},
        {"name": "signup", "user_id": "u1", "session_id": "s1", "occurred_at": _ago(minutes=20)},
    ]
    response = await api.post("/analytics/events/batch", json={"events": events})
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 3


async def test_one_event_is_ingested_and_echoed(api: Api) -> None:
    response = await api.post(
        "/analytics/events", json={"name": "clicked", "properties": {"button": "buy", "n": 2}}
    )
    assert response.status_code == 201
    assert response.json()["properties"] == {"button": "buy", "n": 2}


async def test_metrics_count_events_users_and_sessions(api: Api) -> None:
    await _seed(api)
    metrics = (await api.get("/analytics/metrics", params={"timeframe": "1h"})).json()
    assert metrics["total_events"] >= 3
    assert metrics["unique_sessions"] == 2
    assert {"name": "page_view", "count": 2, "kind": "product"} in metrics["top_events"]


async def test_time_series_has_a_bucket_per_interval(api: Api) -> None:
    await _seed(api)
    series = (await api.get("/analytics/timeseries", params={"timeframe": "24h", "interval": "hour"})).json()
    assert len(series["buckets"]) in (24, 25)
    assert sum(b["count"] for b in series["buckets"]) >= 3


async def test_top_events_are_bounded_and_ordered(api: Api) -> None:
    await _seed(api)
    top = (await api.get("/analytics/top-events", params={"timeframe": "1h", "limit": 1})).json()
    assert len(top["items"]) == 1
    assert (await api.get("/analytics/top-events", params={"limit": 101})).status_code == 400


async def test_per_user_metrics_break_events_down(api: Api) -> None:
    await _seed(api)
    user = (await api.get("/analytics/users/u1", params={"timeframe": "1h"})).json()
    assert user["total_events"] == 2
    assert user["unique_sessions"] == 1
    assert {e["name"] for e in user["recent"]} == {"page_view", "signup"}


async def test_the_dashboard_counts_customers_and_projects(api: Api) -> None:
    customer = await api.customer(value="high")
    await api.project(customer["id"])
    board = (await api.get("/analytics/dashboard")).json()
    assert board["total_customers"] == 1
    assert board["high_value_customers"] == 1
    assert board["total_projects"] == 1
    assert len(board["new_customers_per_day"]) == 30


async def test_an_invalid_event_in_a_batch_names_its_index_and_stores_nothing(api: Api) -> None:
    events = [{"name": "ok"}, {"name": " "}]
    response = await api.post("/analytics/events/batch", json={"events": events})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events[1].name"
    metrics = (await api.get("/analytics/metrics", params={"timeframe": "1h"})).json()
    assert all(e["name"] != "ok" for e in metrics["top_events"])


async def test_batches_are_bounded(api: Api) -> None:
    assert (await api.post("/analytics/events/batch", json={"events": []})).status_code == 400
    many = {"events": [{"name": "e"}] * 1001}
    assert (await api.post("/analytics/events/batch", json=many)).status_code == 400


async def test_an_unknown_timeframe_is_refused(api: Api) -> None:
    response = await api.get("/analytics/metrics", params={"timeframe": "2d"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "timeframe"


async def test_top_events_and_per_user_figures_keep_product_and_system_events_apart(api: Api) -> None:
    await _seed(api)
    customer = await api.customer(value="high")
    assert (await api.post(f"/customers/{customer['id']}/insights")).status_code == 200

    product = (await api.get("/analytics/top-events", params={"timeframe": "1h", "limit": 100})).json()
    assert {(i["name"], i["kind"]) for i in product["items"]} == {
        ("page_view", "product"),
        ("signup", "product"),
    }
    system = await api.get(
        "/analytics/top-events", params={"timeframe": "1h", "limit": 100, "kind": "system"}
    )
    assert system.status_code == 200, system.text
    names = {i["name"]: i["kind"] for i in system.json()["items"]}
    assert names["customer.created"] == names["insight.generated"] == "system"
    assert "page_view" not in names

    metrics = (await api.get("/analytics/metrics", params={"timeframe": "1h"})).json()
    assert metrics["total_events"] == 3
    board = (await api.get("/analytics/dashboard")).json()
    assert {i["kind"] for i in board["top_events_today"]} <= {"product"}

    actor = (await api.me())["user_id"]
    mine = (await api.get(f"/analytics/users/{actor}", params={"timeframe": "1h"})).json()
    assert mine["total_events"] == 0
    done = (await api.get(f"/analytics/users/{actor}", params={"timeframe": "1h", "kind": "system"})).json()
    assert {"customer.created", "insight.generated"} <= {e["name"] for e in done["by_event"]}
    assert (await api.get("/analytics/top-events", params={"kind": "audit"})).status_code == 400


async def test_an_event_named_like_a_system_event_is_refused_with_422(api: Api) -> None:
    response = await api.post("/analytics/events", json={"name": "insight.generated"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("name", "reserved")
