"""The text of a DOCX or ODT version, for a diff between two versions.

Only the main body is read (paragraphs in order, one per line); what is decompressed is capped,
so a crafted package cannot exhaust memory.
"""

from __future__ import annotations

import difflib
import io
import zipfile
from xml.etree import ElementTree

from api.domain.documents.rules import FileFormat

MAX_XML_BYTES = 32 * 1024 * 1024

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _read_capped(package: zipfile.ZipFile, name: str) -> bytes:
    info = package.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise ValueError("the document's text part is too large to compare")
    with package.open(info) as handle:
        data = handle.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise ValueError("the document's text part is too large to compare")
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
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        if fmt is FileFormat.DOCX:
            return _docx_lines(ElementTree.fromstring(_read_capped(package, "word/document.xml")))
        return _odt_lines(ElementTree.fromstring(_read_capped(package, "content.xml")))


def text_diff(old: list[str], new: list[str], old_label: str, new_label: str) -> list[str]:
    return list(difflib.unified_diff(old, new, fromfile=old_label, tofile=new_label, lineterm=""))
