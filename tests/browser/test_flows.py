"""A salesperson's day in a real browser, and what every page must hold to.

Each test also fails if a page logged an error or requested anything from another origin
(see the ``tab`` fixture).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Tab
from tests.e2e.api import Api
from tests.support import PASSWORD

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.browser]

_UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.outerHTML)"""


async def test_a_salesperson_works_through_customers(tab: Tab, api: Api) -> None:
    page = tab.page
    await api.customer(name="Charles Babbage", company="Engines")
    await tab.sign_in(api.slug, api.email, PASSWORD)
    await expect(page).to_have_title("Dashboard · Lana")

    # Create a customer.
    await page.get_by_role("link", name="Customers").click()
    await page.get_by_role("link", name="New customer").click()
    await page.get_by_label("Name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill("ada@analytical.test")
    await page.get_by_label("Company").fill("Analytical")
    await page.get_by_role("button", name="Create customer").click()
    await expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    customer_url = page.url

    # Find it by search: the results change as one types.
    await tab.open("/customers")
    await page.get_by_label("Search").fill("lovelace")
    await expect(page.get_by_role("link", name="Charles Babbage")).to_have_count(0)
    await expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    await page.get_by_role("link", name="Ada Lovelace").click()

    # Edit it.
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Company").fill("Analytical Engines")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await expect(page.get_by_role("definition").filter(has_text="Analytical Engines")).to_be_visible()

    # A stale edit: someone else saves first; ours shows the conflict and saves nothing.
    await page.get_by_role("link", name="Edit").click()
    customer_id = customer_url.rsplit("/", 1)[1]
    current = await api.get(f"/customers/{customer_id}")
    changed = await api.patch(
        f"/customers/{customer_id}",
        json={"company": "Difference Engines"},
        headers={"If-Match": current.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    await page.get_by_label("Company").fill("Mine")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Someone else changed this customer")).to_be_visible()
    await expect(page.get_by_role("cell", name="Difference Engines")).to_be_visible()
    await tab.shoot("web-conflict")
    assert (await api.get(f"/customers/{customer_id}")).json()["company"] == "Difference Engines"

    # Log an interaction: type what it was about, press the kind.
    await page.goto(customer_url)
    await page.get_by_label("What was it about?").fill("Intro call")
    await page.get_by_role("button", name="Log call").click()
    interactions = page.locator("#interactions")
    await expect(interactions.get_by_text("Call logged.")).to_be_visible()
    await expect(interactions.get_by_text("Intro call")).to_be_visible()

    # Refresh the insight: it shows with its source.
    await page.get_by_role("button", name="Refresh insight").click()
    await expect(page.locator("#insight").get_by_text("Rules")).to_be_visible()
    await expect(page.locator("#insight").get_by_text("Churn risk", exact=True)).to_be_visible()
    await tab.shoot("web-customer")


async def test_the_board_moves_projects_and_refuses_an_illegal_move(tab: Tab, api: Api) -> None:
    page = tab.page
    customer = await api.customer(name="Grace Hopper")
    await api.project(customer["id"], title="Compiler", due_date="2026-01-15")
    await api.project(customer["id"], title="Manual")
    await tab.sign_in(api.slug, api.email, PASSWORD)
    await tab.open("/projects")

    for target in ("In progress", "Review", "Done"):
        await page.get_by_role("button", name=f"Move “Compiler” to {target}").click()
        column = page.locator(f'section[aria-labelledby="column-{target.lower().replace(" ", "_")}"]')
        await expect(column.get_by_role("link", name="Compiler")).to_be_visible()

    await page.get_by_role("button", name="Move “Compiler” to Review").click()
    await expect(page.get_by_role("alert")).to_contain_text("cannot move from done to review")
    done = page.locator('section[aria-labelledby="column-done"]')
    await expect(done.get_by_role("link", name="Compiler")).to_be_visible()
    await tab.shoot("web-board")


async def test_the_dashboard_draws_charts_and_updates_live(tab: Tab, api: Api) -> None:
    page = tab.page
    ada = await api.customer(name="Ada", value="high", status="active")
    await api.interaction(ada["id"], type="call", subject="Intro call")
    await api.interaction(ada["id"], type="email", subject="Proposal")
    project = await api.project(ada["id"], title="Rollout")
    await api.task(project["id"], title="Plan", due_date="2026-01-15")
    assert (await api.post("/analytics/events", json={"name": "opened.report"})).status_code == 201
    await tab.sign_in(api.slug, api.email, PASSWORD)

    charts = page.locator("svg.chart")
    await expect(charts.first).to_be_visible()
    assert await charts.count() >= 6
    for title in ("Interactions per day, last 30 days", "New customers per day, last 30 days"):
        chart = page.locator("figure", has=page.get_by_text(title))
        await expect(chart.locator("svg.chart")).to_be_visible()
    interactions = page.locator("figure", has=page.get_by_text("Interactions per day"))
    await expect(interactions).to_contain_text("Email 1 · Call 1")
    for name in ("Open tasks", "Overdue tasks"):
        value = page.locator(".figure", has=page.locator(".name", has_text=name)).locator(".value")
        await expect(value).to_have_text("1")
    customers = (
        page.locator(".figure", has=page.locator(".name", has_text="Customers")).locator(".value").first
    )
    await expect(customers).to_have_text("1")
    await page.wait_for_timeout(500)  # the page subscribes to the event stream once loaded

    await api.customer(name="Grace")

    await expect(customers).to_have_text("2", timeout=15_000)
    await tab.shoot("web-dashboard")


async def test_an_admin_imports_customers_and_merges_duplicates(tab: Tab, api: Api) -> None:
    page = tab.page
    await api.customer(name="Ada Lovelace", phone="+44 20 7946 0000", company="Engines")
    await tab.sign_in(api.slug, api.email, PASSWORD)

    # Import a small file: the job's page follows it until it has finished.
    await tab.open("/customers")
    await page.get_by_role("link", name="Import").click()
    csv = (
        "name,email,phone,company\n"
        "Ada Lovelace,ada@engines.test,+442079460000,Engines\n"
        "Grace Hopper,grace@navy.test,,Navy\n"
    )
    upload = {"name": "customers.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    await page.get_by_label("CSV file").set_input_files([upload])
    await page.get_by_role("button", name="Import").click()
    await expect(page).to_have_title("Customer import · Lana")
    await expect(page.get_by_text("Import finished.")).to_be_visible()
    created = page.locator("dl.facts dd").first
    await expect(created).to_have_text("2")
    await tab.shoot("web-import")
    await page.get_by_role("link", name="See the customers").click()
    await expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
    await expect(page.get_by_role("link", name="Ada Lovelace")).to_have_count(2)

    # The two Adas are a likely pair: keep the first, fold the other in.
    await page.get_by_role("link", name="Duplicates").click()
    await expect(page.get_by_text("Same phone")).to_be_visible()
    await tab.shoot("web-duplicates")
    await page.get_by_role("button", name="Keep Ada Lovelace (ada@engines.test)").click()
    await expect(page.get_by_text("Merged into")).to_be_visible()
    await expect(page.get_by_text("No likely duplicates.")).to_be_visible()
    await tab.open("/customers")
    await expect(page.get_by_role("link", name="Ada Lovelace")).to_have_count(1)


async def test_an_admin_creates_an_api_key_sees_its_token_once_and_revokes_it(tab: Tab, api: Api) -> None:
    page = tab.page
    page.on("dialog", lambda dialog: dialog.accept())
    await tab.sign_in(api.slug, api.email, PASSWORD)
    await page.get_by_role("link", name="Admin").click()
    await page.get_by_role("link", name="API keys").click()

    await page.get_by_label("Name").fill("n8n follow-ups")
    await page.get_by_label("Role").select_option("agent")
    await page.get_by_role("button", name="Create API key").click()
    token = page.get_by_label("Token")
    await expect(token).to_have_value(re.compile(r"^lana_sk_"))
    secret = await token.input_value()
    assert (
        await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 200
    await tab.shoot("web-api-keys")

    await tab.open("/admin/api-keys")
    await expect(page.get_by_label("Token")).to_have_count(0)
    await expect(page.get_by_role("cell", name="n8n follow-ups", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Revoke n8n follow-ups").click()
    await expect(page.locator("td[data-label=State]").filter(has_text="revoked")).to_be_visible()
    await expect(page.get_by_role("button", name="Revoke n8n follow-ups")).to_have_count(0)
    assert (
        await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 401


async def test_signing_out_ends_the_session(tab: Tab, api: Api) -> None:
    page = tab.page
    await tab.sign_in(api.slug, api.email, PASSWORD)

    await page.get_by_role("button", name="Sign out").click()

    await expect(page).to_have_title("Sign in · Lana")
    await tab.open("/customers")
    await expect(page).to_have_title("Sign in · Lana")


async def test_a_viewer_sees_no_edit_controls(tab: Tab, api: Api) -> None:
    page = tab.page
    customer = await api.customer(name="Grace Hopper")
    await api.project(customer["id"], title="Compiler")
    viewer = await api.as_role("viewer")
    await tab.sign_in(api.slug, viewer.email, PASSWORD)

    for path in ("/customers", f"/customers/{customer['id']}", "/projects"):
        await tab.open(path)
        assert await page.locator("main form[method=post]").count() == 0, path
        await expect(page.get_by_role("link", name="New customer")).to_have_count(0)
        await expect(page.get_by_role("link", name="Edit")).to_have_count(0)


async def test_a_second_tenant_sees_none_of_the_firsts_data(tab: Tab, api: Api) -> None:
    page = tab.page
    customer = await api.customer(name="Secret Customer")
    other = await Api.signup(api.client)
    await tab.sign_in(other.slug, other.email, PASSWORD)

    await tab.open("/customers")
    await expect(page.get_by_text("Secret Customer")).to_have_count(0)
    response = await tab.open(f"/customers/{customer['id']}")
    assert response.status == 404
    await expect(page).to_have_title("Not found · Lana")


async def test_every_page_has_a_title_and_labelled_fields(tab: Tab, api: Api) -> None:
    customer = await api.customer(name="Grace Hopper")
    project = await api.project(customer["id"], title="Compiler")
    await tab.open("/login")
    pages = [
        "/",
        "/customers",
        "/customers/new",
        f"/customers/{customer['id']}",
        f"/customers/{customer['id']}/edit",
        "/projects",
        f"/projects/{project['id']}",
        "/work",
        "/admin/users",
        "/admin/settings",
        "/admin/api-keys",
        "/admin/webhooks",
        "/customers/import",
        "/customers/duplicates",
        "/no/such/page",
    ]
    await _check_page(tab, "/login")
    await tab.sign_in(api.slug, api.email, PASSWORD)
    for path in pages:
        await _check_page(tab, path)
    await tab.open("/admin/users")
    await tab.shoot("web-admin")
    await tab.open("/work")
    await tab.shoot("web-work")


async def test_the_customer_list_fits_a_phone(chromium: Any, server: str, api: Api, tmp_path: Any) -> None:
    context = await chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = Tab(await context.new_page(), server, tmp_path)
        for n in range(4):
            await api.customer(name=f"Customer {n}", company="A company with a rather long name")
        await phone.sign_in(api.slug, api.email, PASSWORD)
        await phone.open("/customers")
        overflow = await phone.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        await phone.shoot("web-phone", full_page=False)
        assert phone.errors == []
        assert phone.foreign == []
    finally:
        await context.close()


async def _check_page(tab: Tab, path: str) -> None:
    await tab.open(path)
    title = await tab.page.title()
    assert title.endswith(" · Lana"), (path, title)
    assert len(title) > len(" · Lana"), path
    assert await tab.page.evaluate(_UNLABELLED_FIELDS) == [], path
