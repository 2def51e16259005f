"""Read uploaded tables (.xlsx, .csv in UTF-8 or TIS-620/CP874): the one reader of the weight and
height files and of the ministry's school list (schools.register), and the weight/height rows.

Parsing never writes: it returns the rows it could read and, for every other row, its line and
the reason, so that the caller can save all or nothing.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import openpyxl
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


def cell_text(value) -> str:
    """Return a cell as the text it shows: a whole number without ".0", a date as YYYY-MM-DD."""
    if type(value) is str:  # the common case first: every cell of a CSV
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


def find_header(
    table: list[list], *, column_of: Callable[[str], str | None], required: Iterable[str]
) -> tuple[int, dict[str, int]] | None:
    """Return the header among the table's first ten rows: the first row that names every
    required column, as its index and each column's position (the first cell naming it); None
    when no row does. ``column_of`` names the column a header cell's text stands for, or None."""
    required = set(required)
    for index, row in enumerate(table[:10]):
        found: dict[str, int] = {}
        for position, cell in enumerate(row):
            column = column_of(cell_text(cell))
            if column and column not in found:
                found[column] = position
        if required <= found.keys():
            return index, found
    return None


def parse_measured_on(value) -> date:
    """Return a date from d/m/BBBB (Buddhist year), d/m/YYYY, ISO text, or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date_from_text(cell_text(value))
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


class Formula(str):
    """A spreadsheet cell that holds a formula (its text, from "="), not a typed value."""


_PLAIN_CELL = (str, int, float, Decimal, date, datetime, time, bool, type(None))


def _formula_cell(value):
    # Read with formulas kept, openpyxl gives a formula as its text from "=", or an array or
    # data-table formula as an object of its own.
    if isinstance(value, str) and value.startswith("="):
        return Formula(value)
    if not isinstance(value, _PLAIN_CELL):
        return Formula("=" + str(getattr(value, "text", "") or ""))
    return value


def _read_xlsx(data: bytes, *, max_rows: int, keep_formulas: bool) -> list[list]:
    _check_zip_size(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=not keep_formulas
        )
        try:
            sheet = workbook.worksheets[0]
            rows = []
            # A read-only sheet is parsed while iterating: a damaged sheet fails here, not above.
            for row in sheet.iter_rows(values_only=True):
                rows.append([_formula_cell(v) for v in row] if keep_formulas else list(row))
                if len(rows) > max_rows + 10:
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


def read_table(
    data: bytes, filename: str, *, max_rows: int = MAX_ROWS, keep_formulas: bool = False
) -> list[list]:
    """Return the rows of an .xlsx or .csv file, choosing the reader by the file's bytes.

    An .xlsx stops being read a few rows past max_rows (the caller refuses the file). With
    keep_formulas, a formula cell of an .xlsx comes back as a Formula (its text), not as the value
    last computed, so that the caller can refuse it."""
    if not data.strip():
        raise UploadError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_rows=max_rows, keep_formulas=keep_formulas)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UploadError(_("This file is not an Excel (.xlsx) file."))
    return _read_csv(data)


def parse_measurements(data: bytes, filename: str) -> Parsed:
    """Read a weight and height file and check every row; never raises for a bad row."""
    table = read_table(data, filename)
    header = find_header(table, column_of=_column_of, required=COLUMN_WORDS)
    if header is None:
        raise UploadError(
            _("Header not found: the file needs the columns ID, weight, height and date measured.")
        )
    header_index, columns = header
    body = table[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise UploadError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    parsed = check_measurement_rows(
        (
            header_index + 2 + offset,
            {name: (row[pos] if pos < len(row) else None) for name, pos in columns.items()},
        )
        for offset, row in enumerate(body)
    )
    if not parsed.rows and not parsed.errors:
        raise UploadError(_("The file has no rows under its header."))
    return parsed


def check_measurement_rows(numbered: Iterable[tuple[int, dict]]) -> Parsed:
    """Check weight and height rows, each (line, {"identifier", "weight", "height", "date"}):
    a file's body or the rows of an API call; never raises for a bad row. Empty rows are
    skipped; a learner twice on one date must have the same figures."""
    parsed = Parsed()
    seen: dict[tuple[str, date], Row] = {}
    for line, cells in numbered:
        if all(cell_text(v) == "" for v in cells.values()):
            continue
        if any(len(cell_text(v)) > MAX_CELL_CHARS for v in cells.values()):
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
    return parsed


def _parse_row(parsed: Parsed, line: int, cells: dict) -> Row | None:
    raw_id = cell_text(cells["identifier"])
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
        text = cell_text(cells[name])
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
