"""The insight model backed by any server speaking OpenAI's chat-completions protocol."""

from __future__ import annotations

import asyncio
import logging

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from lana_adapters.openai.parsing import parse_completion
from lana_adapters.openai.prompt import build_messages
from lana_adapters.openai.schema import response_format
from lana_adapters.openai.settings import OpenAISettings
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_core.errors import Unavailable

OPENAI_BASE_URL = "https://api.openai.com/v1"
log = logging.getLogger(__name__)


class OpenAIInsightModel:
    """Assesses a customer with one structured-output chat completion.

    Works with OpenAI and with compatible servers (vLLM, Ollama) through ``base_url``.
    ``assess`` raises Unavailable with one of the reasons ``timeout``, ``rate_limited``,
    ``server_error``, ``connection_error``, ``bad_request``, ``refusal``,
    ``invalid_output: <detail>`` or ``unexpected_error``; no SDK exception leaves it.
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
            async with asyncio.timeout(self._settings.timeout_seconds):
                raw = await self._get_client().chat.completions.with_raw_response.create(
                    model=self._settings.model,
                    messages=messages,
                    response_format=response_format(),
                    max_completion_tokens=self._settings.max_output_tokens,
                    n=1,
                )
                return raw.content
        except TimeoutError as exc:
            raise Unavailable("timeout") from exc
        except openai.OpenAIError as exc:
            raise Unavailable(failure_reason(exc)) from exc
        except Exception as exc:
            # A failure of the HTTP stack outside the SDK's own error types still means
            # "no answer": the caller falls back, and the log keeps the trace for a fix.
            log.exception("model call failed unexpectedly")
            raise Unavailable("unexpected_error") from exc

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
        # Every option explicit: the SDK would otherwise wait 10 minutes, retry twice,
        # and take its base URL from OPENAI_BASE_URL.
        return AsyncOpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url or OPENAI_BASE_URL,
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )


def failure_reason(exc: openai.OpenAIError) -> str:
    """The stable reason recorded for an SDK failure."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection_error"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else "bad_request"
    if isinstance(exc, openai.APIResponseValidationError):
        return "invalid_output: response does not match the protocol"
    # Anything else is a request the SDK refused to build, e.g. a rejected credential setting.
    return "bad_request"
