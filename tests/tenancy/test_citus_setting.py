"""METODIST_CITUS on a single server: `auto` builds plain schemas, `on` refuses with the reason
(a coordinator that lost its extension must not quietly build local schemas), a bad value stops
the start. The cluster itself is tested in tests/citus."""

from __future__ import annotations

from typing import Any

import pytest

from api.settings import ConfigurationError, Settings
from tests.tenancy.helpers import organisation, psql, register_organisation

pytestmark = pytest.mark.usefixtures("territories")


async def test_auto_on_a_single_server_builds_a_plain_schema(db: Any, database_url: str) -> None:
    from api.domain.organisations.provisioning import provision_organisation
    from tenants.citus import is_citus

    assert db.citus == "auto" and await is_citus(db) is False
    org = await register_organisation(db)
    assert await provision_organisation(db, org.id) == "active"
    assert psql(database_url, "SELECT count(*) FROM pg_extension WHERE extname = 'citus'") == [(0,)]


async def test_on_without_the_extension_fails_provisioning_with_the_reason(
    settings: Settings, database_url: str
) -> None:
    from api.db import Database, create_engine
    from api.domain.organisations.provisioning import provision_organisation

    required = Database(create_engine(settings, database_url), citus="on")
    try:
        org = await register_organisation(required)
        assert await provision_organisation(required, org.id) == "failed"
        failed = await organisation(required, org.id)
        assert failed.status_reason is not None
        assert "CitusMissing: METODIST_CITUS=on but the database has no citus extension" in failed.status_reason
        assert psql(database_url, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (org.schema_name,)) == [(0,)]
    finally:
        await required.dispose()


def test_the_setting_reads_its_values_and_refuses_others(monkeypatch: pytest.MonkeyPatch) -> None:
    for given, mode in (("auto", "auto"), ("on", "on"), ("1", "on"), ("OFF", "off"), ("0", "off")):
        monkeypatch.setenv("METODIST_CITUS", given)
        assert Settings.from_env().citus == mode
    monkeypatch.setenv("METODIST_CITUS", "sometimes")
    with pytest.raises(ConfigurationError, match="METODIST_CITUS must be auto, on or off"):
        Settings.from_env()
