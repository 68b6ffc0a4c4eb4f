"""The whole core behind one object: each attribute is a use case, ready to call."""

from __future__ import annotations

from lana_core.ports import Cache, InsightModel, PasswordHasher
from lana_core.usecases._base import Kernel
from lana_core.usecases._insight_resilience import InsightOptions
from lana_core.usecases.analytics import (
    GetMetricsHandler,
    GetTimeSeriesHandler,
    GetTopEventsHandler,
    GetUserMetricsHandler,
    IngestEventHandler,
    IngestEventsBatchHandler,
)
from lana_core.usecases.api_keys import (
    CreateApiKeyHandler,
    ListApiKeysHandler,
    ResolveApiKeyHandler,
    RevokeApiKeyHandler,
)
from lana_core.usecases.crm_figures import GetInteractionsPerDayHandler, GetTaskCountsHandler
from lana_core.usecases.customer_batch import CreateCustomersBatchHandler
from lana_core.usecases.customer_export import ExportCustomersHandler
from lana_core.usecases.customer_import import ImportCustomersHandler
from lana_core.usecases.customer_merge import FindDuplicateCustomersHandler, MergeCustomersHandler
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatusHandler,
    ChangeCustomerValueHandler,
    CreateCustomerHandler,
    GetCustomerHandler,
    ListCustomersHandler,
    RestoreCustomerHandler,
    UpdateCustomerHandler,
)
from lana_core.usecases.dashboard import GetDashboardHandler
from lana_core.usecases.import_jobs import (
    GetImportJobHandler,
    ImportRefusalsHandler,
    QueueCustomerImportHandler,
    RunCustomerImportHandler,
)
from lana_core.usecases.insights import (
    GenerateInsightHandler,
    GenerateInsightsBatchHandler,
    GetLatestInsightHandler,
    ListInsightsHandler,
)
from lana_core.usecases.interactions import (
    DeleteInteractionHandler,
    GetInteractionHandler,
    ListInteractionsHandler,
    RecordInteractionHandler,
    UpdateInteractionHandler,
)
from lana_core.usecases.my_work import ListMyWorkHandler
from lana_core.usecases.projects import (
    ArchiveProjectHandler,
    ChangeProjectStatusHandler,
    CreateProjectHandler,
    GetProjectHandler,
    ListProjectsHandler,
    UpdateProjectHandler,
)
from lana_core.usecases.sessions import (
    EndSessionHandler,
    RenewSessionHandler,
    ResolveSessionHandler,
    SignInHandler,
)
from lana_core.usecases.tasks import (
    CompleteTaskHandler,
    CreateTaskHandler,
    DeleteTaskHandler,
    GetTaskHandler,
    ListTasksHandler,
    ReopenTaskHandler,
    UpdateTaskHandler,
)
from lana_core.usecases.tenants import (
    AuthenticateHandler,
    ChangePasswordHandler,
    ChangeTenantSettingsHandler,
    ChangeUserRoleHandler,
    CreateTenantHandler,
    CreateUserHandler,
    DeactivateUserHandler,
    GetTenantHandler,
    ListUsersHandler,
)
from lana_core.usecases.timeline import GetTimelineHandler
from lana_core.usecases.users import (
    FindUserHandler,
    GetUserHandler,
    ReactivateUserHandler,
    RecoverAccountHandler,
    ResetPasswordHandler,
)
from lana_core.usecases.webhooks import (
    CreateWebhookHandler,
    DeleteWebhookHandler,
    GetWebhookHandler,
    ListWebhookAttemptsHandler,
    ListWebhookDeliveriesHandler,
    ListWebhooksHandler,
    PauseWebhookHandler,
    RedeliverWebhookHandler,
    RedeliverWebhookRangeHandler,
    RotateWebhookSecretHandler,
    UpdateWebhookHandler,
)


