"""The dashboard: figures and charts drawn on the server as inline SVG."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.e2e.api import Api
from tests.web.pages import Pages


async def test_the_dashboard_draws_its_charts_as_inline_svg(signed_in: Pages, api: Api) -> None:
    await api.customer(name="Ada", value="high", status="active")
    grace = await api.customer(name="Grace")
    await api.interaction(grace["id"], type="call")
    assert (await api.post("/analytics/events", json={"name": "opened.report"})).status_code == 201

    page = await signed_in.get("/")

    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') >= 5
    assert "<title>Active: 1</title>" in page.text
    assert "<title>High: 1</title>" in page.text
    assert 'sse-connect="/live"' in page.text


async def test_the_figures_come_alone_for_a_live_refresh(signed_in: Pages, api: Api) -> None:
    await api.customer()

    fragment = await signed_in.get("/dashboard/figures", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="figures"')
    assert "<html" not in fragment.text


async def test_the_task_figures_are_the_tenants_not_the_viewers(signed_in: Pages, api: Api) -> None:
    agent = (await (await api.as_role("agent")).me())["user_id"]
    customer = await api.customer()
    project = await api.project(customer["id"])
    late = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    await api.task(project["id"], title="Nobody's, late", due_date=late)
    await api.task(project["id"], title="The agent's, late", assignee_id=agent, due_date=late)
    await api.task(project["id"], title="The agent's, undated", assignee_id=agent)

    page = await signed_in.get("/")

    assert figure(page.text, "Open tasks") == "3"
    assert figure(page.text, "Overdue tasks") == "2"


async def test_the_dashboard_charts_interactions_per_day(signed_in: Pages, api: Api) -> None:
    customer = await api.customer()
    await api.interaction(customer["id"], type="call")
    await api.interaction(customer["id"], type="call")
    await api.interaction(customer["id"], type="email")
    today = datetime.now(UTC)

    page = await signed_in.get("/")

    assert "Interactions per day, last 30 days" in page.text
    assert f"<title>{today.day} {today:%b}: 3</title>" in page.text
    assert "Email 1 · Call 2 · Meeting 0 · Note 0" in page.text
    assert "New customers per day, last 30 days" in page.text


def figure(html: str, name: str) -> str:
    """The value shown above a dashboard figure's name."""
    found = re.search(rf'<div class="value">([^<]*)</div><div class="name">{re.escape(name)}</div>', html)
    assert found is not None, name
    return found.group(1)
