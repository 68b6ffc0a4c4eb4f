"""Admin: API keys listed, created with their token shown once, and revoked."""

from __future__ import annotations

import re

from tests.e2e.api import Api
from tests.web.pages import Pages


def _token(page: str) -> str:
    match = re.search(r'id="token" class="token" type="text" value="(lana_sk_[^"]+)"', page)
    assert match, "the page shows no token"
    return match.group(1)


async def test_a_key_is_created_its_token_shown_once_and_it_works(signed_in: Pages, api: Api) -> None:
    await signed_in.get("/admin/api-keys")

    created = await signed_in.post("/admin/api-keys", {"name": "n8n follow-ups", "role": "agent"})

    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = _token(created.text)
    me = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "agent"
    listed = await signed_in.get("/admin/api-keys")
    assert "n8n follow-ups" in listed.text
    assert token not in listed.text
    assert 'id="token"' not in listed.text


async def test_a_revoked_key_is_refused_and_shown_revoked(signed_in: Pages, api: Api) -> None:
    await signed_in.get("/admin/api-keys")
    token = _token((await signed_in.post("/admin/api-keys", {"name": "Zapier", "role": "viewer"})).text)
    key_id = (await api.get("/api-keys")).json()["items"][0]["id"]

    revoked = await signed_in.post(f"/admin/api-keys/{key_id}/revoke")

    assert revoked.status_code == 303
    me = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    page = await signed_in.get("/admin/api-keys")
    assert "revoked" in page.text
    again = await signed_in.post(f"/admin/api-keys/{key_id}/revoke")
    assert again.status_code == 409
    assert "already revoked" in again.text


async def test_a_blank_name_or_a_past_expiry_is_shown_beside_its_field(signed_in: Pages, api: Api) -> None:
    await signed_in.get("/admin/api-keys")

    blank = await signed_in.post("/admin/api-keys", {"name": " ", "role": "agent"})
    past = await signed_in.post(
        "/admin/api-keys", {"name": "Old", "role": "agent", "expires_at": "2020-01-01"}
    )
    garbled = await signed_in.post("/admin/api-keys", {"name": "Odd", "role": "agent", "expires_at": "soon"})
    no_role = await signed_in.post("/admin/api-keys", {"name": "Odd", "role": "owner"})

    for response, field in (
        (blank, "name"),
        (past, "expires_at"),
        (garbled, "expires_at"),
        (no_role, "role"),
    ):
        assert response.status_code == 422, field
        assert f'id="{field}-error"' in response.text, field
        assert 'id="token"' not in response.text
    assert (await api.get("/api-keys")).json()["items"] == []


async def test_a_key_with_an_expiry_lists_it(signed_in: Pages) -> None:
    await signed_in.get("/admin/api-keys")
    created = await signed_in.post(
        "/admin/api-keys", {"name": "Quarterly", "role": "manager", "expires_at": "2099-03-31"}
    )
    assert created.status_code == 200
    assert "31 Mar 2099 00:00 UTC" in created.text


async def test_api_keys_are_refused_to_other_roles(pages: Pages, api: Api) -> None:
    manager = await api.as_role("manager")
    await pages.sign_in(api.slug, manager.email)

    assert (await pages.get("/admin/api-keys")).status_code == 403
    created = await pages.post("/admin/api-keys", {"name": "Mine", "role": "viewer"})
    assert created.status_code == 403
    assert "this form has expired" not in created.text  # refused by the core, not the CSRF check
    assert (await api.get("/api-keys")).json()["items"] == []
