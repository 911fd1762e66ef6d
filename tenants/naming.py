"""Tenant schema names. Every name is validated before it reaches SQL."""

from __future__ import annotations

import re

SCHEMA_PREFIX = "t_"
_VALID = re.compile(r"^t_[a-z0-9_]{1,61}$")


class InvalidSchemaName(ValueError):
    pass


def schema_for_bin(bin_: str) -> str:
    return validate_schema_name(f"{SCHEMA_PREFIX}{bin_}")


def validate_schema_name(name: str) -> str:
    """Only `t_` followed by lowercase letters, digits and underscores, at most 63 bytes.

    The prefix keeps tenant schemas apart from `public`, `pg_*` and `information_schema`, and
    makes the name safe to interpolate as an identifier.
    """
    if not _VALID.fullmatch(name):
        raise InvalidSchemaName(f"invalid tenant schema name: {name!r}")
    return name
