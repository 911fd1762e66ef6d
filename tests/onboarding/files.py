"""Import files written as people's spreadsheets write them: XLSX by openpyxl, CSV as a
Russian-locale Excel saves it (UTF-8 with a BOM and `;`, or Windows-1251)."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from api.domain.organisations.rules import make_bin

ORG_HEADER_RU = [
    "БИН",
    "Тип",
    "Территория",
    "Название (каз)",
    "Название (рус)",
    "Название (англ)",
    "Уровни образования",
    "E-mail администратора",
]
ORG_HEADER_EN = [
    "BIN",
    "Kind",
    "Territory",
    "Name (kk)",
    "Name (ru)",
    "Name (en)",
    "Education levels",
    "Administrator e-mail",
]
STAFF_HEADER_RU = ["ИИН", "Фамилия", "Имя", "Отчество", "E-mail", "Должность", "Предметы", "Подразделение"]
SCHOOL_LEVELS = "primary, basic_secondary, general_secondary"

_serial = itertools.count(int.from_bytes(UUID(int=0).bytes[:2], "big") + 31_000_000)
_iin_serial = itertools.count(1)


@dataclass(frozen=True)
class Places:
    karaganda: UUID
    akmola: UUID
    abay: UUID
    osakarov: UUID
    burabay: UUID


def new_bin() -> str:
    """A valid BIN with no leading zero, never used before in this process."""
    import os

    base = 70_000_000_000 + (os.getpid() % 5000) * 1_000_000
    while True:
        found = make_bin(f"{base + next(_serial) % 1_000_000:011d}")
        if found is not None:
            return found


def new_iin() -> str:
    """A valid IIN: birth date 1985-01-01 to 1985-01-28, century/sex digit 3 or 4."""
    import os

    while True:
        n = next(_iin_serial)
        day = n % 28 + 1
        first = f"8501{day:02d}{3 + n % 2}{(os.getpid() * 997 + n) % 10000:04d}"
        found = make_bin(first)
        if found is not None:
            return found


def school(bin_: str, territory: str = "onb-abay", *, n: int = 1, email: str = "") -> list[str]:
    return [bin_, "school", territory, f"№{n} мектеп", f"Школа №{n}", f"School No. {n}", SCHOOL_LEVELS, email]


def csv_bytes(header: list[str], rows: list[list[Any]], *, encoding: str = "utf-8-sig", sep: str = ";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
