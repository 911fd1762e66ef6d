"""Mapping a model row to its response, one way: `response_of(Schema, row, **computed)`.

The response struct's fields are read from the row's attributes (or a Core row's columns) of the
same names, and msgspec converts them: a stored string to its enumeration, a JSON object or a
nested model to its struct. `computed` gives the fields the row does not hold (a member count, the
leader in office). A response that needs nothing else is `response_of(Schema, row)`; one built by
hand field by field is not written any more.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S")


def response_of(schema: type[S], row: Any, **computed: Any) -> S:
    # The fields gathered into a dict first: msgspec converts a dict in C, where reading them off
    # the row through a Python proxy cost lists a third of their time (docs/performance.md).
    fields: tuple[str, ...] = schema.__struct_fields__  # type: ignore[attr-defined]
    columns = getattr(row, "_mapping", None)
    if columns is None and isinstance(row, dict):
        columns = row
    if columns is not None:
        values = {name: columns[name] for name in fields if name in columns}
    else:
        # Not a computed field's namesake on the row: it may be a relationship that would load.
        values = {name: getattr(row, name) for name in fields if name not in computed and hasattr(row, name)}
    if computed:
        values.update(computed)
    return msgspec.convert(values, schema, from_attributes=True)
