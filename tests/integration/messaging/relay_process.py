"""A relay in its own process, configured from ``LANA_*`` variables, so a test can SIGKILL it.

python -m tests.integration.messaging.relay_process
"""

from __future__ import annotations

import logging

from lana_adapters.container import container_for
from lana_adapters.messaging.runtime import relay_process, run_until_signalled
from lana_adapters.settings import Settings

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    run_until_signalled(lambda stop: relay_process(container_for(settings), stop))
