"""Hostile files: an upload refused from its declared size before its body is read, and DOCX/ODT
whose XML is malformed or expands entities, which a diff refuses with a 422 instead of a 500
(or of expanding them: "billion laughs")."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.domain.documents.models import DocumentVersion
from tests.reviews import world as w
from tests.reviews.api_support import Api

pytestmark = pytest.mark.asyncio

_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "hahahahahahahahahaha">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
)
_EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
)
_MALFORMED = '<?xml version="1.0"?><w:document xmlns:w="urn:x"><w:body><w:p>unclosed</w:body>'


def _docx_with(document_xml: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("word/document.xml", document_xml)
    return buffer.getvalue()


@pytest.fixture
def api(app: Any, db: Any, uni: w.World) -> Api:
    return Api(app, db, uni)


@pytest.mark.parametrize(
    ("document_xml", "words"),
    [(_LAUGHS, "DTD or entities"), (_EXTERNAL, "DTD or entities"), (_MALFORMED, "malformed")],
    ids=["billion-laughs", "external-entity", "malformed"],
)
async def test_a_diff_against_hostile_xml_is_a_422(api: Api, document_xml: str, words: str) -> None:
    doc = await api.create("author", kind="guidelines", title="Guidelines")
    good = await api.upload("author", doc["id"], w.docx("Intro", "Old method"), "g.docx")
    assert good.status_code == 201, good.text
    bad = await api.upload("author", doc["id"], _docx_with(document_xml), "g2.docx", note="Changed")
    assert bad.status_code == 201, bad.text  # accepted as a DOCX package; its text is read only to compare
    for params, field in (({"from": 1, "to": 2}, "to"), ({"from": 2, "to": 1}, "from")):
        r = await api.call("author", "GET", f"/documents/{doc['id']}/diff", params=params)
        assert r.status_code == 422, r.text
        body = r.json()
        assert set(body) == {"status", "message", "field", "clause"} and body["field"] == field
        assert words in body["message"] and "version 2" in body["message"]
        assert "root:" not in r.text and "haha" not in r.text


async def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(
    api: Api, db: Any, uni: w.World, settings: Any
) -> None:
    doc = await api.create("author", kind="working_programme", title="Programme")
    before = await w.count(db, uni.schema, DocumentVersion)
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            pulled.append(1)
            yield b"0" * 65_536

    headers = {
        **(await api.headers("author")),
        "content-type": "multipart/form-data; boundary=x",
        "content-length": str(settings.document_max_bytes * 4),
    }
    async with api.client() as c:
        r = await c.post(f"{api.base}/documents/{doc['id']}/versions", content=body(), headers=headers)
    assert r.status_code == 413, r.text
    assert r.json()["field"] == "file" and "too large" in r.json()["message"]
    assert pulled == [], "the body was read before the declared size was refused"
    assert await w.count(db, uni.schema, DocumentVersion) == before


async def test_an_odt_with_entities_is_refused_the_same_way(api: Api) -> None:
    content_xml = (
        '<?xml version="1.0"?><!DOCTYPE office:document-content [<!ENTITY a "aaaaaaaaaa">]>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        "<text:p>&a;</text:p></office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content_xml)
    doc = await api.create("author", kind="guidelines", title="Guidelines")
    assert (await api.upload("author", doc["id"], w.odt("Intro"), "g.odt")).status_code == 201
    assert (await api.upload("author", doc["id"], buffer.getvalue(), "g2.odt", note="Changed")).status_code == 201
    r = await api.call("author", "GET", f"/documents/{doc['id']}/diff", params={"from": 1, "to": 2})
    assert r.status_code == 422 and r.json()["field"] == "to" and "DTD or entities" in r.json()["message"], r.text
