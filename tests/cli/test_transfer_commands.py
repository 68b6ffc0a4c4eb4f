"""``lana import customers`` and ``lana export customers`` on SQLite and (with
``LANA_TEST_POSTGRES_URL``) PostgreSQL: what they write, and how they fail on bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.test_user_commands import Lana, database_url, lana

__all__ = ["database_url", "lana"]


def _write(path: Path, *rows: list[str], encoding: str = "utf-8-sig") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def _exported(lana: Lana, *args: str) -> list[dict[str, str]]:
    output = lana.ok("export", "customers", *args).stdout
    return list(csv.DictReader(io.StringIO(output)))


def test_import_creates_the_customers_of_a_spreadsheet_and_export_lists_them(
    lana: Lana, tmp_path: Path
) -> None:
    source = _write(
        tmp_path / "people.csv",
        ["Full name", "E-mail", "Company name", "Source"],
        ["Ada Lovelace", "ADA@example.com", "Engines", "fair"],
        ["Grace Hopper", "grace@example.com", "Navy", ""],
    )

    result = lana.ok("import", "customers", str(source))

    assert "2 created" in result.stdout
    rows = sorted(_exported(lana), key=lambda row: row["name"])
    assert [(r["name"], r["email"], r["company"]) for r in rows] == [
        ("Ada Lovelace", "ada@example.com", "Engines"),
        ("Grace Hopper", "grace@example.com", "Navy"),
    ]
    assert json.loads(rows[0]["attributes"]) == {"source": "fair"}


def test_an_exported_file_imported_again_as_upsert_changes_nothing(lana: Lana, tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ["name", "email", "tags"], ["Ada", "ada@example.com", "vip;uk"])
    lana.ok("import", "customers", str(source))
    exported = tmp_path / "out.csv"
    lana.ok("export", "customers", "--output", str(exported))

    result = lana.ok("import", "customers", str(exported), "--mode", "upsert")

    assert "0 created, 0 updated, 1 unchanged, 0 refused" in result.stdout


def test_a_dry_run_writes_nothing(lana: Lana, tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ["name", "email"], ["Ada", "ada@example.com"])

    result = lana.ok("import", "customers", str(source), "--dry-run")

    assert "would be 1 created" in result.stdout
    assert _exported(lana) == []


def test_a_refused_row_imports_nothing_and_names_its_line(lana: Lana, tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ["name", "email"], ["Ada", "ada@example.com"], ["Bob", "bob@"])

    result = lana("import", "customers", str(source))

    assert result.exit_code == 1
    assert "line 3: email: must be an email address" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("lana: nothing imported: 1 row(s) refused")
    assert _exported(lana) == []


def test_skip_invalid_imports_the_rest_and_writes_the_refused_rows_with_their_error(
    lana: Lana, tmp_path: Path
) -> None:
    source = _write(tmp_path / "in.csv", ["name", "email"], ["Ada", "ada@example.com"], ["Bob", "bob@"])

    lana.ok("import", "customers", str(source), "--skip-invalid")

    rejected = list(csv.reader((tmp_path / "in.rejected.csv").open(encoding="utf-8")))
    assert rejected[0] == ["name", "email", "error"]
    assert rejected[1][:2] == ["Bob", "bob@"]
    assert [row["name"] for row in _exported(lana)] == ["Ada"]


def test_map_names_a_column_and_jsonl_export_keeps_types(lana: Lana, tmp_path: Path) -> None:
    source = _write(tmp_path / "in.csv", ["who", "mail"], ["Ada", "ada@example.com"], encoding="utf-16")

    lana.ok("import", "customers", str(source), "--map", "who=name")

    lines = lana.ok("export", "customers", "--format", "jsonl").stdout.splitlines()
    assert [(r["name"], r["email"], r["tags"]) for r in map(json.loads, lines)] == [
        ("Ada", "ada@example.com", [])
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "who"], "lana: --map 'who': expected COLUMN=FIELD"),
        (["--map", "nowhere=name"], "lana: map.nowhere: the file has no such column"),
    ],
)
def test_bad_options_fail_in_one_line(lana: Lana, tmp_path: Path, args: list[str], message: str) -> None:
    source = _write(tmp_path / "in.csv", ["name"], ["Ada"])

    result = lana("import", "customers", str(source), *args)

    assert result.exit_code == 1
    assert result.stderr.strip() == message


def test_a_ragged_file_fails_in_one_line_naming_the_line(lana: Lana, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("name,email\nAda\n", encoding="utf-8")

    result = lana("import", "customers", str(source))

    assert result.exit_code == 1
    assert result.stderr.strip() == "lana: file: line 2 has 1 cells where the header has 2"


def test_rows_match_by_external_id_and_phones_are_written_as_e164(lana: Lana, tmp_path: Path) -> None:
    first = _write(tmp_path / "a.csv", ["External ID", "name", "phone"], ["crm-1", "Ada", "+44 20 7946 0958"])
    again = _write(tmp_path / "b.csv", ["External ID", "name"], ["crm-1", "Ada King"], ["crm-2", "Bob"])
    lana.ok("import", "customers", str(first))

    result = lana.ok("import", "customers", str(again), "--mode", "upsert", "--match", "external_id")

    assert "1 created, 1 updated" in result.stdout
    rows = sorted(_exported(lana), key=lambda row: row["external_id"])
    assert [(r["external_id"], r["name"], r["phone"]) for r in rows] == [
        ("crm-1", "Ada King", "+442079460958"),
        ("crm-2", "Bob", ""),
    ]


def test_the_progress_line_shows_the_share_read_the_rate_and_the_time_left(tmp_path: Path) -> None:
    from lana_http.cli.transfer import _RowSink

    source = tmp_path / "rows.csv"
    source.write_bytes(b"x" * 1_000)
    with source.open("rb") as reading, _RowSink(source, reading, None) as sink:
        reading.read(250)
        for _ in range(500):
            sink.add(_row())

        assert sink._progress(10.0) == "[#####               ]  25% 500 rows, 50 rows/s, 0:00:30 left"


def _row() -> object:
    from lana_core.usecases.customer_import import Outcome, RowOutcome

    return RowOutcome(line=2, outcome=Outcome.CREATED, customer_id=None, problems=(), cells=())
