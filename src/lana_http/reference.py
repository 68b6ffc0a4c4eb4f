"""The API reference page (Scalar) with its script served from the package, so it works offline.

Litestar's Scalar page loads the script, a stylesheet and a favicon from a CDN, and Scalar
itself fetches fonts from its own; behind a firewall, or on a laptop on a train, the page
stayed blank. Here the page names nothing but this server: the script is vendored in
``vendor/scalar`` (with its licence) and served next to the page, it brings its own
styles, and its configuration turns off whatever would call Scalar's servers. The page has no
inline script, so its Content-Security-Policy can allow scripts from this server alone.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router

SCALAR_VERSION = "1.76.4"
SCALAR_DIRECTORY = Path(__file__).parent / "vendor" / "scalar"
# Below the docs path, with the version in it: a new script is a new URL, so browsers may
# keep this one for good.
ASSETS_PATH = f"/assets/scalar-{SCALAR_VERSION}"
_SCRIPT = "standalone.js"
# Off: everything that would reach Scalar's own servers (fonts, telemetry, the AI agent, and
# the developer tools' sharing, SDK and hosting offers).
_CONFIGURATION = {
    "withDefaultFonts": False,
    "telemetry": False,
    "agent": {"disabled": True},
    "showDeveloperTools": "never",
}
_YEAR = 365 * 24 * 3600


class OfflineScalarRenderPlugin(ScalarRenderPlugin):
    """Scalar's page at ``path`` below the docs path, every asset served by this app."""

    def __init__(self, *, docs_path: str, path: str = "/") -> None:
        super().__init__(path=path, js_url=f"{docs_path}{ASSETS_PATH}/{_SCRIPT}", favicon="")

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[SCALAR_DIRECTORY],
                name="scalar_assets",
                cache_control=CacheControlHeader(max_age=_YEAR, public=True, immutable=True),
            )
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        document = html.escape(self.get_openapi_json_route(request))
        configuration = html.escape(json.dumps(_CONFIGURATION))
        return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
  </head>
  <body>
    <noscript>The API reference needs JavaScript. The OpenAPI document is at {document}.</noscript>
    <script id="api-reference" data-url="{document}" data-configuration="{configuration}"></script>
    <script src="{html.escape(self.js_url)}"></script>
  </body>
</html>
""".encode()
