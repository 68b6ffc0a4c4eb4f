"""A webhook consumer in its own process, configured from ``LANA_*`` variables, so a test can
SIGKILL it in the middle of a webhook call.

python -m tests.integration.messaging.consumer_process
"""

from __future__ import annotations

import logging
import os

from lana_adapters.messaging.runtime import run_consumer, run_until_signalled
from lana_adapters.messaging.settings import MessagingSettings

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    settings = MessagingSettings.from_env(os.environ)
    run_until_signalled(lambda stop: run_consumer(settings, stop))
