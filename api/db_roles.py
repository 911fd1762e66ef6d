"""Two database roles: an owner that builds, and an application role that only reads and writes.

The owner (METODIST_OWNER_DATABASE_URL) runs migrations, builds and renames tenant schemas
(spares, provisioning), drops archived ones, and runs the background jobs. The web application
(DATABASE_URL) connects as a role that owns nothing: it has USAGE on the schemas and SELECT,
INSERT, UPDATE, DELETE on their tables, but only SELECT and INSERT on the audit logs and their
anchors. Not owning the audit tables, it cannot ALTER TABLE … DISABLE TRIGGER; not a superuser,
it cannot SET session_replication_role = replica; so it can neither switch the append-only
trigger off nor get past it, and the chain cannot be rewritten with its login.

`grant_app_role` (run by `metodist db upgrade`, `metodist serve` and `metodist tenants migrate`
as the owner) sets the owner's default privileges, so every schema and table the owner creates
later — a spare built by the worker, a table added by a tenant migration — is usable by the
application role at once, and grants on what already exists. New tenant schemas take away UPDATE
and DELETE on their audit log from every grantee in the same script that builds them
(tenants.ddl.AUDIT_LOG_REVOKE).
"""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, make_url, pool, text

from api.db import sync_url
from api.settings import ConfigurationError

# Tables the application may only read and append to.
APPEND_ONLY_CONTROL_TABLES = ("identity_audit_log", "audit_anchor")
_DML = "SELECT, INSERT, UPDATE, DELETE"


def role_of(database_url: str) -> str | None:
    return make_url(database_url).username


def app_role(app_url: str, owner_url: str | None) -> str | None:
    """The application's own role, when it differs from the owner's; None when one role does both."""
    if not owner_url:
        return None
    app, owner = role_of(app_url), role_of(owner_url)
    return app if app and app != owner else None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_app_role(owner_url: str, role: str) -> int:
    """Grant the application role what it needs and no more; the number of tenant schemas granted now."""
    engine = create_engine(sync_url(owner_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            found = conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).one_or_none()
            if found is None:
                raise ConfigurationError(
                    f"The application's database role {role!r} (DATABASE_URL) does not exist; create it (LOGIN, no "
                    "superuser)."
                )
            if found[0]:
                raise ConfigurationError(
                    f"The application's database role {role!r} (DATABASE_URL) is a superuser: it could switch the "
                    "audit log's triggers off. Give the application a role of its own (LOGIN, NOSUPERUSER)."
                )
            owner = conn.execute(text("SELECT current_user")).scalar_one()
            r, o = _ident(role), _ident(owner)
            conn.execute(text(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT USAGE ON SCHEMAS TO {r}"))
            conn.execute(text(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT {_DML} ON TABLES TO {r}"))
            conn.execute(text(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT USAGE, SELECT ON SEQUENCES TO {r}"))
            _grant_schema(conn, "public", r, APPEND_ONLY_CONTROL_TABLES)
            conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.alembic_version FROM {r}"))
            # Tenant schemas (and spares) the role cannot use yet: built before it was configured.
            schemas = conn.scalars(
                text(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%' "
                    "AND NOT has_schema_privilege(:r, oid, 'USAGE') ORDER BY nspname"
                ),
                {"r": role},
            ).all()
            for schema in schemas:
                _grant_schema(conn, schema, r, ("audit_log",))
            return len(schemas)
    finally:
        engine.dispose()


def _grant_schema(conn: Connection, schema: str, role: str, append_only: tuple[str, ...]) -> None:
    """`role` (quoted) reads and writes what is in `schema`, but only reads and appends to `append_only`."""
    s = _ident(schema)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {role}"))
    conn.execute(text(f"GRANT {_DML} ON ALL TABLES IN SCHEMA {s} TO {role}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {role}"))
    for table in append_only:
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{schema}.{table}"}).scalar() is not None:
            conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {s}.{_ident(table)} FROM {role}"))
