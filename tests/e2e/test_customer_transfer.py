"""Customers as files over HTTP: export every match streamed, import a CSV body all or none."""

from __future__ import annotations

import csv
import io
import json

from tests.e2e.api import Api

_CSV = {"content-type": "text/csv"}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_an_import_creates_the_rows_and_answers_the_counts(api: Api) -> None:
    body = "Full name,E-mail,Company name\nAda,ADA@example.com,Engines\nGrace,grace@example.com,Navy\n"

    response = await api.post("/customers/import", content=body.encode(), headers=_CSV)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("applied", "created", "refused")} == {
        "applied": True,
        "created": 2,
        "refused": 0,
    }
    listed = (await api.get("/customers", params={"sort": "name", "order": "asc"})).json()["items"]
    assert [(c["name"], c["email"], c["company"]) for c in listed] == [
        ("Ada", "ada@example.com", "Engines"),
        ("Grace", "grace@example.com", "Navy"),
    ]


async def test_an_export_streams_every_match_and_imports_back_unchanged(api: Api) -> None:
    for n in range(205):  # past one page of the list
        await api.customer(name=f"P{n:03}", email=f"p{n}@example.com", value="high" if n % 2 else "low")

    exported = await api.get("/customers/export", params={"value": "high"})
    again = await api.post(
        "/customers/import", params={"mode": "upsert"}, content=exported.content, headers=_CSV
    )

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = _rows(exported.text)
    assert len(rows) == 102
    assert {r["value"] for r in rows} == {"high"}
    assert {k: again.json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 102,
    }
    versions = {c["version"] for c in (await api.get("/customers", params={"limit": 200})).json()["items"]}
    assert versions == {1}


async def test_jsonl_export_gives_one_object_per_customer(api: Api) -> None:
    await api.customer(name="Ada", tags=["vip"])

    response = await api.get("/customers/export", params={"format": "jsonl"})

    assert [(r["name"], r["tags"]) for r in map(json.loads, response.text.splitlines())] == [("Ada", ["vip"])]


async def test_a_refused_row_is_a_problem_naming_its_line_and_nothing_is_imported(api: Api) -> None:
    body = b"name,email\nAda,ada@example.com\nBob,not-an-email\n"

    response = await api.post("/customers/import", content=body, headers=_CSV)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["rows[3].email"]
    assert (await api.get("/customers")).json()["items"] == []


async def test_a_dry_run_answers_what_would_happen_and_writes_nothing(api: Api) -> None:
    body = b"name,email\nAda,ada@example.com\nBob,not-an-email\n"

    response = await api.post("/customers/import", params={"dry_run": "true"}, content=body, headers=_CSV)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["applied"], answer["created"], answer["refused"]) == (False, 1, 1)
    assert answer["refusals"][0]["line"] == 3
    assert (await api.get("/customers")).json()["items"] == []


async def test_skip_invalid_imports_the_valid_rows_and_returns_the_refused_ones(api: Api) -> None:
    body = b"name,email\nAda,ada@example.com\nBob,not-an-email\n"

    response = await api.post(
        "/customers/import", params={"skip_invalid": "true"}, content=body, headers=_CSV
    )

    assert response.status_code == 200
    assert [r["cells"] for r in response.json()["refusals"]] == [["Bob", "not-an-email"]]
    assert [c["name"] for c in (await api.get("/customers")).json()["items"]] == ["Ada"]


async def test_a_ragged_file_is_a_problem_naming_the_line(api: Api) -> None:
    response = await api.post("/customers/import", content=b"name,email\nAda\n", headers=_CSV)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "line 2 has 1 cells" in response.json()["detail"]


async def test_a_bad_map_option_is_a_400(api: Api) -> None:
    response = await api.post("/customers/import", params={"map": "who"}, content=b"name\nA\n", headers=_CSV)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_viewers_may_export_but_not_import(api: Api) -> None:
    viewer = await api.as_role("viewer")

    exported = await viewer.get("/customers/export")
    imported = await viewer.post("/customers/import", content=b"name\nAda\n", headers=_CSV)

    assert exported.status_code == 200
    assert imported.status_code == 403
    assert imported.headers["content-type"] == "application/problem+json"
