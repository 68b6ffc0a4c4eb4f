"""A relay in its own process, configured from ``LANA_*`` variables, so a test can SIGKILL it.

python -m tests.integration.messaging.relay_process
"""

from __future__ import annotations

import logging
import os

from lana_adapters.messaging.runtime import run_relay, run_until_signalled
from lana_adapters.messaging.settings import MessagingSettings

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    settings = MessagingSettings.from_env(os.environ)
    run_until_signalled(lambda stop: run_relay(settings, stop))