class Lana:
    """Every use case of the core, built over one :class:`Kernel`.

    ``insight_model`` is the model asked for insights (None: the rules engine answers
    alone). ``sessions_cache`` keeps what sign-in sessions act as (default: the kernel's
    cache); it must be shared by every process that changes users or sessions, or be
    one that keeps nothing. ``webhook_urls_may_be_private`` lets webhook subscriptions name
    loopback and private addresses (development against a local receiver). Keep one
    instance per process: insight generation holds the circuit breaker and the in-flight map.
    """

    def __init__(
        self,
        kernel: Kernel,
        *,
        hasher: PasswordHasher,
        insight_model: InsightModel | None = None,
        insight_options: InsightOptions | None = None,
        sessions_cache: Cache | None = None,
        webhook_urls_may_be_private: bool = False,
    ) -> None:
        self.kernel = kernel
        self._tenancy(kernel, hasher, sessions_cache or kernel.cache)
        self._customers(kernel)
        self._work(kernel)
        self._insights(kernel, insight_model, insight_options)
        self._analytics(kernel)
        self._webhooks(kernel, allow_private_urls=webhook_urls_may_be_private)

    @classmethod
    def in_memory(cls, *, insight_model: InsightModel | None = None) -> Lana:
        """A complete Lana in this process, on the in-memory adapters: for tests and embedding."""
        from lana_core.memory import InMemoryCache, InMemoryStore, InMemoryUnitOfWorkFactory, ScryptHasher
        from lana_core.system import SystemClock, TimeOrderedIds

        kernel = Kernel(
            uow=InMemoryUnitOfWorkFactory(InMemoryStore()),
            clock=SystemClock(),
            ids=TimeOrderedIds(),
            cache=InMemoryCache(),
        )
        return cls(kernel, hasher=ScryptHasher(), insight_model=insight_model)

    def _tenancy(self, kernel: Kernel, hasher: PasswordHasher, sessions_cache: Cache) -> None:
        self.create_tenant = CreateTenantHandler(kernel, hasher)
        self.get_tenant = GetTenantHandler(kernel)
        self.change_tenant_settings = ChangeTenantSettingsHandler(kernel)
        self.create_user = CreateUserHandler(kernel, hasher)
        self.deactivate_user = DeactivateUserHandler(kernel, sessions_cache)
        self.change_user_role = ChangeUserRoleHandler(kernel, sessions_cache)
        self.change_password = ChangePasswordHandler(kernel, hasher, sessions_cache)
        self.list_users = ListUsersHandler(kernel)
        self.get_user = GetUserHandler(kernel)
        self.find_user = FindUserHandler(kernel)
        self.reactivate_user = ReactivateUserHandler(kernel, sessions_cache)
        self.reset_password = ResetPasswordHandler(kernel, hasher, sessions_cache)
        self.recover_account = RecoverAccountHandler(kernel, hasher, sessions_cache)
        self.authenticate = AuthenticateHandler(kernel, hasher)
        self.sign_in = SignInHandler(kernel, self.authenticate)
        self.renew_session = RenewSessionHandler(kernel, sessions_cache)
        self.end_session = EndSessionHandler(kernel, sessions_cache)
        self.resolve_session = ResolveSessionHandler(kernel, sessions_cache)
        self.create_api_key = CreateApiKeyHandler(kernel, sessions_cache)
        self.list_api_keys = ListApiKeysHandler(kernel)
        self.revoke_api_key = RevokeApiKeyHandler(kernel, sessions_cache)
        self.resolve_api_key = ResolveApiKeyHandler(kernel, sessions_cache)

    def _customers(self, kernel: Kernel) -> None:
        self.create_customer = CreateCustomerHandler(kernel)
        self.create_customers_batch = CreateCustomersBatchHandler(kernel)
        self.import_customers = ImportCustomersHandler(kernel)
        self.queue_customer_import = QueueCustomerImportHandler(kernel)
        self.run_customer_import = RunCustomerImportHandler(kernel, self.import_customers)
        self.get_import_job = GetImportJobHandler(kernel)
        self.import_refusals = ImportRefusalsHandler(kernel)
        self.export_customers = ExportCustomersHandler(kernel)
        self.get_customer = GetCustomerHandler(kernel)
        self.list_customers = ListCustomersHandler(kernel)
        self.update_customer = UpdateCustomerHandler(kernel)
        self.change_customer_status = ChangeCustomerStatusHandler(kernel)
        self.change_customer_value = ChangeCustomerValueHandler(kernel)
        self.archive_customer = ArchiveCustomerHandler(kernel)
        self.restore_customer = RestoreCustomerHandler(kernel)
        self.find_duplicate_customers = FindDuplicateCustomersHandler(kernel)
        self.merge_customers = MergeCustomersHandler(kernel)
        self.get_timeline = GetTimelineHandler(kernel)

    def _work(self, kernel: Kernel) -> None:
        self.create_project = CreateProjectHandler(kernel)
        self.get_project = GetProjectHandler(kernel)
        self.list_projects = ListProjectsHandler(kernel)
        self.update_project = UpdateProjectHandler(kernel)
        self.change_project_status = ChangeProjectStatusHandler(kernel)
        self.archive_project = ArchiveProjectHandler(kernel)
        self.create_task = CreateTaskHandler(kernel)
        self.get_task = GetTaskHandler(kernel)
        self.update_task = UpdateTaskHandler(kernel)
        self.complete_task = CompleteTaskHandler(kernel)
        self.reopen_task = ReopenTaskHandler(kernel)
        self.delete_task = DeleteTaskHandler(kernel)
        self.list_tasks = ListTasksHandler(kernel)
        self.list_my_work = ListMyWorkHandler(kernel)
        self.record_interaction = RecordInteractionHandler(kernel)
        self.list_interactions = ListInteractionsHandler(kernel)
        self.get_interaction = GetInteractionHandler(kernel)
        self.update_interaction = UpdateInteractionHandler(kernel)
        self.delete_interaction = DeleteInteractionHandler(kernel)

    def _insights(self, kernel: Kernel, model: InsightModel | None, options: InsightOptions | None) -> None:
        self.generate_insight = GenerateInsightHandler(kernel, model, options=options)
        self.generate_insights_batch = GenerateInsightsBatchHandler(kernel, self.generate_insight)
        self.get_latest_insight = GetLatestInsightHandler(kernel)
        self.list_insights = ListInsightsHandler(kernel)

    def _analytics(self, kernel: Kernel) -> None:
        self.ingest_event = IngestEventHandler(kernel)
        self.ingest_events = IngestEventsBatchHandler(kernel)
        self.get_metrics = GetMetricsHandler(kernel)
        self.get_time_series = GetTimeSeriesHandler(kernel)
        self.get_top_events = GetTopEventsHandler(kernel)
        self.get_user_metrics = GetUserMetricsHandler(kernel)
        self.get_dashboard = GetDashboardHandler(kernel)
        self.get_task_counts = GetTaskCountsHandler(kernel)
        self.get_interactions_per_day = GetInteractionsPerDayHandler(kernel)

    def _webhooks(self, kernel: Kernel, *, allow_private_urls: bool) -> None:
        self.create_webhook = CreateWebhookHandler(kernel, allow_private_urls=allow_private_urls)
        self.update_webhook = UpdateWebhookHandler(kernel, allow_private_urls=allow_private_urls)
        self.rotate_webhook_secret = RotateWebhookSecretHandler(kernel)
        self.pause_webhook = PauseWebhookHandler(kernel)
        self.delete_webhook = DeleteWebhookHandler(kernel)
        self.get_webhook = GetWebhookHandler(kernel)
        self.list_webhooks = ListWebhooksHandler(kernel)
        self.list_webhook_deliveries = ListWebhookDeliveriesHandler(kernel)
        self.list_webhook_attempts = ListWebhookAttemptsHandler(kernel)
        self.redeliver_webhook = RedeliverWebhookHandler(kernel)
        self.redeliver_webhook_range = RedeliverWebhookRangeHandler(kernel)
