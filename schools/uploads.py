"""Read weight and height files (.xlsx, .csv in UTF-8 or TIS-620/CP874) into checked rows.

Parsing never writes: it returns the rows it could read and, for every other row, its line and
the reason, so that the caller can save all or nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .checks import date_from_text, decimal_from_text
from .identifiers import parse_citizen_id, parse_gcode

MAX_ROWS = 20_000
MAX_CELL_CHARS = 100
WEIGHT_RANGE = (Decimal("1"), Decimal("200"))
HEIGHT_RANGE = (Decimal("30"), Decimal("250"))

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Row:
    line: int
    identifier: str  # 13 digits, or G and 12 digits, as written (normalised)
    measured_on: date
    weight_kg: Decimal
    height_cm: Decimal


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors.append({"line": line, "message": str(message)})


class UploadError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too many rows)."""


COLUMN_WORDS = {
    "identifier": ("เลขประจำตัว", "เลขบัตร", "รหัส g", "g-code", "gcode", "citizen", "id"),
    "weight": ("น้ำหนัก", "weight"),
    "height": ("ส่วนสูง", "height"),
    "date": ("วันที่", "date", "measured"),
}


def _column_of(header: str) -> str | None:
    text = header.strip().lower()
    for column in ("weight", "height", "date", "identifier"):
        if any(word in text for word in COLUMN_WORDS[column]):
            return column
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_measured_on(value) -> date:
    """Return a date from d/m/BBBB (Buddhist year), d/m/YYYY, ISO text, or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date_from_text(_cell_text(value))
    except ValidationError:
        raise ValueError(value) from None


def _read_csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UploadError(_("The file cannot be read: save it as CSV in UTF-8 or TIS-620."))
    if "\x00" in text:
        raise UploadError(_("This file is not a CSV file."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:  # a cell over the csv module's field limit, or broken quoting
        raise UploadError(
            _("The CSV file cannot be read: it is damaged or has a cell that is too long.")
        ) from exc


def _read_xlsx(data: bytes) -> list[list]:
    import openpyxl

    _check_zip_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = []
            # A read-only sheet is parsed while iterating: a damaged sheet fails here, not above.
            for row in sheet.iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + 10:
                    break
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise UploadError(
            _("The Excel file cannot be read (%(reason)s).") % {"reason": type(exc).__name__}
        ) from exc
    return rows


# An .xlsx is a zip: refuse one that would unpack to far more than a real roster (a zip bomb).
# zipfile stops reading a member at its declared size, so the declared sizes are a real bound.
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024


def _check_zip_size(data: bytes) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # openpyxl reports a damaged zip with its own reason
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise UploadError(
            _("This Excel file unpacks to more than %(mb)d MB.")
            % {"mb": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)}
        )


def read_table(data: bytes, filename: str) -> list[list]:
    """Return the rows of an .xlsx or .csv file, choosing the reader by the file's bytes."""
    if not data.strip():
        raise UploadError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UploadError(_("This file is not an Excel (.xlsx) file."))
    return _read_csv(data)


def parse_measurements(data: bytes, filename: str) -> Parsed:
    """Read a weight and height file and check every row; never raises for a bad row."""
    table = read_table(data, filename)
    parsed = Parsed()
    header_index = None
    columns: dict[str, int] = {}
    for index, row in enumerate(table[:10]):
        found = {}
        for position, cell in enumerate(row):
            column = _column_of(_cell_text(cell)) if cell is not None else None
            if column and column not in found:
                found[column] = position
        if {"identifier", "weight", "height", "date"} <= found.keys():
            header_index, columns = index, found
            break
    if header_index is None:
        raise UploadError(
            _("Header not found: the file needs the columns ID, weight, height and date measured.")
        )
    body = table[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise UploadError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    seen: dict[tuple[str, date], Row] = {}
    for offset, row in enumerate(body):
        line = header_index + 2 + offset
        cells = {name: (row[pos] if pos < len(row) else None) for name, pos in columns.items()}
        if all(_cell_text(v) == "" for v in cells.values()):
            continue
        if any(len(_cell_text(v)) > MAX_CELL_CHARS for v in cells.values()):
            parsed.error(line, _("A cell is too long."))
            continue
        row_obj = _parse_row(parsed, line, cells)
        if row_obj is None:
            continue
        key = (row_obj.identifier, row_obj.measured_on)
        earlier = seen.get(key)
        if earlier is not None:
            if (earlier.weight_kg, earlier.height_cm) != (row_obj.weight_kg, row_obj.height_cm):
                parsed.error(
                    line,
                    _("Same learner and date as line %(other)d with different values.")
                    % {"other": earlier.line},
                )
            continue
        seen[key] = row_obj
        parsed.rows.append(row_obj)
    if not parsed.rows and not parsed.errors:
        raise UploadError(_("The file has no rows under its header."))
    return parsed


def _parse_row(parsed: Parsed, line: int, cells: dict) -> Row | None:
    raw_id = _cell_text(cells["identifier"])
    ok = True
    identifier = ""
    if not raw_id:
        parsed.error(line, _("The ID is missing."))
        ok = False
    else:
        try:
            if raw_id.upper().startswith("G"):
                identifier = parse_gcode(raw_id)
            else:
                identifier = parse_citizen_id(raw_id)
        except ValidationError as exc:
            parsed.error(line, exc.messages[0])
            ok = False
    values = {}
    for name, (low, high), column in (
        ("weight", WEIGHT_RANGE, pgettext("upload column", "weight")),
        ("height", HEIGHT_RANGE, pgettext("upload column", "height")),
    ):
        what = {"what": column}
        text = _cell_text(cells[name])
        if not text:
            parsed.error(line, _("The %(what)s is missing.") % what)
            ok = False
            continue
        try:
            value = decimal_from_text(text)
        except (InvalidOperation, ValueError):
            parsed.error(line, _("The %(what)s is not a number.") % what)
            ok = False
            continue
        if not low <= value <= high:
            parsed.error(
                line,
                _("The %(what)s %(value)s is outside %(low)s–%(high)s.")
                % {**what, "value": value, "low": low, "high": high},
            )
            ok = False
            continue
        values[name] = value
    measured_on = None
    try:
        measured_on = parse_measured_on(cells["date"])
    except (ValueError, TypeError):
        parsed.error(
            line,
            _("The date measured is not valid (use d/m/BBBB or YYYY-MM-DD)."),
        )
        ok = False
    if measured_on is not None:
        today = timezone.localdate()
        if measured_on > today:
            parsed.error(line, _("The date measured is in the future."))
            ok = False
        elif measured_on.year < today.year - 2:
            parsed.error(line, _("The date measured is too old."))
            ok = False
    if not ok:
        return None
    return Row(line, identifier, measured_on, values["weight"], values["height"])
