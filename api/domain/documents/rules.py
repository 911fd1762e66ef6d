"""What a document may be (cl. 13, 18-21, 29) and how an uploaded file is recognised.

A file's type is read from its content, never from its name alone: a PDF starts with `%PDF-`;
DOCX, XLSX and ODT are zip packages recognised by their entries (and ODT by its `mimetype`
entry). A name or declared type that says something else is refused, so a spreadsheet renamed
to `.pdf` never reaches a council as a "PDF".
"""

from __future__ import annotations

import enum
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from api.errors import DomainError


class DocumentKind(enum.StrEnum):
    WORKING_CURRICULUM = "working_curriculum"  # cl. 19
    WORKING_PROGRAMME = "working_programme"  # cl. 20
    LESSON_PLAN = "lesson_plan"  # cl. 20
    GUIDELINES = "guidelines"  # cl. 21: methodological guidelines and recommendations
    OTHER = "other"  # cl. 18: other methodological documentation
    METHODOLOGICAL_PRODUCT = "methodological_product"  # cl. 13.4: proposed for publication
    NORMATIVE_DOCUMENT = "normative_document"  # cl. 13.2: sent for expert review
    ASSOCIATION_PLAN = "association_plan"  # cl. 29: an association's annual plan


CLAUSE_OF_KIND: dict[DocumentKind, str] = {
    DocumentKind.WORKING_CURRICULUM: "19",
    DocumentKind.WORKING_PROGRAMME: "20",
    DocumentKind.LESSON_PLAN: "20",
    DocumentKind.GUIDELINES: "21",
    DocumentKind.OTHER: "18",
    DocumentKind.METHODOLOGICAL_PRODUCT: "13.4",
    DocumentKind.NORMATIVE_DOCUMENT: "13.2",
    DocumentKind.ASSOCIATION_PLAN: "29",
}


class DocumentStatus(enum.StrEnum):
    DRAFT = "draft"  # no version submitted yet
    IN_REVIEW = "in_review"
    RETURNED = "returned"  # with its authors after a return for revision (remarks to address)
    REJECTED = "rejected"  # with its authors after a negative conclusion
    APPROVED = "approved"  # its latest round ended in approval


class FileFormat(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    ODT = "odt"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]

    @property
    def has_text(self) -> bool:
        """Formats whose text is extracted for a diff between versions."""
        return self in (FileFormat.DOCX, FileFormat.ODT)


MEDIA_TYPES: dict[FileFormat, str] = {
    FileFormat.PDF: "application/pdf",
    FileFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.ODT: "application/vnd.oasis.opendocument.text",
}
_BY_EXTENSION = {f".{f.value}": f for f in FileFormat}
_BY_MEDIA_TYPE = {v: k for k, v in MEDIA_TYPES.items()}
# Types a browser or client sends when it does not know better: they say nothing either way.
_NEUTRAL_MEDIA_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/zip", "application/x-zip-compressed"}
)

ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class RecognisedFile:
    format: FileFormat
    filename: str
    size: int


def _zip_format(content: bytes) -> FileFormat | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                # ODF puts an uncompressed `mimetype` entry first; its content names the type.
                mimetype = package.read("mimetype")[:200].decode("ascii", "replace").strip()
                if mimetype == MEDIA_TYPES[FileFormat.ODT]:
                    return FileFormat.ODT
                return None
            if "[Content_Types].xml" not in names:
                return None
            if "word/document.xml" in names:
                return FileFormat.DOCX
            if "xl/workbook.xml" in names:
                return FileFormat.XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, ValueError, NotImplementedError):
        return None
    return None


def sniff(content: bytes) -> FileFormat | None:
    """The format the bytes are, or None when they are none of the accepted ones."""
    if PDF_MAGIC in content[:1024]:  # readers accept the header anywhere in the first kilobyte
        return FileFormat.PDF
    if content.startswith(ZIP_MAGIC):
        return _zip_format(content)
    return None


def clean_filename(filename: str | None) -> str:
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name:
        raise DomainError("The file has no name.", field="file")
    return name[:255]


def recognise(content: bytes, filename: str | None, declared_type: str | None, *, max_bytes: int) -> RecognisedFile:
    """Checks an upload: not empty, not too large, one of the formats, and labelled as what it is."""
    name = clean_filename(filename)
    if not content:
        raise DomainError("The file is empty.", field="file")
    if len(content) > max_bytes:
        raise DomainError(
            f"The file is too large: {len(content)} bytes, at most {max_bytes} are accepted.", field="file", status=413
        )
    found = sniff(content)
    if found is None:
        raise DomainError("The file is not a PDF, DOCX, XLSX or ODT document.", field="file", status=415)
    extension = PurePosixPath(name).suffix.lower()
    by_name = _BY_EXTENSION.get(extension)
    if by_name is None:
        raise DomainError(
            f"The file name must end in .pdf, .docx, .xlsx or .odt (the content is {found.value.upper()}).",
            field="file",
            status=415,
        )
    if by_name is not found:
        raise DomainError(
            f"The file is named as {by_name.value.upper()} but its content is {found.value.upper()}.",
            field="file",
            status=415,
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in _NEUTRAL_MEDIA_TYPES:
        by_type = _BY_MEDIA_TYPE.get(declared)
        if by_type is not found:
            raise DomainError(
                f"The file was sent as {declared} but its content is {found.value.upper()}.", field="file", status=415
            )
    return RecognisedFile(found, name, len(content))
