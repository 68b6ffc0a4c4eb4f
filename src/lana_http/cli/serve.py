"""``lana serve``: prepare the database, create the first tenant on first run, then serve HTTP."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
from pathlib import Path

import click
import uvicorn
from attrs import frozen

from lana_adapters.container import container_for, start, stop
from lana_adapters.settings import Settings
from lana_core.errors import Conflict
from lana_core.usecases.tenants import CreateTenant
from lana_http.auth.secret import KEY_FILE_SUFFIX, key_file, signing_secret
from lana_http.cli._context import load_settings, migrate_database
from lana_http.cli._errors import CommandFailed, failure, run
from lana_http.settings import HttpSettings

WORKER_START_SECONDS = 60
# How each worker's C library allocates, read when it starts; an operator's own values win.
# glibc gives each thread that allocates its own malloc arena (up to eight per core) and
# seldom hands their memory back; the database driver's threads made a worker's resident
# memory grow by tens of megabytes under load. Two arenas cost no measurable throughput.
# glibc also raises its mmap threshold to the largest block freed so far: after the first
# password hash (a 19 MiB argon2 block) later ones come from an arena that keeps the
# memory, 19 MiB more per arena for good. A fixed threshold hands such blocks back.
WORKER_MALLOC = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


@frozen(kw_only=True)
class FirstRun:
    """What the first start created; ``password`` is None when the operator chose it."""

    slug: str
    email: str
    password: str | None


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: LANA_HOST or 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port [default: LANA_PORT or 8000]."
)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API; on the first run, create a tenant and its admin."""
    settings, http = load_settings()
    address, listen = host or http.host, port or http.port
    ensure_free(address, listen)
    key = None if http.jwt_secret else key_file(settings.database.url)
    new_key = key if key is not None and not key.exists() else None
    try:
        signing_secret(http.jwt_secret, settings.database.url)
        migrate_database(settings)
    except Exception as error:
        raise failure(error) from None
    created = run(lambda: _first_run(settings, http))
    _announce(address, listen, http, created, new_key)
    for name, value in WORKER_MALLOC.items():
        os.environ.setdefault(name, value)
    uvicorn.run(
        "lana_http.asgi:app_from_env",
        factory=True,
        host=address,
        port=listen,
        workers=workers,
        log_level="info",
        server_header=False,
        # Each request is logged once, by the app, with its trace and tenant.
        access_log=False,
        # Behind a trusted proxy the client is the one X-Forwarded-For names, so per-client
        # rate limits count clients, not the proxy.
        proxy_headers=True,
        forwarded_allow_ips=list(http.trusted_proxies),
        # A busy machine can take longer than uvicorn's 5 s to start a worker; a worker killed
        # for that is restarted and killed again, forever.
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )


def ensure_free(host: str, port: int) -> None:
    """Fail in one line, before anything is created or printed, when ``host:port`` cannot be
    listened on (taken by another server, or an address this machine does not have).

    Otherwise the first run would create the admin and print its only copy of the
    password, and then the server would fail to bind.
    """
    try:
        # The address uvicorn will bind: a name is resolved as it resolves it.
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            # As uvicorn binds: a port whose old connections linger in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        raise CommandFailed(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


async def _first_run(settings: Settings, http: HttpSettings) -> FirstRun | None:
    """Create the default tenant and its admin unless the tenant exists already."""
    container = container_for(settings)
    services = await start(container)
    try:
        password = http.admin_password or secrets.token_urlsafe(18)
        command = CreateTenant(
            slug=http.tenant_slug,
            name="Lana",
            admin_email=http.admin_email,
            admin_name="Administrator",
            admin_password=password,
        )
        try:
            await services.lana.create_tenant(command)
        except Conflict:
            return None
        shown = None if http.admin_password else password
        return FirstRun(slug=http.tenant_slug, email=http.admin_email, password=shown)
    finally:
        await stop(container)


def _announce(
    host: str, port: int, http: HttpSettings, created: FirstRun | None, new_key: Path | None
) -> None:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - recognising, not binding
    base = f"http://{shown_host}:{port}"
    lines = [
        f"Lana web app: {base}/ (sign in with tenant {http.tenant_slug!r})",
        f"Lana API docs: {base}/schema",
    ]
    if created is not None:
        lines.append(f"First run: created tenant {created.slug!r} with admin {created.email}")
        if created.password is not None:
            lines.append(f"Admin password (shown once, store it now): {created.password}")
    if new_key is not None:
        lines += _key_notice(new_key)
    body = json.dumps({"tenant": http.tenant_slug, "email": http.admin_email, "password": _shown(created)})
    login = f"{base}/api/v1/auth/login -H 'Content-Type: application/json'"
    lines += ["Sign in:", f"  curl -s -X POST {login} -d {shlex.quote(body)}"]
    click.echo("\n".join(lines))


def _key_notice(key: Path) -> list[str]:
    """Where a new signing key was written and, inside a git work tree, how to keep it out of
    commits: whoever holds the key can sign tokens as any user. Lana does not edit anyone's
    ``.gitignore``; it says what to add."""
    key = key.resolve()
    lines = [f"Token signing key: generated in {key} (mode 0600); keep it private, out of version control"]
    tree = _git_work_tree(key.parent)
    if tree is not None:
        database = key.name.removesuffix(KEY_FILE_SUFFIX)
        lines.append(
            f"  it is inside the git work tree {tree}: add '{database}*' to its .gitignore"
            " (the database and the files beside it), or set LANA_DATABASE_URL outside it"
        )
    return lines


def _git_work_tree(directory: Path) -> Path | None:
    """The nearest directory from ``directory`` up holding ``.git`` (a repository or a worktree)."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _shown(created: FirstRun | None) -> str:
    """The password to put in the sign-in line: the generated one, or where to find it."""
    if created is None:
        return "<your password>"
    return created.password or "<the LANA_ADMIN_PASSWORD you set>"
