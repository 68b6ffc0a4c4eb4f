"""The insight model backed by any server speaking OpenAI's chat-completions protocol."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from lana_adapters.openai.parsing import MAX_BODY_BYTES, parse_completion, too_large
from lana_adapters.openai.prompt import build_messages
from lana_adapters.openai.retries import failure_reason, retry_wait
from lana_adapters.openai.schema import response_format
from lana_adapters.openai.settings import OpenAISettings
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_core.errors import Unavailable

__all__ = ["OPENAI_BASE_URL", "OpenAIInsightModel"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
READ_CHUNK_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class OpenAIInsightModel:
    """Assesses a customer with one structured-output chat completion.

    Works with OpenAI and with compatible servers (vLLM, Ollama) through ``base_url``.
    ``assess`` raises Unavailable with one of the reasons ``timeout``, ``rate_limited``,
    ``server_error``, ``connection_error``, ``bad_request``, ``refusal``,
    ``invalid_output: <detail>`` or ``unexpected_error``; no SDK exception leaves it.
    Retries (``max_retries``) are its own, not the SDK's: each waits as the server asks
    (``Retry-After``) or backs off, and only when the wait still fits the deadline; a
    failure that cannot be retried in time is reported as what it was, not as a timeout.
    The answer is read 64 KiB at a time and dropped past ``MAX_BODY_BYTES``.
    """

    name = "openai"

    def __init__(self, settings: OpenAISettings) -> None:
        self._settings = settings
        self._client: AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def assess(self, context: InsightContext) -> InsightDraft:
        """Ask the model about the customer; raises Unavailable (with the reason) when it cannot answer."""
        messages = build_messages(context, send_contact_details=self._settings.send_contact_details)
        body = await self._complete(messages)
        return parse_completion(body, default_model=self._settings.model)

    async def _complete(self, messages: list[ChatCompletionMessageParam]) -> bytes:
        try:
            # The SDK's timeout applies per attempt and per read; this bounds the whole call.
            async with asyncio.timeout(self._settings.timeout_seconds) as deadline:
                return await self._with_retries(messages, deadline)
        except TimeoutError as exc:
            raise Unavailable("timeout") from exc
        except Unavailable:
            raise
        except openai.OpenAIError as exc:
            raise Unavailable(failure_reason(exc)) from exc
        except Exception as exc:
            # A failure of the HTTP stack outside the SDK's own error types still means
            # "no answer": the caller falls back, and the log keeps the trace for a fix.
            log.exception("model call failed unexpectedly")
            raise Unavailable("unexpected_error") from exc

    async def _with_retries(
        self, messages: list[ChatCompletionMessageParam], deadline: asyncio.Timeout
    ) -> bytes:
        attempt = 0
        while True:
            try:
                return await self._attempt(messages)
            except openai.OpenAIError as exc:
                wait = retry_wait(exc, attempt)
                if wait is None or attempt >= self._settings.max_retries or not _fits(wait, deadline):
                    raise
            await asyncio.sleep(wait)
            attempt += 1

    async def _attempt(self, messages: list[ChatCompletionMessageParam]) -> bytes:
        create = self._get_client().chat.completions.with_streaming_response.create
        async with create(
            model=self._settings.model,
            messages=messages,
            response_format=response_format(),
            max_completion_tokens=self._settings.max_output_tokens,
            n=1,
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                too_large()
            # Leaving the block early closes the connection: the rest is never read.
            return await read_at_most(response.iter_bytes(READ_CHUNK_BYTES), MAX_BODY_BYTES)

    async def aclose(self) -> None:
        """Close the connection pool; the next ``assess`` opens a new one."""
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.close()

    def _get_client(self) -> AsyncOpenAI:
        loop = asyncio.get_running_loop()
        # Pooled connections belong to the loop that opened them; a caller running each job
        # in a fresh loop (asyncio.run per command) would otherwise reuse dead connections.
        if self._client is None or self._client_loop is not loop:
            self._client, self._client_loop = self._new_client(), loop
        return self._client

    def _new_client(self) -> AsyncOpenAI:
        settings = self._settings
        # Every option explicit: the SDK would otherwise wait 10 minutes, retry twice on its
        # own schedule (past the deadline), and take its base URL from OPENAI_BASE_URL.
        return AsyncOpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url or OPENAI_BASE_URL,
            timeout=settings.timeout_seconds,
            max_retries=0,
        )


async def read_at_most(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The body the chunks make up; raises Unavailable("invalid_output: …") as soon as it
    passes ``limit`` bytes, so no more than one chunk past the limit is ever held."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            too_large()
    return bytes(body)


def _fits(wait: float, deadline: asyncio.Timeout) -> bool:
    """Whether waiting ``wait`` seconds still leaves time before the deadline."""
    ends = deadline.when()
    return ends is None or asyncio.get_running_loop().time() + wait < ends
