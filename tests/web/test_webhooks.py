"""Admin: webhook subscriptions listed, paused and resumed (read-only otherwise)."""

from __future__ import annotations

import re

from tests.e2e.api import Api
from tests.web.pages import Pages

HOOK = {"url": "https://hooks.example.com/lana", "event_types": ["customer.*"], "filters": ["value = high"]}


async def _subscription(api: Api) -> dict[str, object]:
    response = await api.post("/webhooks", json=HOOK)
    assert response.status_code == 201, response.text
    return dict(response.json()["webhook"])


async def test_a_subscription_is_listed_paused_and_resumed(signed_in: Pages, api: Api) -> None:
    hook = await _subscription(api)

    listed = await signed_in.get("/admin/webhooks")

    assert listed.status_code == 200
    assert "<title>Webhooks · Lana</title>" in listed.text
    assert "https://hooks.example.com/lana" in listed.text
    assert "customer.*" in listed.text
    assert "No delivery yet." in listed.text
    paused = await signed_in.post(f"/admin/webhooks/{hook['id']}/pause")
    assert paused.status_code == 303
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["active"] is False
    page = await signed_in.get("/admin/webhooks")
    assert "paused by an admin" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version

    resumed = await signed_in.post(f"/admin/webhooks/{hook['id']}/resume", {"version": version.group(1)})

    assert resumed.status_code == 303
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["active"] is True


async def test_a_stale_resume_changes_nothing_and_says_why(signed_in: Pages, api: Api) -> None:
    hook = await _subscription(api)
    await signed_in.get("/admin/webhooks")
    await signed_in.post(f"/admin/webhooks/{hook['id']}/pause")

    stale = await signed_in.post(f"/admin/webhooks/{hook['id']}/resume", {"version": "1"})

    assert stale.status_code == 409
    assert "changed meanwhile: it was not resumed" in stale.text
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["active"] is False


async def test_webhooks_are_refused_to_other_roles(pages: Pages, api: Api) -> None:
    hook = await _subscription(api)
    manager = await api.as_role("manager")
    await pages.sign_in(api.slug, manager.email)

    assert (await pages.get("/admin/webhooks")).status_code == 403
    refused = await pages.post(f"/admin/webhooks/{hook['id']}/pause")
    assert refused.status_code == 403
    assert "this form has expired" not in refused.text
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["active"] is True
