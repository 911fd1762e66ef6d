"""What every page shares: its access rule, the pager of a long list, and the API client that
speaks for the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from api import i18n
from api.access import Scope, access
from web.client import ApiClient, caller_headers

PUBLIC = access(Scope.PUBLIC)


@dataclass
class Pager:
    page: int
    pages: int
    total: int

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers to show: the ends and the neighbourhood of the current page; None is a gap."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and out[-1] is not None and n - out[-1] > 1:  # type: ignore[operator]
                out.append(None)
            out.append(n)
        return out


def provide_api(request: Request[Any, Any, Any]) -> ApiClient:
    """The API client speaking for this request's caller, in its language."""
    return request.app.state.api_client.bound(caller_headers(request.headers, i18n.current_locale()))
