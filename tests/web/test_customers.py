"""The customers' pages: list, search, pages of 50, create and edit with the core's errors
inline, a stale edit shown as a conflict, and the changes made from a customer's page."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.api import Api
from tests.web.pages import Pages


def _created_id(location: str) -> str:
    match = re.fullmatch(r"/customers/([0-9a-f-]{36})", location)
    assert match, location
    return match.group(1)


async def test_a_customer_created_on_the_form_is_found_by_search(signed_in: Pages) -> None:
    await signed_in.get("/customers/new")
    created = await signed_in.post(
        "/customers",
        {"name": "Ada Lovelace", "email": "ada@engine.test", "company": "Engines", "tags": "vip, uk"},
    )
    assert created.status_code == 303
    customer_id = _created_id(created.headers["location"])

    found = await signed_in.get("/customers?q=lovelace")
    assert found.status_code == 200
    assert f'href="/customers/{customer_id}"' in found.text
    missing = await signed_in.get("/customers?q=nobody-by-that-name")
    assert "No customer matches" in missing.text

    page = await signed_in.get(f"/customers/{customer_id}")
    assert "<title>Ada Lovelace · Lana</title>" in page.text
    assert "uk, vip" in page.text


async def test_the_cores_validation_errors_show_beside_their_fields(signed_in: Pages) -> None:
    await signed_in.get("/customers/new")
    response = await signed_in.post("/customers", {"name": "", "email": "not-an-email"})

    assert response.status_code == 422
    assert 'id="email" name="email"' in response.text
    assert 'aria-describedby="email-error"' in response.text
    assert 'id="name-error"' in response.text
    assert 'value="not-an-email"' in response.text


async def test_more_brings_the_next_rows_in_place(signed_in: Pages, api: Api) -> None:
    batch = {"customers": [{"name": f"Customer {n:03d}"} for n in range(55)]}
    assert (await api.post("/customers/batch", json=batch)).status_code == 201
    first = await signed_in.get("/customers?sort=name")
    assert first.text.count('<td data-label="Name">') == 50
    more = re.search(r'hx-get="([^"]+)"', first.text.split('id="more"')[1])
    assert more

    rows = await signed_in.get(
        more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true", "HX-Target": "more"}
    )

    assert rows.status_code == 200
    assert "<html" not in rows.text
    assert rows.text.count('<td data-label="Name">') == 5
    assert "Customer 054" in rows.text
    assert 'id="more"' not in rows.text


async def test_an_edit_is_saved_with_the_version_it_was_read_at(signed_in: Pages, api: Api) -> None:
    customer = await api.customer(name="Grace Hopper")
    form = await signed_in.get(f"/customers/{customer['id']}/edit")
    assert 'name="version" value="1"' in form.text

    saved = await signed_in.post(
        f"/customers/{customer['id']}/edit", {"version": "1", "name": "Grace B. Hopper", "email": ""}
    )

    assert saved.status_code == 303
    assert (await api.get(f"/customers/{customer['id']}")).json()["name"] == "Grace B. Hopper"


async def test_a_stale_edit_shows_the_conflict_and_overwrites_nothing(signed_in: Pages, api: Api) -> None:
    customer = await api.customer(name="Grace Hopper", company="Navy")
    await signed_in.get(f"/customers/{customer['id']}/edit")
    changed = await api.patch(
        f"/customers/{customer['id']}", json={"company": "Univac"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200

    response = await signed_in.post(
        f"/customers/{customer['id']}/edit", {"version": "1", "name": "Grace Hopper", "company": "Harvard"}
    )

    assert response.status_code == 409
    assert "Someone else changed this customer" in response.text
    assert "Univac" in response.text
    assert "Harvard" in response.text
    assert 'name="version" value="2"' in response.text
    assert (await api.get(f"/customers/{customer['id']}")).json()["company"] == "Univac"


async def test_an_illegal_status_move_is_refused_on_the_page(signed_in: Pages, api: Api) -> None:
    customer = await api.customer(status="active")
    await signed_in.get(f"/customers/{customer['id']}")

    response = await signed_in.post(
        f"/customers/{customer['id']}/status", {"status": "prospect", "version": "1"}
    )

    assert response.status_code == 422
    assert 'class="notice error"' in response.text
    assert (await api.get(f"/customers/{customer['id']}")).json()["status"] == "active"


async def test_an_interaction_is_logged_in_one_press(signed_in: Pages, api: Api) -> None:
    customer = await api.customer()
    await signed_in.get(f"/customers/{customer['id']}")

    logged = await signed_in.post(
        f"/customers/{customer['id']}/interactions", {"type": "call", "subject": ""}
    )

    assert logged.status_code == 303
    listed = (await api.get(f"/customers/{customer['id']}/interactions")).json()["items"]
    assert [(item["type"], item["subject"]) for item in listed] == [("call", "Call")]


async def test_refreshing_the_insight_shows_it_with_its_source(signed_in: Pages, api: Api) -> None:
    customer = await api.customer()
    page = await signed_in.get(f"/customers/{customer['id']}")
    assert "No insight yet" in page.text

    fragment = await signed_in.post(f"/customers/{customer['id']}/insight", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert 'id="insight"' in fragment.text
    assert "Rules" in fragment.text
    assert "Health" in fragment.text


async def test_a_viewer_sees_no_edit_controls_and_a_forged_change_is_refused(pages: Pages, api: Api) -> None:
    customer = await api.customer()
    viewer = await api.as_role("viewer")
    await pages.sign_in(api.slug, viewer.email)

    listing = await pages.get("/customers")
    page = await pages.get(f"/customers/{customer['id']}")

    assert "New customer" not in listing.text
    for control in ("Edit", "Log call", "Refresh insight", "Change status"):
        assert control not in page.text
    forged = await pages.post(f"/customers/{customer['id']}/edit", {"version": "1", "name": "Hacked"})
    assert forged.status_code == 403
    assert (await api.get(f"/customers/{customer['id']}")).json()["name"] == "Grace Hopper"


async def test_another_tenant_sees_none_of_the_customers(
    client: AsyncTestClient[Litestar], signed_in: Pages, api: Api
) -> None:
    customer = await api.customer(name="Secret Customer")
    other = await Api.signup(client)
    signed_in.client.cookies.clear()
    await signed_in.sign_in(other.slug, other.email)

    assert "Secret Customer" not in (await signed_in.get("/customers")).text
    assert (await signed_in.get(f"/customers/{customer['id']}")).status_code == 404


async def test_a_manager_editing_someone_elses_customer_keeps_its_owner(pages: Pages, api: Api) -> None:
    agent = await api.as_role("agent")
    owned = await agent.customer(name="The agent's customer")
    manager = await api.as_role("manager")
    await pages.sign_in(api.slug, manager.email)
    form = await pages.get(f"/customers/{owned['id']}/edit")
    assert "The current owner" in form.text

    saved = await pages.post(
        f"/customers/{owned['id']}/edit",
        {"version": "1", "name": "Renamed", "owner_id": owned["owner_id"]},
    )

    assert saved.status_code == 303
    stored = (await api.get(f"/customers/{owned['id']}")).json()
    assert stored["name"] == "Renamed"
    assert stored["owner_id"] == owned["owner_id"]


async def test_a_refused_contact_shows_in_the_interactions_section_alone(signed_in: Pages, api: Api) -> None:
    customer = await api.customer()
    await signed_in.get(f"/customers/{customer['id']}")
    assert (await api.delete(f"/customers/{customer['id']}", headers={"If-Match": '"1"'})).status_code == 200

    refused = await signed_in.post(
        f"/customers/{customer['id']}/interactions", {"type": "call"}, headers={"HX-Request": "true"}
    )

    assert refused.status_code == 409
    assert refused.text.lstrip().startswith('<section class="panel" id="interactions"')
    assert 'class="notice error"' in refused.text


async def test_the_page_of_a_merged_customer_says_it_is_gone(signed_in: Pages, api: Api) -> None:
    kept = await api.customer(name="Ada Lovelace")
    other = await api.customer(name="A. Lovelace")
    merged = await api.post(
        f"/customers/{kept['id']}/merge", json={"merge_ids": [other["id"]]}, headers={"If-Match": '"1"'}
    )
    assert merged.status_code == 200, merged.text

    page = await signed_in.get(f"/customers/{other['id']}")

    assert page.status_code == 410
    assert "merged into" in page.text


async def test_what_an_integration_wrote_with_an_api_key_is_shown_as_the_keys(
    signed_in: Pages, api: Api
) -> None:
    created = await api.post("/api-keys", json={"name": "n8n workflow", "role": "manager"})
    with_key = {"Authorization": f"Bearer {created.json()['token']}"}
    customer = (await api.post("/customers", json={"name": "Initech"}, headers=with_key)).json()
    note = {"type": "note", "content": "Written back by the workflow"}
    assert (
        await api.post(f"/customers/{customer['id']}/interactions", json=note, headers=with_key)
    ).is_success

    page = await signed_in.get(f"/customers/{customer['id']}")

    # In the interactions list, and on the timeline for the note and for the customer's creation.
    assert page.text.count("n8n workflow (API key)") == 3
