"""Reading an uploaded table: CSV as spreadsheets in Kazakhstan write it, or XLSX (openpyxl).

CSV: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), else
Windows-1251; the separator (`;`, `,` or tab) is detected with `csv.Sniffer`. XLSX: the first
sheet, read with openpyxl in read-only mode (its XML goes through defusedxml, which is installed).
The old binary `.xls` is refused with a hint to save as XLSX.

What comes out is the header row and the data rows with their line numbers in the file (the line
a person sees in their spreadsheet). Whatever cannot be read is a `FileProblem`: a 4xx with the
field `file` and a message for the person, never a half-read table.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from api.errors import DomainError
from api.i18n import N_

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SEPARATORS = ";,\t"


class FileProblem(DomainError):
    """The file as a whole cannot be imported (encoding, format, columns, size)."""

    def __init__(self, message: str, *, status: int = 422, **params: Any) -> None:
        self.template = message
        self.params = params
        super().__init__(message.format(**params) if params else message, field="file", status=status)


@dataclass
class Table:
    file_format: str  # "csv" or "xlsx"
    headers: list[str]
    # (line in the file, the row's cells as read: str for CSV; str, int, float, date… for XLSX)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str | None = None
    separator: str | None = None


def read_table(content: bytes, filename: str, *, max_rows: int) -> Table:
    if not content.strip():
        raise FileProblem(N_("The file is empty."))
    if content.startswith(XLS_MAGIC):
        raise FileProblem(N_("This is an old Excel file (.xls); save it as .xlsx or .csv and upload it again."))
    if content.startswith(XLSX_MAGIC):
        return _read_xlsx(content, max_rows=max_rows)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem(N_("The file is named .xlsx but is not an Excel workbook."))
    return _read_csv(content, max_rows=max_rows)


# --- CSV -----------------------------------------------------------------------------------------


def decode_text(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if content.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1251"]
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # a binary file that happens to decode
        return text, encoding
    raise FileProblem(N_("The file could not be read as text: save it as CSV in UTF-8 or Windows-1251, or as XLSX."))


def _separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text.splitlines() else ""
        counts = {sep: first.count(sep) for sep in SEPARATORS}
        best = max(counts, key=lambda s: counts[s])
        if counts[best] == 0:
            raise FileProblem(
                N_("No column separator found in the first line: separate columns with ';', ',' or a tab.")
            ) from None
        return best


def _read_csv(content: bytes, *, max_rows: int) -> Table:
    text, encoding = decode_text(content)
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    table: Table | None = None
    try:
        for record in reader:
            line = reader.line_num
            if table is None:
                if not any(cell.strip() for cell in record):
                    continue
                table = Table("csv", [cell.strip() for cell in record], encoding=encoding, separator=separator)
                continue
            if not any(cell.strip() for cell in record):
                continue
            if len(table.rows) >= max_rows:
                raise FileProblem(
                    N_("The file has more than {max_rows} rows; split it into several files."), max_rows=max_rows
                )
            table.rows.append((line, record))
    except csv.Error as exc:
        raise FileProblem(N_("The CSV file is malformed near line {line}."), line=reader.line_num) from exc
    if table is None:
        raise FileProblem(N_("The file is empty."))
    return table


# --- XLSX ----------------------------------------------------------------------------------------


# What a workbook may unpack to: a spreadsheet of 20 000 rows is a few MiB of XML; a small file
# that unpacks to much more is a compression bomb.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def _read_xlsx(content: bytes, *, max_rows: int) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem(N_("The Excel workbook could not be read; save it again as .xlsx or .csv.")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileProblem(N_("The Excel workbook unpacks to more than is accepted; save it again as .csv."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(N_("The Excel workbook could not be read; save it again as .xlsx or .csv.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileProblem(N_("The file is empty."))
        table: Table | None = None
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if not any(c not in (None, "") for c in cells):
                continue
            if table is None:
                table = Table("xlsx", [str(c).strip() if c is not None else "" for c in cells])
                continue
            if len(table.rows) >= max_rows:
                raise FileProblem(
                    N_("The file has more than {max_rows} rows; split it into several files."), max_rows=max_rows
                )
            table.rows.append((line, cells))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise FileProblem(N_("The Excel workbook could not be read; save it again as .xlsx or .csv.")) from exc
    finally:
        workbook.close()
    if table is None:
        raise FileProblem(N_("The file is empty."))
    return table


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return value


# --- columns -------------------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    cleaned = text.replace("\ufeff", "").replace("*", "").strip().lower()
    for ch in "()[]:«»\"'":
        cleaned = cleaned.replace(ch, " ")
    cleaned = cleaned.replace("ё", "е").replace("-", " ").replace("_", " ")
    return " ".join(cleaned.split())


@dataclass(frozen=True)
class Column:
    key: str
    labels: dict[str, str]  # locale → header in the template
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {normalise_header(n) for n in (self.key, *self.labels.values(), *self.aliases)}


def map_columns(
    headers: list[str], columns: tuple[Column, ...], *, one_of: tuple[tuple[str, ...], ...] = ()
) -> tuple[dict[str, int], list[str]]:
    """Which position holds each known column; headers it does not know are returned to be noted.
    A missing required column, or one named twice, refuses the file."""
    lookup: dict[str, str] = {}
    for column in columns:
        for name in column.names():
            lookup[name] = column.key
    found: dict[str, int] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        if not header.strip():
            continue
        key = lookup.get(normalise_header(header))
        if key is None:
            unknown.append(header)
            continue
        if key in found:
            raise FileProblem(N_("The column {column} appears twice in the header row."), column=header)
        found[key] = position
    missing = [c.key for c in columns if c.required and c.key not in found]
    for group in one_of:
        if not any(k in found for k in group):
            missing.append(" / ".join(group))
    if missing:
        raise FileProblem(
            N_("The header row lacks the columns: {columns}. Download the template to see the expected columns."),
            columns=", ".join(missing),
        )
    return found, unknown
