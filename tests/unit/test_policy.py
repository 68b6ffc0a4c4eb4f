"""The permission policy, checked cell by cell against the table in ``lana_core.domain.policy``.

Each row is a role and a resource; each column a combination of "the actor owns the
record" and "the tenant shows agents only their own customers"; each cell the actions
allowed (R read, C create, U update, D delete, - refused).
"""

from __future__ import annotations

import itertools
from uuid import uuid4

import pytest

from lana_core.domain.policy import Action, Resource, authorize, depends_on_settings, is_allowed
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import PermissionDenied

EXPECTED = """
#                      not owned            owned
# role    resource     open    restricted   open    restricted
admin     customer     RCUD    RCUD         RCUD    RCUD
admin     project      RCUD    RCUD         RCUD    RCUD
admin     task         RCUD    RCUD         RCUD    RCUD
admin     interaction  RCUD    RCUD         RCUD    RCUD
admin     insight      RCUD    RCUD         RCUD    RCUD
admin     analytics    RCUD    RCUD         RCUD    RCUD
admin     user         RCUD    RCUD         RCUD    RCUD
admin     settings     RCUD    RCUD         RCUD    RCUD
admin     api_key      RCUD    RCUD         RCUD    RCUD
admin     webhook      RCUD    RCUD         RCUD    RCUD
manager   customer     RCUD    RCUD         RCUD    RCUD
manager   project      RCUD    RCUD         RCUD    RCUD
manager   task         RCUD    RCUD         RCUD    RCUD
manager   interaction  RCUD    RCUD         RCUD    RCUD
manager   insight      RCUD    RCUD         RCUD    RCUD
manager   analytics    RCUD    RCUD         RCUD    RCUD
manager   user         R---    R---         R---    R---
manager   settings     ----    ----         ----    ----
manager   api_key      ----    ----         ----    ----
manager   webhook      ----    ----         ----    ----
agent     customer     RC--    -C--         RCUD    RCUD
agent     project      R---    ----         RCUD    RCUD
agent     task         R---    ----         RCUD    RCUD
agent     interaction  R---    ----         RCUD    RCUD
agent     insight      RC--    -C--         RC--    RC--
agent     analytics    RC--    RC--         RC--    RC--
agent     user         ----    ----         ----    ----
agent     settings     ----    ----         ----    ----
agent     api_key      ----    ----         ----    ----
agent     webhook      ----    ----         ----    ----
viewer    customer     R---    R---         R---    R---
viewer    project      R---    R---         R---    R---
viewer    task         R---    R---         R---    R---
viewer    interaction  R---    R---         R---    R---
viewer    insight      R---    R---         R---    R---
viewer    analytics    R---    R---         R---    R---
viewer    user         ----    ----         ----    ----
viewer    settings     ----    ----         ----    ----
viewer    api_key      ----    ----         ----    ----
viewer    webhook      ----    ----         ----    ----
"""

COLUMNS = [(False, False), (False, True), (True, False), (True, True)]  # (owned, restricted)
LETTERS = {Action.READ: "R", Action.CREATE: "C", Action.UPDATE: "U", Action.DELETE: "D"}


def _table() -> dict[tuple[Role, Resource, bool, bool], str]:
    table = {}
    for line in EXPECTED.strip().splitlines():
        if line.startswith("#"):
            continue
        role, resource, *cells = line.split()
        for (owned, restricted), cell in zip(COLUMNS, cells, strict=True):
            table[Role(role), Resource(resource), owned, restricted] = cell
    return table


TABLE = _table()
CASES = list(itertools.product(Role, Action, Resource, [False, True], [False, True]))


def test_the_table_names_every_role_resource_and_column() -> None:
    assert set(TABLE) == {(r, res, o, s) for r, _, res, o, s in CASES}


def test_is_allowed_matches_the_table_in_every_cell() -> None:
    mismatches = []
    for role, action, resource, owned, restricted in CASES:
        actor = Actor(uuid4(), uuid4(), role)
        settings = TenantSettings(agents_see_only_own_customers=restricted)
        expected = LETTERS[action] in TABLE[role, resource, owned, restricted]
        if is_allowed(actor, action, resource, owned=owned, settings=settings) is not expected:
            mismatches.append(
                f"{role} {action} {resource} owned={owned} restricted={restricted}: expected {expected}"
            )

    assert mismatches == []


def test_authorize_raises_exactly_when_the_policy_refuses() -> None:
    viewer = Actor(uuid4(), uuid4(), Role.VIEWER)
    settings = TenantSettings()

    authorize(viewer, Action.READ, Resource.CUSTOMER, settings=settings)
    with pytest.raises(PermissionDenied, match="viewer"):
        authorize(viewer, Action.UPDATE, Resource.CUSTOMER, owned=True, settings=settings)


def test_depends_on_settings_is_true_exactly_where_a_setting_changes_the_answer() -> None:
    # Readers without settings (the dashboard, analytics) skip loading them on its word.
    for role, action, resource, owned in itertools.product(Role, Action, Resource, (False, True)):
        actor = Actor(tenant_id=uuid4(), user_id=uuid4(), role=role)
        answers = {
            is_allowed(
                actor,
                action,
                resource,
                owned=owned,
                settings=TenantSettings(agents_see_only_own_customers=flag),
            )
            for flag in (False, True)
        }
        if not depends_on_settings(actor, action, resource):
            assert len(answers) == 1, (role, action, resource, owned)
    agent = Actor(tenant_id=uuid4(), user_id=uuid4(), role=Role.AGENT)
    assert depends_on_settings(agent, Action.READ, Resource.CUSTOMER)
