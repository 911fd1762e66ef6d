"""Reading files as spreadsheets write them, and refusing what cannot be read, with the reason."""

from __future__ import annotations

import pytest

from api.domain.onboarding import organisations as orgs
from api.domain.onboarding.checks import identifier, render
from api.domain.onboarding.reading import FileProblem, map_columns, read_table
from tests.onboarding.files import ORG_HEADER_EN, ORG_HEADER_RU, csv_bytes, new_bin, school, xlsx_bytes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8-sig", ";"), ("utf-8", ";"), ("cp1251", ";"), ("utf-8", ","), ("cp1251", "\t"), ("utf-16", "\t")],
)
def test_csv_in_every_encoding_and_separator_reads_the_same(encoding: str, sep: str) -> None:
    rows = [school("123456789012", n=1), school("210987654321", n=2)]
    table = read_table(csv_bytes(ORG_HEADER_RU, rows, encoding=encoding, sep=sep), "schools.csv", max_rows=100)
    assert table.separator == sep
    assert table.headers == ORG_HEADER_RU
    assert [cells for _, cells in table.rows] == rows
    assert [line for line, _ in table.rows] == [2, 3]
    positions, unknown = map_columns(table.headers, orgs.COLUMNS)
    assert unknown == [] and positions["name_ru"] == 4 and positions["admin_email"] == 7


def test_xlsx_keeps_numbers_and_line_numbers_and_skips_blank_rows() -> None:
    content = xlsx_bytes(ORG_HEADER_EN, [[140000007, "school"], [None, None], ["x", "college"]])
    table = read_table(content, "anything.bin", max_rows=100)
    assert table.file_format == "xlsx"
    assert table.rows[0][0] == 2 and table.rows[0][1][:2] == [140000007, "school"]
    assert table.rows[1][0] == 4  # the blank line 3 is skipped, the line number stays true


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        (b"", "a.csv", "empty"),
        (b"   \r\n \n", "a.csv", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "could not be read"),
        (b"just some words without separators\nand more", "a.csv", "separator"),
        (bytes(range(256)) * 4, "a.csv", "could not be read as text"),
        (b"%PDF-1.7 binary", "a.xlsx", "not an Excel workbook"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(content: bytes, name: str, fragment: str) -> None:
    with pytest.raises(FileProblem) as caught:
        read_table(content, name, max_rows=100)
    assert caught.value.field == "file" and caught.value.status == 422
    assert fragment in caught.value.message


def test_too_many_rows_is_refused() -> None:
    rows = [school(new_bin(), n=i) for i in range(11)]
    with pytest.raises(FileProblem) as caught:
        read_table(csv_bytes(ORG_HEADER_RU, rows), "a.csv", max_rows=10)
    assert "more than 10 rows" in caught.value.message


def test_wrong_and_twice_named_columns_are_refused() -> None:
    with pytest.raises(FileProblem) as caught:
        map_columns(["BIN", "Name", "Something"], orgs.COLUMNS)
    assert "kind" in caught.value.message and "territory" in caught.value.message and "name_kk" in caught.value.message
    with pytest.raises(FileProblem) as caught:
        map_columns([*ORG_HEADER_EN, "БИН"], orgs.COLUMNS)
    assert "twice" in caught.value.message
    positions, unknown = map_columns([*ORG_HEADER_EN, "Comment"], orgs.COLUMNS)
    assert unknown == ["Comment"] and len(positions) == 8


def test_header_in_kazakh_with_odd_spacing_and_asterisks() -> None:
    header = ["БСН*", " түрі ", "Аумақ", "Атауы (қаз)", "атауы (орыс)", "Атауы (ағылш)"]
    positions, unknown = map_columns(header, orgs.COLUMNS)
    assert unknown == [] and positions["bin"] == 0 and positions["name_en"] == 5


GOOD = "701234567891"


def test_identifiers_as_spreadsheets_mangle_them() -> None:
    from api.domain.organisations.rules import make_bin

    good = make_bin("00123456789")
    assert good is not None and good.startswith("00")
    # A number cell lost the leading zeros: put back, and said so.
    value, found = identifier(int(good), "bin", "BIN")
    assert value == good and [f["level"] for f in found] == ["warning"]
    assert "lost its leading zeros" in render(found[0])
    # The same as text in a CSV.
    value, found = identifier(good.lstrip("0"), "bin", "BIN")
    assert value == good and found[0]["level"] == "warning"
    # Exponent form: the digits are gone; refused, not guessed.
    value, found = identifier("7.01E+11", "bin", "BIN")
    assert value is None and "exponent" in render(found[0])
    value, found = identifier("7,01E+11", "bin", "BIN")
    assert value is None
    # A trailing .0 is dropped with a warning.
    full = make_bin("70123456789")
    assert full is not None
    value, found = identifier(f"{full}.0", "bin", "BIN")
    assert value == full and found[0]["level"] == "warning"
    value, found = identifier(float(full), "bin", "BIN")
    assert value == full and found == []
    # A wrong check digit, letters, too many digits, nothing.
    wrong = full[:11] + str((int(full[11]) + 1) % 10)
    assert "check digit" in render(identifier(wrong, "bin", "BIN")[1][0])
    assert "12 digits" in render(identifier("12345678901A", "bin", "BIN")[1][0])
    assert "13 digits" in render(identifier("1234567890123", "bin", "BIN")[1][0])
    assert "missing" in render(identifier(None, "bin", "BIN")[1][0])


def test_findings_are_rendered_in_the_readers_language() -> None:
    _, found = identifier("7.01E+11", "bin", "BIN")
    assert render(found[0], "ru") != render(found[0], "en")
    assert render(found[0], "kk") != render(found[0], "en")


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read() -> None:
    import io
    import zipfile

    from api.domain.onboarding import reading

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<a>" + b"x" * (reading.MAX_UNPACKED_BYTES + 1) + b"</a>")
    content = buffer.getvalue()
    assert len(content) < 2 * 1024 * 1024
    with pytest.raises(FileProblem) as caught:
        read_table(content, "bomb.xlsx", max_rows=100)
    assert "unpacks" in caught.value.message
