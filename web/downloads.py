"""A file the API made, handed on to the browser as the API named it (an import's report, a
dashboard's export): the web app adds nothing but a fallback name and `nosniff`."""

from __future__ import annotations

from typing import Any

from litestar import Response


def download(response: Any, fallback: str) -> Response[bytes]:
    return Response(
        response.content,
        media_type=response.headers.get("content-type", "application/octet-stream"),
        headers={
            "Content-Disposition": response.headers.get("content-disposition", f'attachment; filename="{fallback}"'),
            "X-Content-Type-Options": "nosniff",
        },
    )
