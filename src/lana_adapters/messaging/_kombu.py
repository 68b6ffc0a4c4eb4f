"""kombu and py-amqp, typed as ``Any``: neither ships annotations, so strict typing stops here."""

from __future__ import annotations

import importlib
from typing import Any

kombu: Any = importlib.import_module("kombu")
kombu_errors: Any = importlib.import_module("kombu.exceptions")
amqp_errors: Any = importlib.import_module("amqp.exceptions")

Connection: Any = kombu.Connection
Exchange: Any = kombu.Exchange
Queue: Any = kombu.Queue
Producer: Any = kombu.Producer
Consumer: Any = kombu.Consumer
MessageNacked: type[Exception] = amqp_errors.MessageNacked
OperationalError: type[Exception] = kombu_errors.OperationalError
