"""Duplicate customers: the pairs, with both customers linked, and merging one into the other
against the version of the one kept."""

from __future__ import annotations

import re

from tests.e2e.api import Api
from tests.web.pages import Pages


async def _pair(api: Api) -> tuple[dict[str, object], dict[str, object]]:
    first = await api.customer(name="Ada Lovelace", phone="+44 20 7946 0000", company="Engines")
    second = await api.customer(name="Ada Lovelace", phone="+442079460000", company="Engines", tags=["vip"])
    return first, second


def _merge_form(page: str, keep: object, merge: object) -> dict[str, str]:
    """The fields of the page's form keeping ``keep`` and merging ``merge`` into it."""
    forms = re.findall(r'<form method="post" action="/customers/duplicates/merge">(.*?)</form>', page, re.S)
    for form in forms:
        fields = dict(re.findall(r'name="(keep|merge|version)" value="([^"]+)"', form))
        if fields.get("keep") == keep and fields.get("merge") == merge:
            return fields
    raise AssertionError(f"no form keeping {keep} and merging {merge}")


async def test_a_pair_is_listed_and_merged_into_the_customer_kept(signed_in: Pages, api: Api) -> None:
    first, second = await _pair(api)

    page = await signed_in.get("/customers/duplicates")

    assert page.status_code == 200
    assert "<title>Duplicate customers · Lana</title>" in page.text
    assert f'href="/customers/{first["id"]}"' in page.text
    assert f'href="/customers/{second["id"]}"' in page.text
    assert "Same phone" in page.text
    merged = await signed_in.post(
        "/customers/duplicates/merge", _merge_form(page.text, first["id"], second["id"])
    )

    assert merged.status_code == 200
    assert "Merged into" in merged.text
    assert "No likely duplicates." in merged.text
    kept = (await api.get(f"/customers/{first['id']}")).json()
    assert kept["tags"] == ["vip"]
    assert (await api.get(f"/customers/{second['id']}")).status_code == 410


async def test_a_stale_version_merges_nothing_and_says_why(signed_in: Pages, api: Api) -> None:
    first, second = await _pair(api)
    page = await signed_in.get("/customers/duplicates")
    form = _merge_form(page.text, first["id"], second["id"])
    current = await api.get(f"/customers/{first['id']}")
    changed = await api.patch(
        f"/customers/{first['id']}", json={"notes": "changed"}, headers={"If-Match": current.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text

    stale = await signed_in.post("/customers/duplicates/merge", form)

    assert stale.status_code == 409
    assert "was changed meanwhile: nothing was merged" in stale.text
    assert (await api.get(f"/customers/{second['id']}")).status_code == 200


async def test_a_merge_of_a_customer_already_merged_is_refused_on_the_page(
    signed_in: Pages, api: Api
) -> None:
    first, second = await _pair(api)
    page = await signed_in.get("/customers/duplicates")
    keep_first = _merge_form(page.text, first["id"], second["id"])
    keep_second = _merge_form(page.text, second["id"], first["id"])
    assert (await signed_in.post("/customers/duplicates/merge", keep_first)).status_code == 200

    again = await signed_in.post("/customers/duplicates/merge", keep_second)

    assert again.status_code == 409
    assert "Nothing was merged" in again.text


async def test_a_form_without_the_customers_is_refused_on_the_page(signed_in: Pages) -> None:
    await signed_in.get("/customers/duplicates")
    refused = await signed_in.post("/customers/duplicates/merge", {"version": "1"})
    assert refused.status_code == 422
    assert "choose the customers to merge" in refused.text


async def test_agents_see_neither_the_page_nor_its_link(pages: Pages, api: Api) -> None:
    agent = await api.as_role("agent")
    await pages.sign_in(api.slug, agent.email)

    assert 'href="/customers/duplicates"' not in (await pages.get("/customers")).text
    assert (await pages.get("/customers/duplicates")).status_code == 403


async def test_a_manager_sees_the_pairs(pages: Pages, api: Api) -> None:
    await _pair(api)
    manager = await api.as_role("manager")
    await pages.sign_in(api.slug, manager.email)

    assert 'href="/customers/duplicates"' in (await pages.get("/customers")).text
    assert "Same phone" in (await pages.get("/customers/duplicates")).text
