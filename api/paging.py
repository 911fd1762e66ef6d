"""The paging parameters every list takes: bounded, so no offset overflows the database's integers.

`page=9223372036854775807` once reached PostgreSQL as an OFFSET beyond bigint and answered 500;
a page past the last one is simply empty, and none is further than this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.params import Parameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PAGE = 100_000

PageNo = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1")]
PageSize = Annotated[int, Parameter(ge=1, le=200, description="Items per page")]


@dataclass(frozen=True)
class Paging:
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def paged(
    session: AsyncSession, query: Select[Any], paging: Paging, *, rows: bool = False
) -> tuple[list[Any], int]:
    """One page of an ordered query and the total it pages over: the first column's values, or
    whole rows with `rows` (a query of several entities or columns)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = query.offset(paging.offset).limit(paging.page_size)
    found = (await session.execute(page)).all() if rows else (await session.scalars(page)).all()
    return list(found), int(total or 0)
