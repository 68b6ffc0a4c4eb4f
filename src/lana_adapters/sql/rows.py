"""Rows to the core aggregates and back, by the SQL adapter's converter
(:mod:`lana_adapters.sql.converter`)."""

from __future__ import annotations

from lana_adapters.sql.converter import Values, reader, writer
from lana_adapters.sql.search import search_text
from lana_core.domain.api_keys import ApiKey
from lana_core.domain.customers import Customer
from lana_core.domain.projects import Project, Task
from lana_core.domain.sessions import Session
from lana_core.domain.tenancy import Tenant, User

tenant_of, tenant_values = reader(Tenant), writer(Tenant)
user_of, user_values = reader(User), writer(User)
session_of, session_values = reader(Session), writer(Session)
api_key_of, api_key_values = reader(ApiKey), writer(ApiKey)
customer_of, _customer_columns = reader(Customer), writer(Customer)
project_of, project_values = reader(Project), writer(Project)
task_of, task_values = reader(Task), writer(Task)


def customer_values(customer: Customer) -> Values:
    """The customer's columns, with the text a search without full-text matching scans."""
    values = _customer_columns(customer)
    values["search_text"] = search_text(customer.name, customer.email, customer.company)
    return values
