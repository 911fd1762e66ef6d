"""Architecture: every route declares its scope and role; every model belongs to exactly one plane."""

from __future__ import annotations

from api.access import Scope
from api.identity.guards import is_auto_options
from api.planes import CONTROL_SCHEMA, ControlBase, TenantBase
from api.roles import ANY_SIGNED_IN, SELF, Role
from tests.identity.access.test_isolation_matrix import _api_app


def _declared_role_ok(scope: str, role: object) -> bool:
    if scope == Scope.PUBLIC.value:
        return role is None
    if role in (ANY_SIGNED_IN, SELF):
        return scope == Scope.SHARED.value if role == SELF else True
    roles = (role,) if isinstance(role, str) else role
    return isinstance(roles, tuple) and len(roles) > 0 and all(str(r) in {x.value for x in Role} for r in roles)


def test_every_route_declares_scope_and_role() -> None:
    undeclared = []
    for route in _api_app().routes:
        for handler in getattr(route, "route_handlers", []):
            if is_auto_options(handler):
                continue
            opt = handler.opt or {}
            scope, role = opt.get("scope"), opt.get("role", "<missing>")
            if scope not in {s.value for s in Scope} or not _declared_role_ok(scope, role):
                undeclared.append(f"{sorted(handler.http_methods)} {route.path}: scope={scope!r} role={role!r}")
    assert not undeclared, "Routes without a valid opt=access(scope, role):\n  " + "\n  ".join(undeclared)


def test_tenant_routes_name_the_organisation() -> None:
    wrong = [
        route.path
        for route in _api_app().routes
        for handler in getattr(route, "route_handlers", [])
        if (handler.opt or {}).get("scope") == Scope.TENANT.value
        and not route.path.startswith("/api/organisations/{organisation_id:uuid}/")
    ]
    assert not wrong, f"Tenant-scoped routes must live under /api/organisations/{{organisation_id}}/: {wrong}"


def test_routes_about_oneself_name_no_organisation() -> None:
    """`self` opens a route to a person without any role: it must not reach an organisation's data."""
    declared = [
        (route.path, handler.opt.get("scope"))
        for route in _api_app().routes
        for handler in getattr(route, "route_handlers", [])
        if (handler.opt or {}).get("role") == SELF
    ]
    assert {path for path, _ in declared} >= {
        "/api/auth/me",
        "/api/auth/sessions",
        "/api/auth/sessions/{session_id:uuid}",
    }
    wrong = [path for path, scope in declared if "{organisation_id" in path or scope != Scope.SHARED.value]
    assert not wrong, f"Routes declared for oneself that name an organisation or are not shared: {wrong}"


def _models(base: type) -> set[type]:
    found: set[type] = set()
    for mapper in base.registry.mappers:
        found.add(mapper.class_)
    return found


def test_every_model_belongs_to_exactly_one_plane() -> None:
    import api.models  # noqa: F401 - registers every model

    models = _models(ControlBase) | _models(TenantBase)
    assert models, "no models registered"
    problems = []
    for model in sorted(models, key=lambda m: m.__name__):
        planes = [b for b in (ControlBase, TenantBase) if issubclass(model, b)]
        if len(planes) != 1:
            problems.append(f"{model.__name__}: subclasses {len(planes)} planes")
            continue
        schema = model.__table__.schema
        if planes[0] is ControlBase and schema != CONTROL_SCHEMA:
            problems.append(
                f"{model.__name__}: a control model's table must be in {CONTROL_SCHEMA!r}, is in {schema!r}"
            )
        if planes[0] is TenantBase and schema is not None:
            problems.append(f"{model.__name__}: a tenant model's table must have no schema, has {schema!r}")
    assert not problems, "\n".join(problems)


def test_no_index_repeats_what_a_unique_constraint_already_indexes() -> None:
    """An index on the leading columns of a full unique constraint (or primary key) on the same
    table costs every write, and every new tenant schema a relation, and serves no lookup the
    constraint's own index does not."""
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    from api.models import control_metadata, tenant_metadata

    problems = []
    for metadata in (control_metadata, tenant_metadata):
        for table in metadata.tables.values():
            covering = [
                [c.name for c in constraint.columns]
                for constraint in table.constraints
                if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint) and constraint.columns
            ] + [
                [c.name for c in index.columns]
                for index in table.indexes
                if index.unique and index.dialect_options["postgresql"].get("where") is None
            ]
            for index in table.indexes:
                columns = [c.name for c in index.columns]
                if index.unique or not columns or index.dialect_options["postgresql"].get("where") is not None:
                    continue
                if any(key[: len(columns)] == columns for key in covering):
                    problems.append(f"{table.name}: index {index.name} on {columns}")
    assert problems == []
