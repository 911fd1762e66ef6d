"""Paging a list: the one `paging` parameter every list takes, the one query that pages, the one page it answers.

A list handler declares `paging: NamedDependency[Paging]` and its provider, `dependencies={"paging": paging_by(50)}`:
it reads the `page` and `page_size` query parameters, and a list's default page size is the provider's.

The bounds keep every offset within the database's integers: `page=9223372036854775807` once reached
PostgreSQL as an OFFSET beyond bigint and answered 500; a page past the last one is simply empty, and
none is further than `MAX_PAGE`.
"""

# No `from __future__ import annotations`: `paging_by` builds its provider's annotations from its
# arguments, and Litestar reads them as objects.

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200

T = TypeVar("T")

PageNo = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1")]


@dataclass(frozen=True)
class Paging:
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(msgspec.Struct, Generic[T]):
    """One page of a list, and how many items the whole list holds."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, items: list[T], total: int, paging: Paging) -> "Page[T]":
        return cls(items, total, paging.page, paging.page_size)


def paging_by(page_size: int = 20, *, most: int = MAX_PAGE_SIZE) -> Provide:
    """The provider of a list's `paging`: `page_size` items a page unless the query asks for another
    number, up to `most`."""
    size = Annotated[int, QueryParameter(ge=1, le=most, description="Items per page")]

    def provide(page: PageNo = 1, page_size: size = page_size) -> Paging:  # type: ignore[valid-type]
        return Paging(page, page_size)

    return Provide(provide, sync_to_thread=False)


async def paged(
    session: AsyncSession, query: Select[Any], paging: Paging, *, rows: bool = False
) -> tuple[list[Any], int]:
    """One page of an ordered query and the total it pages over: the first column's values, or
    whole rows with `rows` (a query of several entities or columns)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = query.offset(paging.offset).limit(paging.page_size)
    found = (await session.execute(page)).all() if rows else (await session.scalars(page)).all()
    return list(found), int(total or 0)
