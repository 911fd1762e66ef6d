"""The paging parameters every list takes: bounded, so no offset overflows the database's integers.

`page=9223372036854775807` once reached PostgreSQL as an OFFSET beyond bigint and answered 500;
a page past the last one is simply empty, and none is further than this.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

MAX_PAGE = 100_000

PageNo = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1")]
PageSize = Annotated[int, Parameter(ge=1, le=200, description="Items per page")]
