"""`metodist` on the command line, in child processes, against a database of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.demo import DEMO_ORGS, demo_bin
from migrations.runner import TENANT_DIR, head_revision
from tests.support import fresh_bin, scratch_database
from tests.tenancy.helpers import catalog, metodist, psql, schema_exists


@pytest.fixture(scope="module")
def empty_database(database_url: str) -> object:
    with scratch_database(database_url, control=False) as url:
        yield url


def _last(output: str) -> str:
    """The command's own last line (structured log lines may come before it)."""
    return output.strip().splitlines()[-1]


def _organisations(url: str) -> list[tuple[str, str, str | None]]:
    return psql(url, "SELECT schema_name, status, schema_version FROM public.organisation ORDER BY schema_name")


def test_operator_session_from_an_empty_database(empty_database: str, tmp_path: Path) -> None:
    url = empty_database
    head = head_revision(TENANT_DIR)

    upgraded = metodist(url, "db", "upgrade", data_dir=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().startswith("Control plane at head;")
    assert psql(url, "SELECT count(*) > 0 FROM public.territory WHERE slug = 'karaganda'") == [(True,)]

    listed = metodist(url, "tenants", "list", data_dir=tmp_path)
    assert (listed.returncode, listed.stdout.strip()) == (
        0,
        "No organisations yet. Create one with `metodist tenants create` or `metodist demo load`.",
    )

    # The demo region (about a hundred organisations, furnished and checked) takes a minute or two.
    loaded = metodist(url, "demo", "load", data_dir=tmp_path, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    assert _last(loaded.stdout) == f"{len(DEMO_ORGS)} demo organisations created."
    demo_schemas = sorted(f"t_{demo_bin(d.serial)}" for d in DEMO_ORGS)
    assert _organisations(url) == [(s, "active", head) for s in demo_schemas]
    assert all(catalog(url, s).version == [(head,)] for s in demo_schemas)
    assert (
        _last(metodist(url, "demo", "load", data_dir=tmp_path).stdout) == "Organisations exist already; nothing loaded."
    )

    # Bad input: a clear message, a non-zero exit and nothing written.
    good_bin = fresh_bin()
    bad_bin = good_bin[:11] + str((int(good_bin[11]) + 1) % 10)
    college = [
        "--kind",
        "college",
        "--territory",
        "karaganda",
        "--name-kk",
        "Колледж",
        "--name-ru",
        "Колледж",
        "--level",
        "technical_vocational",
    ]
    for args, message in (
        (["--bin", bad_bin, *college], "Error: bin: The BIN must be 12 digits with a valid check digit."),
        (["--bin", "12345", *college], "Error: bin: The BIN must be 12 digits with a valid check digit."),
        (
            ["--bin", good_bin, *college[:2], "--territory", "atlantis", *college[4:]],
            "Error: territory: Territory 'atlantis' not found.",
        ),
        (["--bin", good_bin, "--kind", "castle", *college[2:]], "Error: Invalid enum value 'castle' - at `$.kind`"),
        (
            ["--bin", good_bin, *college[:-1], "higher"],
            "Error: levels: A college does not run higher education (cl. 2).",
        ),
    ):
        refused = metodist(url, "tenants", "create", *args, data_dir=tmp_path)
        assert refused.returncode == 1, (args, refused.stdout)
        assert refused.stderr.strip() == message, args
    assert len(_organisations(url)) == len(DEMO_ORGS)
    assert not schema_exists(url, f"t_{bad_bin}") and not schema_exists(url, f"t_{good_bin}")

    created = metodist(url, "tenants", "create", "--bin", good_bin, *college, "--name-en", "College", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    assert _last(created.stdout) == f"t_{good_bin}: active"
    assert (f"t_{good_bin}", "active", head) in _organisations(url)
    assert catalog(url, f"t_{good_bin}").version == [(head,)]
    duplicate = metodist(url, "tenants", "create", "--bin", good_bin, *college, data_dir=tmp_path)
    assert (duplicate.returncode, duplicate.stderr.strip()) == (
        1,
        "Error: bin: An organisation with this BIN already exists.",
    )

    listed = metodist(url, "tenants", "list", data_dir=tmp_path)
    rows = [line.split()[:3] for line in listed.stdout.splitlines()]
    assert sorted(rows) == sorted([s, "active", head] for s in [*demo_schemas, f"t_{good_bin}"])

    noop = metodist(url, "tenants", "migrate", "--per-schema", data_dir=tmp_path)
    assert noop.returncode == 0, noop.stderr
    count = len(DEMO_ORGS) + 1
    assert noop.stdout.splitlines()[0] == f"{count} tenant schemas, {count} at head {head}, 0 to migrate"
    assert noop.stdout.splitlines()[-1].endswith(f"0 migrated, {count} already at head, 0 failed")

    # One schema lost its stamp but kept its tables (the upgrade from base will collide with them);
    # another lost everything but the empty version table (a clean upgrade from base).
    broken, bare = demo_schemas[0], demo_schemas[1]
    psql(
        url,
        f"DELETE FROM {broken}.alembic_version; INSERT INTO {broken}.settings (id, key, value, created_at, updated_at) "
        "VALUES (gen_random_uuid(), 'precious', '1', now(), now())",
    )
    psql(
        url,
        f"DROP SCHEMA {bare} CASCADE; CREATE SCHEMA {bare}; CREATE TABLE {bare}.alembic_version "
        "(version_num varchar(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
    )
    before_broken = catalog(url, broken)

    migrated = metodist(url, "tenants", "migrate", "--concurrency", "2", data_dir=tmp_path)

    assert migrated.returncode == 1, migrated.stdout
    lines = migrated.stdout.splitlines()
    assert lines[0] == f"{count} tenant schemas, {count - 2} at head {head}, 2 to migrate"
    steps = sorted(line for line in lines if line.startswith("["))
    assert [s[:5] for s in steps] == ["[1/2]", "[2/2]"]
    assert any(f" {bare} - -> {head} ok (" in s for s in steps), steps
    assert any(f" {broken} - -> - FAILED " in s for s in steps), steps
    assert lines[-1].endswith(f"1 migrated, {count - 2} already at head, 1 failed")
    assert migrated.stderr.startswith(f"FAILED {broken}: ProgrammingError: ")
    assert "already exists" in migrated.stderr
    assert catalog(url, bare).version == [(head,)]
    assert catalog(url, broken) == before_broken
    assert psql(url, f"SELECT key FROM {broken}.settings") == [("precious",)]

    dropped = metodist(url, "tenants", "drop", f"t_{good_bin}", "--yes", data_dir=tmp_path)
    assert dropped.returncode == 0, dropped.stderr
    export = Path(_last(dropped.stdout).split("export: ")[1])
    assert export.parent == tmp_path / "archives" and f"CREATE TABLE t_{good_bin}.settings (" in export.read_text()
    assert not schema_exists(url, f"t_{good_bin}")
    assert psql(url, "SELECT status FROM public.organisation WHERE schema_name = %s", (f"t_{good_bin}",)) == [
        ("archived",)
    ]
    unknown = metodist(url, "tenants", "drop", "t_000000000000", "--yes", data_dir=tmp_path)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "Error: No organisation has schema t_000000000000.")
