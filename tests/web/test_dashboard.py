"""The dashboard: figures and charts drawn on the server as inline SVG."""

from __future__ import annotations

from tests.e2e.api import Api
from tests.web.pages import Pages


async def test_the_dashboard_draws_its_charts_as_inline_svg(signed_in: Pages, api: Api) -> None:
    await api.customer(name="Ada", value="high", status="active")
    await api.customer(name="Grace")
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
