"""Signing in, refreshing and signing out; every bad token is a 401 problem."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import SECRET
from tests.support import PASSWORD


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _forge(claims: dict[str, Any], *, secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def _me_with(client: AsyncTestClient[Litestar], token: str) -> int:
    response = await client.get(f"{PREFIX}/auth/me", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/unauthenticated")
    return response.status_code


async def test_login_returns_short_lived_access_and_refresh_tokens_never_cached(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    response = await client.post(
        f"{PREFIX}/auth/login", json={"tenant": api.slug, "email": api.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    access, refresh = _claims(body["access_token"]), _claims(body["refresh_token"])
    assert body["token_type"] == "Bearer"
    assert access["typ"] == "access"
    assert refresh["typ"] == "refresh"
    assert access["exp"] - access["iat"] == 900 == body["expires_in"]
    assert {"exp", "iat", "iss", "aud", "sub", "tenant", "role", "jti"} <= access.keys()
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert (await api.me())["role"] == "admin"


async def test_wrong_password_unknown_user_and_unknown_tenant_all_answer_the_same_401(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    attempts = [
        {"tenant": api.slug, "email": api.email, "password": "wrong password!!"},
        {"tenant": api.slug, "email": "nobody@example.com", "password": PASSWORD},
        {"tenant": "no-such-tenant", "email": api.email, "password": PASSWORD},
    ]
    details = set()
    for body in attempts:
        response = await client.post(f"{PREFIX}/auth/login", json=body)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        details.add(response.json()["detail"])
    assert len(details) == 1


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    first = api.tokens["refresh_token"]
    rotated = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    assert await _me_with(client, rotated.json()["access_token"]) == 200
    again = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": first})
    assert again.status_code == 401


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    stolen = api.tokens["refresh_token"]
    owner = (await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": stolen})).json()
    thief = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": stolen})
    assert thief.status_code == 401
    owner_next = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": owner["refresh_token"]})
    assert owner_next.status_code == 401


async def test_logout_revokes_the_refresh_token_and_the_access_token_in_use(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    response = await api.post("/auth/logout", json={"refresh_token": api.tokens["refresh_token"]})
    assert response.status_code == 204
    assert await _me_with(client, api.tokens["access_token"]) == 401
    refresh = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_a_refresh_token_is_never_accepted_as_an_access_token(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    assert await _me_with(client, api.tokens["refresh_token"]) == 401


async def test_an_access_token_is_never_accepted_as_a_refresh_token(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    response = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": api.tokens["access_token"]})
    assert response.status_code == 401


async def test_tampered_expired_unsigned_and_misaddressed_tokens_are_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    good = _claims(api.tokens["access_token"])
    now = int(time.time())
    header, payload, signature = api.tokens["access_token"].split(".")
    promoted = base64.urlsafe_b64encode(json.dumps({**good, "role": "admin", "sub": good["sub"]}).encode())
    bad_tokens = {
        "tampered payload": f"{header}.{promoted.decode().rstrip('=')}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "other key": _forge(good, secret="another-secret-that-is-long-enough-to-sign-with"),
        "expired": _forge({**good, "iat": now - 3600, "exp": now - 60}),
        "alg none": _unsigned(good),
        "wrong audience": _forge({**good, "aud": "someone-else"}),
        "wrong issuer": _forge({**good, "iss": "someone-else"}),
        "no type": _forge({k: v for k, v in good.items() if k != "typ"}),
        "HS512": _forge(good, secret=SECRET * 2, algorithm="HS512"),
        "garbage": "not-a-jwt",
    }
    for name, token in bad_tokens.items():
        assert await _me_with(client, token) == 401, name
    assert await _me_with(client, api.tokens["access_token"]) == 200


async def test_requests_without_a_bearer_token_are_refused(client: AsyncTestClient[Litestar]) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = await client.get(f"{PREFIX}/customers", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_deactivated_user_cannot_refresh(client: AsyncTestClient[Litestar]) -> None:
    admin = await Api.signup(client)
    agent = await admin.as_role("agent")
    user_id = (await agent.me())["user_id"]
    assert (await admin.post(f"/users/{user_id}/deactivate")).status_code == 200
    refresh = await client.post(
        f"{PREFIX}/auth/refresh", json={"refresh_token": agent.tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
