"""Every operation of the API as one valid call, and the policy question each one asks.

Tests that must cover every route (tenant isolation, the role matrix) build their calls
from here and check that the table names every operation of the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from attrs import frozen

from lana_core.domain.policy import Action, Resource
from tests.support import PASSWORD

# No such key (webhook subscription, import job): an admin's revoke answers 404, anyone else's 403.
UNKNOWN_KEY = UUID(int=1)

ANY_VERSION = {"If-Match": "*"}


@frozen(kw_only=True)
class Ids:
    """Records of one tenant that calls point at."""

    customer: str
    project: str
    task: str
    user: str
    interaction: str
    # A second customer of the tenant, for a merge into ``customer``.
    other_customer: str = ""


@frozen
class Call:
    method: str
    path: str
    json: Any = None
    headers: dict[str, str] | None = None
    # A body sent as it is (a CSV file), instead of ``json``.
    content: bytes | None = None


def calls(ids: Ids) -> dict[str, Call]:
    """One call per operation id, each valid for a caller allowed to make it."""
    c, p, t, u, i = ids.customer, ids.project, ids.task, ids.user, ids.interaction
    return {
        "listCustomers": Call("GET", "/customers"),
        "createCustomer": Call("POST", "/customers", {"name": "New Customer"}),
        "createCustomersBatch": Call("POST", "/customers/batch", {"customers": [{"name": "New Customer"}]}),
        "exportCustomers": Call("GET", "/customers/export"),
        "importCustomers": Call(
            "POST", "/customers/import", None, {"content-type": "text/csv"}, b"name\nImported Customer\n"
        ),
        "startCustomerImport": Call(
            "POST", "/customers/imports", None, {"content-type": "text/csv"}, b"name\nImported Customer\n"
        ),
        "getCustomerImport": Call("GET", f"/customers/imports/{UNKNOWN_KEY}"),
        "getCustomerImportRefusals": Call("GET", f"/customers/imports/{UNKNOWN_KEY}/refused.csv"),
        "listDuplicateCustomers": Call("GET", "/customers/duplicates"),
        "mergeCustomers": Call(
            "POST", f"/customers/{c}/merge", {"merge_ids": [ids.other_customer]}, ANY_VERSION
        ),
        "getCustomer": Call("GET", f"/customers/{c}"),
        "updateCustomer": Call("PATCH", f"/customers/{c}", {"notes": "edited"}, ANY_VERSION),
        "archiveCustomer": Call("DELETE", f"/customers/{c}", None, ANY_VERSION),
        "restoreCustomer": Call("POST", f"/customers/{c}/restore"),
        "changeCustomerStatus": Call("POST", f"/customers/{c}/status", {"status": "active"}),
        "changeCustomerValue": Call("POST", f"/customers/{c}/value", {"value": "high"}),
        "getCustomerTimeline": Call("GET", f"/customers/{c}/timeline"),
        "listInteractions": Call("GET", f"/customers/{c}/interactions"),
        "recordInteraction": Call("POST", f"/customers/{c}/interactions", {"type": "note", "subject": "Hi"}),
        "getInteraction": Call("GET", f"/customers/{c}/interactions/{i}"),
        "updateInteraction": Call(
            "PATCH", f"/customers/{c}/interactions/{i}", {"subject": "Edited"}, ANY_VERSION
        ),
        "deleteInteraction": Call("DELETE", f"/customers/{c}/interactions/{i}", None, ANY_VERSION),
        "listInsights": Call("GET", f"/customers/{c}/insights"),
        "getLatestInsight": Call("GET", f"/customers/{c}/insights/latest"),
        "generateInsight": Call("POST", f"/customers/{c}/insights", {"refresh": False}),
        "generateInsightsBatch": Call("POST", "/insights/batch", {"customer_ids": [c]}),
        "listProjects": Call("GET", "/projects"),
        "createProject": Call("POST", "/projects", {"customer_id": c, "title": "New Project"}),
        "getProject": Call("GET", f"/projects/{p}"),
        "updateProject": Call("PATCH", f"/projects/{p}", {"title": "Edited"}, ANY_VERSION),
        "archiveProject": Call("DELETE", f"/projects/{p}", None, ANY_VERSION),
        "changeProjectStatus": Call("POST", f"/projects/{p}/status", {"status": "in_progress"}),
        "listTasks": Call("GET", "/tasks"),
        "createTask": Call("POST", "/tasks", {"project_id": p, "title": "New Task"}),
        "getTask": Call("GET", f"/tasks/{t}"),
        "updateTask": Call("PATCH", f"/tasks/{t}", {"title": "Edited"}, ANY_VERSION),
        "completeTask": Call("POST", f"/tasks/{t}/complete"),
        "reopenTask": Call("POST", f"/tasks/{t}/reopen"),
        "deleteTask": Call("DELETE", f"/tasks/{t}", None, ANY_VERSION),
        "ingestEvent": Call("POST", "/analytics/events", {"name": "viewed"}),
        "ingestEvents": Call("POST", "/analytics/events/batch", {"events": [{"name": "viewed"}]}),
        "getMetrics": Call("GET", "/analytics/metrics"),
        "getTimeSeries": Call("GET", "/analytics/timeseries"),
        "getTopEvents": Call("GET", "/analytics/top-events"),
        "getUserMetrics": Call("GET", "/analytics/users/visitor-1"),
        "getDashboard": Call("GET", "/analytics/dashboard"),
        "getTenant": Call("GET", "/tenant"),
        "changeTenantSettings": Call(
            "PUT",
            "/tenant/settings",
            {
                "agents_see_only_own_customers": False,
                "insight_max_age_seconds": 60,
                "daily_model_call_budget": 5,
            },
            ANY_VERSION,
        ),
        "listUsers": Call("GET", "/users"),
        "createUser": Call(
            "POST",
            "/users",
            {"email": "new.user@example.com", "name": "New", "role": "viewer", "password": PASSWORD},
        ),
        "getUser": Call("GET", f"/users/{u}"),
        "deactivateUser": Call("POST", f"/users/{u}/deactivate"),
        "reactivateUser": Call("POST", f"/users/{u}/reactivate"),
        "changeUserRole": Call("POST", f"/users/{u}/role", {"role": "agent"}),
        "resetUserPassword": Call("POST", f"/users/{u}/password", {"new_password": "a reset passphrase"}),
        "whoAmI": Call("GET", "/auth/me"),
        "listApiKeys": Call("GET", "/api-keys"),
        "createApiKey": Call("POST", "/api-keys", {"name": "n8n", "role": "viewer"}),
        "revokeApiKey": Call("DELETE", f"/api-keys/{UNKNOWN_KEY}"),
        "listWebhooks": Call("GET", "/webhooks"),
        "createWebhook": Call(
            "POST", "/webhooks", {"url": "https://hooks.example.com/lana", "event_types": ["customer.*"]}
        ),
        "getWebhook": Call("GET", f"/webhooks/{UNKNOWN_KEY}"),
        "updateWebhook": Call("PATCH", f"/webhooks/{UNKNOWN_KEY}", {"active": False}),
        "deleteWebhook": Call("DELETE", f"/webhooks/{UNKNOWN_KEY}"),
        "rotateWebhookSecret": Call("POST", f"/webhooks/{UNKNOWN_KEY}/rotate-secret"),
        "listWebhookDeliveries": Call("GET", f"/webhooks/{UNKNOWN_KEY}/deliveries"),
        "listWebhookAttempts": Call("GET", f"/webhooks/{UNKNOWN_KEY}/attempts"),
        "redeliverWebhookDelivery": Call(
            "POST", f"/webhooks/{UNKNOWN_KEY}/deliveries/{UNKNOWN_KEY}/redeliver"
        ),
        "redeliverWebhookRange": Call(
            "POST",
            f"/webhooks/{UNKNOWN_KEY}/redeliver",
            {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
        ),
    }


# The policy question each operation ends on, for records the caller neither owns nor is
# assigned to; None: no policy decision (sign-in, health, one's own identity and tenant).
DECISIONS: dict[str, tuple[Action, Resource, bool] | None] = {
    "listCustomers": (Action.READ, Resource.CUSTOMER, True),
    "createCustomer": (Action.CREATE, Resource.CUSTOMER, False),
    "createCustomersBatch": (Action.CREATE, Resource.CUSTOMER, False),
    "exportCustomers": (Action.READ, Resource.CUSTOMER, True),
    "importCustomers": (Action.CREATE, Resource.CUSTOMER, False),
    "startCustomerImport": (Action.CREATE, Resource.CUSTOMER, False),
    # A job is read by whoever may read customers; its rows are the tenant's import.
    "getCustomerImport": (Action.READ, Resource.CUSTOMER, True),
    "getCustomerImportRefusals": (Action.READ, Resource.CUSTOMER, True),
    # Finding duplicates reads every customer: only those who may change any may ask.
    "listDuplicateCustomers": (Action.UPDATE, Resource.CUSTOMER, False),
    "mergeCustomers": (Action.UPDATE, Resource.CUSTOMER, False),
    "getCustomer": (Action.READ, Resource.CUSTOMER, False),
    "updateCustomer": (Action.UPDATE, Resource.CUSTOMER, False),
    "archiveCustomer": (Action.DELETE, Resource.CUSTOMER, False),
    "restoreCustomer": (Action.UPDATE, Resource.CUSTOMER, False),
    "changeCustomerStatus": (Action.UPDATE, Resource.CUSTOMER, False),
    "changeCustomerValue": (Action.UPDATE, Resource.CUSTOMER, False),
    "getCustomerTimeline": (Action.READ, Resource.INTERACTION, False),
    "listInteractions": (Action.READ, Resource.INTERACTION, False),
    "recordInteraction": (Action.CREATE, Resource.INTERACTION, False),
    "getInteraction": (Action.READ, Resource.INTERACTION, False),
    "updateInteraction": (Action.UPDATE, Resource.INTERACTION, False),
    "deleteInteraction": (Action.DELETE, Resource.INTERACTION, False),
    "listInsights": (Action.READ, Resource.INSIGHT, False),
    "getLatestInsight": (Action.READ, Resource.INSIGHT, False),
    "generateInsight": (Action.CREATE, Resource.INSIGHT, False),
    "generateInsightsBatch": (Action.CREATE, Resource.INSIGHT, False),
    "listProjects": (Action.READ, Resource.PROJECT, True),
    "createProject": (Action.CREATE, Resource.PROJECT, False),
    "getProject": (Action.READ, Resource.CUSTOMER, False),
    "updateProject": (Action.UPDATE, Resource.PROJECT, False),
    "archiveProject": (Action.DELETE, Resource.PROJECT, False),
    "changeProjectStatus": (Action.UPDATE, Resource.PROJECT, False),
    "listTasks": (Action.READ, Resource.TASK, True),
    "createTask": (Action.CREATE, Resource.TASK, False),
    "getTask": (Action.READ, Resource.CUSTOMER, False),
    "updateTask": (Action.UPDATE, Resource.TASK, False),
    "completeTask": (Action.UPDATE, Resource.TASK, False),
    "reopenTask": (Action.UPDATE, Resource.TASK, False),
    "deleteTask": (Action.DELETE, Resource.TASK, False),
    "ingestEvent": (Action.CREATE, Resource.ANALYTICS, False),
    "ingestEvents": (Action.CREATE, Resource.ANALYTICS, False),
    "getMetrics": (Action.READ, Resource.ANALYTICS, False),
    "getTimeSeries": (Action.READ, Resource.ANALYTICS, False),
    "getTopEvents": (Action.READ, Resource.ANALYTICS, False),
    "getUserMetrics": (Action.READ, Resource.ANALYTICS, False),
    "getDashboard": (Action.READ, Resource.ANALYTICS, False),
    "getTenant": None,
    "changeTenantSettings": (Action.UPDATE, Resource.SETTINGS, False),
    "listUsers": (Action.READ, Resource.USER, False),
    "createUser": (Action.CREATE, Resource.USER, False),
    "getUser": (Action.READ, Resource.USER, False),
    "deactivateUser": (Action.UPDATE, Resource.USER, False),
    "reactivateUser": (Action.UPDATE, Resource.USER, False),
    "changeUserRole": (Action.UPDATE, Resource.USER, False),
    "resetUserPassword": (Action.UPDATE, Resource.USER, False),
    "whoAmI": None,
    "listApiKeys": (Action.READ, Resource.API_KEY, False),
    "createApiKey": (Action.CREATE, Resource.API_KEY, False),
    "revokeApiKey": (Action.DELETE, Resource.API_KEY, False),
    "listWebhooks": (Action.READ, Resource.WEBHOOK, False),
    "createWebhook": (Action.CREATE, Resource.WEBHOOK, False),
    "getWebhook": (Action.READ, Resource.WEBHOOK, False),
    "updateWebhook": (Action.UPDATE, Resource.WEBHOOK, False),
    "deleteWebhook": (Action.DELETE, Resource.WEBHOOK, False),
    "rotateWebhookSecret": (Action.UPDATE, Resource.WEBHOOK, False),
    "listWebhookDeliveries": (Action.READ, Resource.WEBHOOK, False),
    "listWebhookAttempts": (Action.READ, Resource.WEBHOOK, False),
    "redeliverWebhookDelivery": (Action.UPDATE, Resource.WEBHOOK, False),
    "redeliverWebhookRange": (Action.UPDATE, Resource.WEBHOOK, False),
    # One's own password, proven by the current one.
    "changePassword": None,
    # Any signed-in role may watch; each event is filtered by whether the caller may read it.
    "streamEvents": None,
    "login": None,
    "refreshTokens": None,
    "logout": None,
    "createTenant": None,
    "live": None,
    "ready": None,
}
