"""Customers in bulk from the pages: export the list's matches, import a CSV file as a job
and follow it to the end, with the refused rows to download."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from lana_http.settings import HttpSettings
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings
from tests.web.pages import HTML, Pages

_CSV = (
    "name,email,company\nAda Lovelace,ada@engine.test,Engines\nCharles Babbage,charles@engine.test,Engines\n"
)


async def _upload(pages: Pages, content: str, **options: str) -> httpx.Response:
    await pages.get("/customers/import")
    form = {"mode": "create", "match": "email", **options}
    files = {"file": ("customers.csv", content.encode(), "text/csv")}
    return await pages.post("/customers/import", form, files=files)


async def _finished_job(pages: Pages, location: str) -> str:
    """The job's page once it no longer polls (the job ran after the upload's answer)."""
    for _ in range(50):
        page = await pages.get(location, headers={"HX-Request": "true"})
        assert page.status_code == 200, page.text
        if 'hx-trigger="every 1s"' not in page.text:
            return page.text
    raise AssertionError("the import job did not finish")


async def test_an_imported_file_becomes_customers_and_the_job_page_says_so(signed_in: Pages) -> None:
    started = await _upload(signed_in, _CSV)

    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert re.fullmatch(r"/customers/imports/[0-9a-f-]{36}", location)
    whole = await signed_in.get(location)
    assert whole.status_code == 200
    assert "<title>Customer import · Lana</title>" in whole.text
    done = await _finished_job(signed_in, location)
    assert "Completed" in done
    assert "<dt>Created</dt><dd>2</dd>" in re.sub(r"\s+", "", done)
    listed = await signed_in.get("/customers?q=engine")
    assert "Ada Lovelace" in listed.text
    assert "Charles Babbage" in listed.text


async def test_a_dry_run_changes_nothing(signed_in: Pages) -> None:
    started = await _upload(signed_in, _CSV, dry_run="on")
    done = await _finished_job(signed_in, started.headers["location"])

    assert "Dry run finished: nothing was changed." in done
    assert "Ada Lovelace" not in (await signed_in.get("/customers")).text


async def test_refused_rows_fail_the_job_and_are_offered_for_download(signed_in: Pages) -> None:
    content = _CSV + ",nameless@engine.test,Engines\n"
    started = await _upload(signed_in, content)
    location = started.headers["location"]

    done = await _finished_job(signed_in, location)

    assert "Nothing was imported" in done
    assert f'href="{location}/refused.csv"' in done
    refused = await signed_in.get(f"{location}/refused.csv")
    assert refused.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(refused.text)))
    assert rows[0] == ["name", "email", "company", "line", "error"]
    assert rows[1][:3] == ["", "nameless@engine.test", "Engines"]
    assert rows[1][3] == "4"
    assert "Ada Lovelace" not in (await signed_in.get("/customers")).text


async def test_skipping_invalid_rows_imports_the_others(signed_in: Pages) -> None:
    started = await _upload(signed_in, _CSV + ",nameless@engine.test,Engines\n", skip_invalid="on")
    done = await _finished_job(signed_in, started.headers["location"])

    assert "Import finished." in done
    assert "Ada Lovelace" in (await signed_in.get("/customers")).text


async def test_a_missing_file_or_a_bad_option_shows_the_form_again(signed_in: Pages) -> None:
    await signed_in.get("/customers/import")
    no_file = await signed_in.post("/customers/import", {"mode": "create", "match": "email"}, files={})
    assert no_file.status_code == 422
    assert 'id="file-error"' in no_file.text
    assert "choose a CSV file" in no_file.text

    bad_mode = await _upload(signed_in, _CSV, mode="replace")
    assert bad_mode.status_code == 422
    assert 'id="mode-error"' in bad_mode.text

    no_header = await _upload(signed_in, "\n")
    assert no_header.status_code == 422
    assert 'id="file-error"' in no_header.text
    assert "Ada Lovelace" not in (await signed_in.get("/customers")).text


async def test_the_export_follows_the_lists_filters(signed_in: Pages, api: Api) -> None:
    await api.customer(name="Ada Lovelace", status="active")
    await api.customer(name="Grace Hopper", status="prospect")

    listed = await signed_in.get("/customers?status=active")
    link = re.search(r'href="(/customers/export\.csv\?[^"]*)"', listed.text)
    assert link, "the list has no export link"
    exported = await signed_in.get(link.group(1).replace("&amp;", "&"))

    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="customers.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["name"] for row in rows] == ["Ada Lovelace"]


async def test_a_viewer_may_neither_import_nor_see_the_link(pages: Pages, api: Api) -> None:
    viewer = await api.as_role("viewer")
    await pages.sign_in(api.slug, viewer.email)

    listed = await pages.get("/customers")
    assert 'href="/customers/import"' not in listed.text
    assert (await pages.get("/customers/import")).status_code == 403
    files = {"file": ("customers.csv", _CSV.encode(), "text/csv")}
    refused = await pages.post("/customers/import", {"mode": "create", "match": "email"}, files=files)
    assert refused.status_code == 403
    assert (await api.get("/customers")).json()["items"] == []


async def test_another_tenants_job_is_not_found(signed_in: Pages, api: Api) -> None:
    started = await _upload(signed_in, _CSV)
    other = await Api.signup(api.client)
    stranger = Pages(api.client)
    stranger.client.cookies.clear()
    await stranger.sign_in(other.slug, other.email)

    response = await stranger.get(started.headers["location"], headers=HTML)
    assert response.status_code == 404


async def test_a_file_that_is_not_text_shows_the_form_again(signed_in: Pages) -> None:
    refused = await _upload(signed_in, "")
    garbled = await signed_in.post(
        "/customers/import",
        {"mode": "create", "match": "email"},
        files={"file": ("customers.csv", b"\xff\xfe\x00\x81name\n", "text/csv")},
    )
    for response in (refused, garbled):
        assert response.status_code == 422, response.text
        assert 'id="file-error"' in response.text


class TestAFileOverTheLimit:
    @pytest.fixture
    def settings(self) -> HttpSettings:
        return http_settings(import_max_bytes=64)

    async def test_is_refused_beside_the_file_field_and_queues_nothing(self, signed_in: Pages) -> None:
        refused = await _upload(signed_in, _CSV)

        assert refused.status_code == 413
        assert 'id="file-error"' in refused.text
        assert "at most 64 bytes" in refused.text
        assert "Ada Lovelace" not in (await signed_in.get("/customers")).text
