"""What the README and docs promise is what the code does."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from lana_adapters.settings import markdown_table
from lana_core.domain.customers import CustomerStatus
from lana_core.domain.insights import InsightSource

ROOT = Path(__file__).resolve().parent.parent


def _load_example() -> object:
    spec = importlib.util.spec_from_file_location("lana_docs_example", ROOT / "docs" / "example.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_library_example_builds_a_working_crm() -> None:
    example = _load_example()
    result = await example.tour()  # type: ignore[attr-defined]
    assert result.view.customer.email == "grace@navy.test"
    assert result.view.customer.status is CustomerStatus.ACTIVE
    assert result.view.project_stats.in_progress == 1
    assert result.view.task_stats.completion_rate == 1.0
    assert result.insight.source is InsightSource.RULES
    assert 0 <= result.insight.health_score <= 100
    assert result.search == ["Grace Hopper"]
    assert result.dashboard.total_customers == 2
    assert result.dashboard.high_value_customers == 1


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for row in markdown_table().splitlines():
        assert row in readme, f"README is missing the settings row {row!r}"


def _api_operations(tmp_path: Path) -> set[tuple[str, str, str]]:
    """(method, path below /api/v1 with ``{}`` for each parameter, operationId) of every API
    route the app registers (signup included)."""
    from lana_http import create_app
    from tests.e2e.conftest import http_settings, make_container

    app = create_app(make_container(f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"), http_settings())
    return {
        (method, _PARAMETER.sub("{}", route.path.removeprefix(API)), str(handler.operation_id))
        for route in app.routes
        if route.path.startswith(f"{API}/")
        for handler in route.route_handlers
        for method in handler.http_methods
        if method != "OPTIONS"
    }


API = "/api/v1"
_PARAMETER = re.compile(r"\{[^}]*\}")
_CODE = re.compile(r"`([^`]+)`")
# A remark on an operation, in brackets: its filters, who may call it.
_REMARK = re.compile(r"\([^)]*\)")


def _documented_routes() -> list[tuple[set[str], set[str], set[str]]]:
    """Each row of docs/api.md's route table: its methods, its paths (an item after the
    first that starts with another segment, `/value` after `/customers/{id}/status`, stands
    for the first's last segment), and the operations it names outside brackets."""
    text = (ROOT / "docs" / "api.md").read_text()
    table = text.split("## Routes", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        first, *more = _CODE.findall(cells[1])
        paths = {first}
        for item in more:
            same_root = item.split("/")[1] == first.split("/")[1]
            paths.add(item if same_root else first.rsplit("/", 1)[0] + item)
        methods = {method.strip() for method in cells[0].split(",")}
        operations = set(_CODE.findall(_REMARK.sub("", cells[2])))
        rows.append((methods, {_PARAMETER.sub("{}", path) for path in paths}, operations))
    return rows


def test_the_api_route_table_names_every_route_the_app_serves_and_no_other(tmp_path: Path) -> None:
    rows = _documented_routes()
    served = _api_operations(tmp_path)
    missing = [
        f"{method} {path} ({operation})"
        for method, path, operation in sorted(served)
        if not any(method in ms and path in ps and operation in ops for ms, ps, ops in rows)
    ]
    assert missing == [], f"docs/api.md's route table lacks {missing}"
    operations = {operation for _, _, operation in served}
    stale = sorted(op for _, _, ops in rows for op in ops if op not in operations)
    assert stale == [], f"docs/api.md's route table names operations the app does not have: {stale}"


def _commands(command: click.Command, words: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The words that run each command below ``command`` (``("dlq", "list")``)."""
    if not isinstance(command, click.Group):
        yield words
        return
    for name, sub in command.commands.items():
        yield from _commands(sub, (*words, name))


def _spelt_out(item: str) -> set[tuple[str, ...]]:
    """The commands a README item names: ``dlq list|replay|purge`` is three."""
    *group, last = item.split()
    return {(*group, name) for name in last.split("|")}


def test_the_readme_lists_every_command_of_lana() -> None:
    from lana_http.cli import cli

    readme = (ROOT / "README.md").read_text()
    sentence = readme.split("The `lana` command:", 1)[1].split(";", 1)[0]
    listed = {words for item in _CODE.findall(sentence) for words in _spelt_out(item)}
    assert listed == set(_commands(cli))


# `lana` and the words after it, wherever the docs show a command line.
_COMMAND_LINE = re.compile(r"(?<![\w./@-])lana((?: +[a-z][a-z|-]*)+)")


def _names_a_command(words: list[str]) -> bool:
    """Whether ``words`` after ``lana`` lead through its groups to a group or a command
    (words after a command are its arguments); ``a|b`` names siblings."""
    from lana_http.cli import cli

    command: click.Command = cli
    for word in words:
        if not isinstance(command, click.Group):
            return True
        found = [command.commands.get(name) for name in word.split("|")]
        if any(sub is None for sub in found):
            return False
        command = found[0]  # type: ignore[assignment]
    return True


def test_every_lana_command_the_docs_and_benchmarks_name_exists() -> None:
    sources = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("*.py")]
    unknown = [
        f"{source.relative_to(ROOT)}: lana{match.group(1)}"
        for source in sources
        for match in _COMMAND_LINE.finditer(source.read_text())
        if not _names_a_command(match.group(1).split())
    ]
    assert unknown == []
