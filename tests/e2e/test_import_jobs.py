"""Customer imports as jobs over HTTP: 202 and a Location, polling, refused rows as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from lana_http.settings import HttpSettings
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings

_CSV = {"content-type": "text/csv"}


@pytest.fixture
def settings() -> HttpSettings:
    # A job's file is bounded by its own limit, not by the request body's.
    return http_settings(max_body_bytes=4_096, import_max_bytes=64_000)


async def test_a_job_answers_202_and_its_location_tells_how_it_went(api: Api) -> None:
    rows = "".join(f"Person {n},p{n}@example.com,+44 20 7946 {n:04}\n" for n in range(300))
    body = f"Full name,E-mail,Phone\n{rows}".encode()
    assert len(body) > 4_096

    started = await api.post("/customers/imports", params={"mode": "upsert"}, content=body, headers=_CSV)
    polled = await api.client.get(started.headers["location"], headers=api.headers)

    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    job = polled.json()
    assert (job["status"], job["applied"], job["created"], job["refused"]) == ("completed", True, 300, 0)
    listed = (await api.get("/customers", params={"count": "true", "q": "p299@"})).json()
    assert [c["phone"] for c in listed["items"]] == ["+442079460299"]


async def test_a_retried_upload_with_the_same_key_gets_the_first_job_back(api: Api) -> None:
    rows = "".join(f"Person {n},p{n}@example.com\n" for n in range(300))
    body = f"name,email\n{rows}".encode()
    assert len(body) > 4_096, "beyond the request body bound the key used to meet"
    headers = {**_CSV, "Idempotency-Key": "upload-1"}

    first = await api.post("/customers/imports", content=body, headers=headers)
    retried = await api.post("/customers/imports", content=body, headers=headers)
    other = await api.post("/customers/imports", content=body + b"Zed,zed@example.com\n", headers=headers)

    assert (first.status_code, retried.status_code) == (202, 202), first.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    job = (await api.client.get(first.headers["location"], headers=api.headers)).json()
    assert (job["status"], job["created"], job["refused_kept"]) == ("completed", 300, 0)


async def test_a_file_past_the_job_bound_is_413_with_a_key_too(api: Api) -> None:
    body = b"name\n" + b"x" * 64_000

    answer = await api.post(
        "/customers/imports", content=body, headers={**_CSV, "Idempotency-Key": "too-big"}
    )

    assert answer.status_code == 413


async def test_skipped_rows_download_as_csv_with_their_line_and_error(api: Api) -> None:
    body = b"name,email\nAda,ada@example.com\nBob,not-an-email\n"

    started = await api.post(
        "/customers/imports", params={"skip_invalid": "true"}, content=body, headers=_CSV
    )
    job = (await api.get(f"/customers/imports/{started.json()['id']}")).json()
    refused = await api.get(f"/customers/imports/{job['id']}/refused.csv")

    assert (job["status"], job["created"], job["refused"]) == ("completed", 1, 1)
    assert refused.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(refused.text))) == [
        ["name", "email", "line", "error"],
        ["Bob", "not-an-email", "3", "email: must be an email address like name@example.com"],
    ]


async def test_an_unreadable_file_fails_the_job_with_the_reason(api: Api) -> None:
    started = await api.post("/customers/imports", content=b"name,email\nAda\n", headers=_CSV)

    job = (await api.get(f"/customers/imports/{started.json()['id']}")).json()

    assert (job["status"], job["error"]) == ("failed", "file: line 2 has 1 cells where the header has 2")


async def test_bad_input_is_a_problem_and_never_a_job(api: Api) -> None:
    too_big = await api.post("/customers/imports", content=b"name\n" + b"x\n" * 40_000, headers=_CSV)
    bad_mode = await api.post("/customers/imports", params={"mode": "merge"}, content=b"name\n", headers=_CSV)
    unknown = await api.get("/customers/imports/00000000-0000-0000-0000-000000000000")
    no_header = await api.post("/customers/imports", content=b"", headers=_CSV)
    no_name = await api.post("/customers/imports", content=b"shoe size\n38\n", headers=_CSV)

    statuses = [r.status_code for r in (too_big, bad_mode, unknown, no_header, no_name)]
    assert statuses == [413, 400, 404, 422, 422]
    assert [e["field"] for e in no_name.json()["errors"]] == ["columns"]
    for response in (too_big, bad_mode, unknown, no_header, no_name):
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_viewers_may_not_start_a_job(api: Api) -> None:
    viewer = await api.as_role("viewer")

    refused = await viewer.post("/customers/imports", content=b"name\nAda\n", headers=_CSV)

    assert refused.status_code == 403
