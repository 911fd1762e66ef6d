"""The tenant schema at head, rendered once as DDL text.

A new tenant is created from this script in one round trip instead of replaying migration
history; a test proves the result equals what the migrations build.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_mock_engine
from sqlalchemy.schema import ExecutableDDLElement

from api.db import Database
from api.models import tenant_metadata
from migrations.runner import TENANT_DIR, head_revision
from tenants.naming import validate_schema_name

_PLACEHOLDER = "tenant_schema_placeholder__"


@lru_cache(maxsize=1)
def _rendered_tables() -> str:
    statements: list[str] = []

    def collect(sql: ExecutableDDLElement, *_: object, **__: object) -> None:
        compiled = sql.compile(
            dialect=engine.dialect, schema_translate_map={None: _PLACEHOLDER}, render_schema_translate=True
        )
        statements.append(str(compiled).strip())

    engine = create_mock_engine("postgresql+psycopg://", collect)
    tenant_metadata.create_all(engine, checkfirst=False)
    return ";\n".join(statements) + ";"


@lru_cache(maxsize=1)
def tenant_head() -> str:
    """The tenant track's head, read once like the models above: finding it imports every
    migration file (tens of milliseconds), too much to pay per tenant provisioned."""
    return head_revision(TENANT_DIR)


def audit_log_revoke(schema: str) -> str:
    """Takes UPDATE, DELETE and TRUNCATE on the schema's audit log away from every role the
    owner's default privileges gave them to (the application's role, api.db_roles): the log is
    read and appended to, never changed."""
    schema = validate_schema_name(schema)
    return (
        "DO $$ DECLARE g text; BEGIN FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants "
        f"WHERE table_schema = '{schema}' AND table_name = 'audit_log' AND grantee <> current_user "
        "AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') LOOP "
        f"EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_log FROM %I', g); END LOOP; END $$;\n"
    )


def tenant_ddl(schema: str) -> str:
    """CREATE SCHEMA, every table at head and the stamped version table, as one script."""
    schema = validate_schema_name(schema)
    head = tenant_head()
    # Placeholder and schema are both plain lowercase identifiers: the swap cannot break quoting.
    tables = _rendered_tables().replace(_PLACEHOLDER, schema)
    return (
        f"CREATE SCHEMA {schema};\n"
        f"{tables}\n"
        f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n"
        f"INSERT INTO {schema}.alembic_version (version_num) VALUES ('{head}');\n" + audit_log_revoke(schema)
    )


async def run_script(db: Database, script: str) -> None:
    """A multi-statement script in one round trip; sent as a simple query, it is atomic."""
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None and not driver.is_in_transaction()
        await driver.execute(script)
