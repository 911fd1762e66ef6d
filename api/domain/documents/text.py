"""The text of a DOCX or ODT version, for a diff between two versions.

Only the main body is read (paragraphs in order, one per line); what is decompressed is capped,
so a crafted package cannot exhaust memory, and the XML is parsed by defusedxml, which refuses
DTDs, entity declarations and external references (no "billion laughs", no file or URL read).
A part that cannot be read raises `UnreadableText`. Parsing is CPU work: callers run it in a
thread, off the event loop.
"""

from __future__ import annotations

import difflib
import io
import zipfile
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from api.domain.documents.rules import FileFormat
from api.i18n import N_

MAX_XML_BYTES = 32 * 1024 * 1024

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


MALFORMED = N_("The text of version {number} cannot be compared: its XML is malformed.")
ENTITIES = N_("The text of version {number} cannot be compared: its XML declares a DTD or entities, which are refused.")
NO_TEXT = N_("The text of version {number} cannot be compared: its text part is missing or too large.")


class UnreadableText(ValueError):
    """The package's text part is missing, malformed, over the cap, or declares entities.

    Its message is one of the templates above, to be given the version's number."""


def _parse(xml: bytes) -> ElementTree.Element:
    try:
        return fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableText(ENTITIES) from exc
    except ElementTree.ParseError as exc:
        raise UnreadableText(MALFORMED) from exc


def _read_capped(package: zipfile.ZipFile, name: str) -> bytes:
    info = package.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise UnreadableText(NO_TEXT)
    with package.open(info) as handle:
        data = handle.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise UnreadableText(NO_TEXT)
    return data


def _docx_lines(root: ElementTree.Element) -> list[str]:
    lines = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
        lines.append("".join(parts))
    return lines


def _odt_lines(root: ElementTree.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter() if node.tag in (f"{_TEXT}p", f"{_TEXT}h")]


def extract_lines(content: bytes, fmt: FileFormat) -> list[str] | None:
    """The paragraphs of the document, or None for formats without a comparable text."""
    if not fmt.has_text:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            if fmt is FileFormat.DOCX:
                return _docx_lines(_parse(_read_capped(package, "word/document.xml")))
            return _odt_lines(_parse(_read_capped(package, "content.xml")))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise UnreadableText(NO_TEXT) from exc


def text_diff(old: list[str], new: list[str], old_label: str, new_label: str) -> list[str]:
    return list(difflib.unified_diff(old, new, fromfile=old_label, tofile=new_label, lineterm=""))
