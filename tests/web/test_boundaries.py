"""The web app reaches data only through the API; its requests that change data carry a CSRF token."""

from __future__ import annotations

import ast
import re

import httpx

from api.settings import PROJECT_ROOT

# The web app may use the API's shared pieces (settings, i18n, access declarations, the CSRF
# settings), never its database, models or services.
FORBIDDEN = re.compile(
    r"^(sqlalchemy|asyncpg|psycopg|advanced_alchemy|saq|api\.db|api\.domain|api\.models|api\.jobs|tenants)(\.|$)"
)


def test_the_web_package_imports_no_database_code() -> None:
    offenders = []
    for path in sorted((PROJECT_ROOT / "web").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(PROJECT_ROOT)}: {name}" for name in names if FORBIDDEN.match(name)]
    assert not offenders, offenders


async def test_changes_without_the_csrf_token_are_refused(web: httpx.AsyncClient, places: dict[str, str]) -> None:
    form_page = (await web.get("/organisations/new?lang=ru")).text
    token = web.cookies.get("csrftoken")
    assert f'<input type="hidden" name="_csrf_token" value="{token}" />' in form_page

    forged = await web.post(
        "/organisations?lang=ru",
        data={"kind": "college", "territory_id": places["region"], "bin": "1", "name_kk": "a", "name_ru": "b"},
        headers={"x-csrftoken": ""},
    )
    assert forged.status_code == 403
    assert "Форма устарела. Обновите страницу и повторите попытку." in forged.text

    # A plain form (no JavaScript) sends the token as a field.
    as_field = await web.post(
        "/organisations?lang=ru",
        data={
            "_csrf_token": token,
            "kind": "college",
            "territory_id": places["region"],
            "bin": "1",
            "name_kk": "a",
            "name_ru": "b",
        },
        headers={"x-csrftoken": ""},
    )
    assert as_field.status_code == 422 and 'id="bin-error"' in as_field.text
