"""Standard Webhooks signatures: a receiver accepts exactly the requests signed with its secret,
recently, over the bytes it received."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain.webhook_signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidSecret,
    new_secret,
    secret_key,
    sign,
    signature_headers,
    verify,
)

NOW = 1_800_000_000
_secrets = st.one_of(st.builds(lambda _: new_secret(), st.none()), st.text(min_size=1))
_ids = st.text(st.characters(codec="ascii", exclude_categories=["Cc", "Zs"]), min_size=1)


def test_the_specifications_example_signature_is_reproduced() -> None:
    # The example of the Standard Webhooks specification and its reference libraries.
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}',
    )  # fmt: skip
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@given(_secrets, _ids, st.binary())
def test_a_signed_request_verifies(secret: str, message_id: str, body: bytes) -> None:
    assert verify(secret, signature_headers(secret, message_id, NOW, body), body, now=NOW)


@given(_secrets, _ids, st.binary(), st.binary())
def test_a_request_whose_body_changed_does_not_verify(
    secret: str, message_id: str, body: bytes, other: bytes
) -> None:
    headers = signature_headers(secret, message_id, NOW, body)
    assert verify(secret, headers, other, now=NOW) == (other == body)


@given(_secrets, _secrets, _ids, st.binary())
def test_a_request_signed_with_another_secret_does_not_verify(
    secret: str, other: str, message_id: str, body: bytes
) -> None:
    headers = signature_headers(other, message_id, NOW, body)
    assert verify(secret, headers, body, now=NOW) == (secret_key(other) == secret_key(secret))


@given(_ids, _ids, st.binary())
def test_the_id_is_signed(message_id: str, other_id: str, body: bytes) -> None:
    secret = new_secret()
    headers = signature_headers(secret, message_id, NOW, body) | {ID_HEADER: other_id}
    assert verify(secret, headers, body, now=NOW) == (other_id == message_id)


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_only_requests_within_five_minutes_of_now_verify(skew: int) -> None:
    secret = new_secret()
    headers = signature_headers(secret, "msg_1", NOW + skew, b"{}")
    assert verify(secret, headers, b"{}", now=NOW) == (abs(skew) <= 300)


def test_a_forged_timestamp_does_not_verify() -> None:
    secret = new_secret()
    headers = signature_headers(secret, "msg_1", NOW - 3_600, b"{}") | {TIMESTAMP_HEADER: str(NOW)}
    assert not verify(secret, headers, b"{}", now=NOW)


def test_any_of_several_signatures_verifies_as_while_a_secret_is_rotated() -> None:
    old, new = new_secret(), new_secret()
    both = f"{sign(old, 'msg_1', NOW, b'{}')} {sign(new, 'msg_1', NOW, b'{}')}"
    headers = {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(NOW), "Webhook-Signature": both}
    assert verify(old, headers, b"{}", now=NOW)
    assert verify(new, headers, b"{}", now=NOW)
    assert not verify(new_secret(), headers, b"{}", now=NOW)


@pytest.mark.parametrize(
    "broken",
    [{ID_HEADER: ""}, {TIMESTAMP_HEADER: "soon"}, {TIMESTAMP_HEADER: "\uff11\uff12"}, {SIGNATURE_HEADER: ""}],
)
def test_a_request_missing_a_header_does_not_verify(broken: dict[str, str]) -> None:
    secret = new_secret()
    headers = signature_headers(secret, "msg_1", NOW, b"{}") | broken
    assert not verify(secret, headers, b"{}", now=NOW)


def test_a_new_secret_carries_256_random_bits() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(secret_key(secret)) == 32
    assert secret != new_secret()


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not base64!"])
def test_an_unusable_secret_is_refused(secret: str) -> None:
    with pytest.raises(InvalidSecret):
        sign(secret, "msg_1", NOW, b"{}")


def test_the_verification_snippet_of_the_events_guide_accepts_exactly_genuine_requests() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    section = guide[guide.index("### Verifying a request") :]
    snippet = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # the guide's own code, run as a reader would
    snippet_verify = namespace["verify"]
    secret, now = new_secret(), int(time.time())
    headers = signature_headers(secret, "msg_1", now, b'{"a": 1}')
    assert snippet_verify(secret, headers, b'{"a": 1}')
    assert not snippet_verify(secret, headers, b'{"a": 2}')
    assert not snippet_verify(new_secret(), headers, b'{"a": 1}')
    stale = signature_headers(secret, "msg_1", now - 600, b'{"a": 1}')
    assert not snippet_verify(secret, stale, b'{"a": 1}')
    legacy = signature_headers("n8n-shared-secret", "msg_1", now, b"{}")
    assert snippet_verify("n8n-shared-secret", legacy, b"{}")
