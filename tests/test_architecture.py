"""Architecture: package boundaries point one way.

Read from the source (every import, at the top of a module or inside a function), so a boundary
crossed only at run time is caught as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from api.settings import PROJECT_ROOT

FIRST_PARTY = ("api", "web", "tenants", "migrations", "bench", "tests")

# `tenants/` creates, migrates, distributes and archives schemas: it knows the database layer and
# the tenant metadata (api.models), never a domain package, the HTTP layer or the audit log.
TENANTS_MAY_IMPORT = ("tenants", "api.db", "api.models", "api.planes", "api.settings", "migrations.runner")

# The domain packages, lowest first: a package imports only packages before it in this list.
DOMAIN_ORDER = (
    "territories",
    "accounts",
    "organisations",
    "structure",
    "bodies",
    "meetings",
    "events",
    "plans",
    "documents",
    "reviews",
    "compliance",
    "onboarding",
    "audit",
    "system",
)

# Imports against the order that are known and not yet undone, each with the reason. The test
# fails when one of them is gone too, so the list only shrinks.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def _modules(folder: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(module: str, path: Path) -> set[str]:
    """Every module `module` imports; `from a import b` counts as `a.b` (b is a module or a name in a)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_tenants_imports_only_the_database_layer() -> None:
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in _modules("tenants")
        for name in _imports(module, path)
        if name.split(".")[0] in FIRST_PARTY and not any(_is_under(name, allowed) for allowed in TENANTS_MAY_IMPORT)
    )
    assert not offenders, "tenants/ reaches past the database layer:\n  " + "\n  ".join(offenders)


def _domain_package(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["api", "domain"] else None


def _domain_edges() -> Iterator[tuple[str, str, str, str]]:
    """(module, imported module, its package, imported package) for imports between domain packages."""
    for module, path in _modules("api/domain"):
        package = _domain_package(module)
        if package is None:
            continue
        for name in _imports(module, path):
            target = _domain_package(name)
            if target is not None and target != package:
                yield module, name, package, target


def test_every_domain_package_is_in_the_order() -> None:
    packages = {path.name for path in (PROJECT_ROOT / "api" / "domain").iterdir() if (path / "__init__.py").exists()}
    assert packages == set(DOMAIN_ORDER), f"add to or remove from DOMAIN_ORDER: {packages ^ set(DOMAIN_ORDER)}"


def test_domain_packages_import_only_downward() -> None:
    rank = {package: i for i, package in enumerate(DOMAIN_ORDER)}
    upward: set[tuple[str, str]] = set()
    for module, name, package, target in _domain_edges():
        if rank[target] > rank[package]:
            known = next((pair for pair in KNOWN_UPWARD if pair[0] == module and _is_under(name, pair[1])), None)
            upward.add(known or (module, name))
    unexpected = sorted(f"{module} imports {name}" for module, name in upward - KNOWN_UPWARD.keys())
    assert not unexpected, (
        "A domain package imports one above it (order, lowest first: " + " < ".join(DOMAIN_ORDER) + "); move the "
        "shared piece down:\n  " + "\n  ".join(unexpected)
    )
    gone = sorted(f"{module} → {name}" for module, name in KNOWN_UPWARD.keys() - upward)
    assert not gone, "No longer imported: remove from KNOWN_UPWARD:\n  " + "\n  ".join(gone)


# Statements are built and run by services and queries; a controller turns HTTP into a call.
SQL_BUILDERS = frozenset({"select", "text", "update", "delete", "insert", "union", "exists"})
SQL_RUNNERS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars"})


def _controllers() -> Iterator[tuple[str, Path]]:
    return (
        (module, path) for module, path in _modules("api") if "controllers" in path.name or path.parent.name == "routes"
    )


def test_controllers_build_and_run_no_sql() -> None:
    offenders = []
    for module, path in _controllers():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
                offenders += [f"{module} imports {alias.name}" for alias in node.names if alias.name in SQL_BUILDERS]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_RUNNERS:
                offenders.append(f"{module}:{node.lineno} calls .{node.func.attr}(…)")
    assert not offenders, "SQL in a controller; move it into the package's service:\n  " + "\n  ".join(offenders)


LONG = 400
# Long modules without their reason yet, each with why it is still so. The test fails when one is
# no longer long or has its reason written, so the list only shrinks.
KNOWN_LONG: dict[str, str] = {}


def _long_modules() -> Iterator[tuple[str, int, str]]:
    """(path, lines, the module's docstring) of every module over LONG lines."""
    for folder in ("api", "tenants", "web"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n")
            if lines > LONG:
                yield str(path.relative_to(PROJECT_ROOT)), lines, ast.get_docstring(ast.parse(text)) or ""


def _says_why(docstring: str) -> bool:
    return any(line.startswith("Long because") for line in docstring.splitlines())


def test_long_modules_say_why() -> None:
    found = list(_long_modules())
    unexplained = sorted(f"{path} ({lines} lines)" for path, lines, doc in found if not _says_why(doc))
    missing = [path for path in unexplained if path.split(" ")[0] not in KNOWN_LONG]
    assert not missing, (
        f"Modules over {LONG} lines: split them by what they hold, or start the module's docstring's "
        'reason with a line "Long because …":\n  ' + "\n  ".join(missing)
    )
    settled = sorted(set(KNOWN_LONG) - {path.split(" ")[0] for path in unexplained})
    assert not settled, "Short now or explained: remove from KNOWN_LONG:\n  " + "\n  ".join(settled)


def test_one_clock() -> None:
    """Moments come from `api.clock` only: `utc_now()` to store, `now()`/`today()` for Kazakhstan's
    dates. Four clocks and twenty inline `datetime.now(UTC)` had grown before. (`tenants/` imports
    only the database layer, and stamps an archive's file name by its own.)"""
    offenders = []
    for folder in ("api", "web"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path == PROJECT_ROOT / "api" / "clock.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"now", "utcnow", "today"}
                    and isinstance(node.func.value, (ast.Name, ast.Attribute))
                    and (getattr(node.func.value, "id", None) or getattr(node.func.value, "attr", None))
                    in {"datetime", "date"}
                ):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert not offenders, "A clock outside api.clock; use api.clock.utc_now / now / today:\n  " + "\n  ".join(offenders)
