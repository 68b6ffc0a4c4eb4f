# syntax=docker/dockerfile:1.7
# One image for every Lana process: `lana serve` (default), `lana relay`, `lana consume`, `lana migrate`.

FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project --extra all
COPY README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable --extra all

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 lana \
    && useradd --system --uid 10001 --gid lana --home-dir /var/lib/lana --create-home lana
COPY --from=build --chown=lana:lana /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LANA_HOST=0.0.0.0 \
    LANA_PORT=8000 \
    LANA_LOG_FORMAT=json
WORKDIR /var/lib/lana
USER lana
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LANA_PORT', '8000') + '/health/live', timeout=2)"]
CMD ["lana", "serve"]
