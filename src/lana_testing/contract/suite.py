"""The whole contract suite: every test a set of adapters of the core's ports must pass, and
the fixtures they take.

``from lana_testing.contract.suite import *`` in a test module collects all of it; the tests run
once per set the ``adapter_set`` fixture names (:func:`adapter_set_fixture`). The async
tests need pytest-asyncio's ``asyncio_mode = "auto"``.
"""

from lana_testing.contract import (
    api_keys,
    control_characters,
    crm,
    crm_figures,
    customer_batch,
    customer_export,
    customer_import,
    customer_merge,
    customer_pagination,
    deletions,
    failed_commands,
    import_jobs,
    interaction_changes,
    my_work,
    outbox_relay,
    read_models,
    sessions,
    tenant_isolation,
    tenant_settings_version,
    timeline,
    uniqueness,
    unit_of_work,
    webhooks,
)
from lana_testing.contract.api_keys import *  # noqa: F403
from lana_testing.contract.control_characters import *  # noqa: F403
from lana_testing.contract.crm import *  # noqa: F403
from lana_testing.contract.crm_figures import *  # noqa: F403
from lana_testing.contract.customer_batch import *  # noqa: F403
from lana_testing.contract.customer_export import *  # noqa: F403
from lana_testing.contract.customer_import import *  # noqa: F403
from lana_testing.contract.customer_merge import *  # noqa: F403
from lana_testing.contract.customer_pagination import *  # noqa: F403
from lana_testing.contract.deletions import *  # noqa: F403
from lana_testing.contract.failed_commands import *  # noqa: F403
from lana_testing.contract.import_jobs import *  # noqa: F403
from lana_testing.contract.interaction_changes import *  # noqa: F403
from lana_testing.contract.my_work import *  # noqa: F403
from lana_testing.contract.outbox_relay import *  # noqa: F403
from lana_testing.contract.read_models import *  # noqa: F403
from lana_testing.contract.sessions import *  # noqa: F403
from lana_testing.contract.tenant_isolation import *  # noqa: F403
from lana_testing.contract.tenant_settings_version import *  # noqa: F403
from lana_testing.contract.timeline import *  # noqa: F403
from lana_testing.contract.uniqueness import *  # noqa: F403
from lana_testing.contract.unit_of_work import *  # noqa: F403
from lana_testing.contract.webhooks import *  # noqa: F403

__all__: list[str] = []
__all__ += api_keys.__all__
__all__ += control_characters.__all__
__all__ += crm.__all__
__all__ += crm_figures.__all__
__all__ += customer_batch.__all__
__all__ += customer_export.__all__
__all__ += customer_import.__all__
__all__ += customer_merge.__all__
__all__ += customer_pagination.__all__
__all__ += deletions.__all__
__all__ += import_jobs.__all__
__all__ += failed_commands.__all__
__all__ += interaction_changes.__all__
__all__ += my_work.__all__
__all__ += outbox_relay.__all__
__all__ += read_models.__all__
__all__ += sessions.__all__
__all__ += tenant_isolation.__all__
__all__ += tenant_settings_version.__all__
__all__ += timeline.__all__
__all__ += uniqueness.__all__
__all__ += unit_of_work.__all__
__all__ += webhooks.__all__
