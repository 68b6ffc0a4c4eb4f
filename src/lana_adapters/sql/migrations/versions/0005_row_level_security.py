"""PostgreSQL row-level security: the application and relay roles, their grants and policies,
and the outbox wake-up notification.

Every tenant table admits only rows of the tenant named by ``app.tenant_id``, which the
adapter sets per transaction; without it no row is visible. ``FORCE`` makes the policies
bind the tables' owner too. Tenants are readable by everyone (sign-in finds a tenant by
slug before any tenant is known) but written only in their own scope. The relay role sees
every outbox row and nothing else. Roles are cluster-wide, so the downgrade keeps them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

from lana_adapters.sql.migrations.roles import roles

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "users",
    "customers",
    "projects",
    "tasks",
    "interactions",
    "insights",
    "audit_log",
    "outbox",
    "analytics_events",
)
_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
# Roles belong to the cluster: another database's migration may create one at the same
# moment. The login role switches to them per transaction, so it must be a member.
_CREATE_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
    GRANT {role} TO CURRENT_USER;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    GRANT {role} TO CURRENT_USER;
END $$
"""
_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION lana_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lana_outbox', '');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    app, relay = roles()
    for role in (app, relay):
        op.execute(_CREATE_ROLE.format(role=role))
        op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, {', '.join(TENANT_TABLES)} TO {app}")
    op.execute(f"GRANT SELECT, UPDATE ON outbox TO {relay}")
    op.execute(f"GRANT EXECUTE ON FUNCTION lana_customer_matches(text, boolean) TO {app}")
    _tenant_policies()
    for table in TENANT_TABLES:
        _protect(table)
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {_CURRENT_TENANT}) WITH CHECK (tenant_id = {_CURRENT_TENANT})"
        )
    op.execute(f"CREATE POLICY relay_sees_all ON outbox TO {relay} USING (true) WITH CHECK (true)")
    op.execute(_NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION lana_outbox_notify()"
    )


def _tenant_policies() -> None:
    _protect("tenants")
    own = f"id = {_CURRENT_TENANT}"
    op.execute("CREATE POLICY tenants_read ON tenants FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY tenants_insert ON tenants FOR INSERT WITH CHECK ({own})")
    op.execute(f"CREATE POLICY tenants_update ON tenants FOR UPDATE USING ({own}) WITH CHECK ({own})")
    op.execute(f"CREATE POLICY tenants_delete ON tenants FOR DELETE USING ({own})")


def _protect(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def _schema() -> str:
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    return str(schema)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    app, relay = roles()
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS lana_outbox_notify()")
    op.execute("DROP POLICY IF EXISTS relay_sees_all ON outbox")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    for policy in ("tenants_read", "tenants_insert", "tenants_update", "tenants_delete"):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON tenants")
    for table in ("tenants", *TENANT_TABLES):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON tenants, {', '.join(TENANT_TABLES)} FROM {app}")
    op.execute(f"REVOKE ALL ON outbox FROM {relay}")
    op.execute(f"REVOKE ALL ON FUNCTION lana_customer_matches(text, boolean) FROM {app}")
    op.execute(f"REVOKE USAGE ON SCHEMA {_schema()} FROM {app}, {relay}")
