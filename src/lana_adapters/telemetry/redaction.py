"""Secrets never reach a log line: tokens, passwords (URLs' included), API keys and Authorization
headers are masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "[REDACTED]"
_KEYS = (
    r"password|passwd|secret|api[_-]?key|token|access_token|refresh_token|authorization|"
    r"x-lana-signature|signing_secret|client_secret"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JSON or repr: "password": "..." / 'token': '...'
    (re.compile(rf"""(["']?(?:{_KEYS})["']?\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", re.I), rf"\1\2{MASK}\2"),
    # key=value, key: value (headers, query strings, env dumps)
    (re.compile(rf"""\b((?:{_KEYS})\b\s*[=:]\s*)(?:(?:bearer|basic)\s+)?[^\s"',&;]+""", re.I), rf"\1{MASK}"),
    (re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), rf"\1 {MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),  # JWTs
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), MASK),  # OpenAI-style API keys
    (re.compile(r"\$argon2[a-z]*\$[^\s\"']+"), MASK),  # password hashes
)

# scheme://user:password@host: the password up to the last "@" before the path. RFC 3986
# allows no raw "/", "?" or "#" in the user info, so the match cannot run into the path;
# a raw "@" it forbids too, but a password that holds one unencoded is still masked whole.
_URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/?#@]*:)[^\s/?#]+@", re.I)
# SQLAlchemy renders a URL's hidden password the same way: the line still reads as a URL.
URL_MASK = "***"


# Every pattern above needs one of these words or prefixes (in any case): a line without
# any, like most access log lines, is returned without running the patterns.
SUSPECT_WORDS = (
    "passw", "secret", "key", "token", "authorization", "signature",
    "bearer", "basic", "eyj", "sk-", "$argon2",
)  # fmt: skip
_SUSPECT = re.compile("|".join(map(re.escape, SUSPECT_WORDS)), re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret value, every secret-looking token and every password
    inside a URL masked (``postgresql://lana:***@db/lana``)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\1{URL_MASK}@", text)
    if not looks_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def looks_secret(text: str) -> bool:
    """Whether ``text`` holds a word that one of the masking patterns needs.

    ASCII text (nearly every line) is lower-cased and searched for each word, which is
    equivalent and far cheaper than the case-insensitive regex. Other text needs
    the regex: its case folding also matches some non-ASCII letters to ASCII ones (the
    long s, U+017F, to "s"; the Kelvin sign to "k"), as the patterns themselves do.
    """
    if text.isascii():
        lowered = text.lower()
        return any(word in lowered for word in SUSPECT_WORDS)
    return _SUSPECT.search(text) is not None


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message (arguments merged in) before any handler formats it.

    ``secrets`` are exact values to mask too (configured keys and passwords).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s and len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True

    def clean(self, text: str) -> str:
        return redact(text, self._secrets)
