"""Report tables as .csv (UTF-8 with BOM, so that Excel shows Thai) and .xlsx, formula-safe."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.styles import Font

from schools.exports import safe_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    """A report table: what the page shows below its chart and what the exports write."""

    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    total: list | None = None


def _cell(value):
    # Lazy translations become text; openpyxl writes Decimal as a number; text is made formula-safe.
    if isinstance(value, Promise):
        value = str(value)
    return value if isinstance(value, Decimal) else safe_cell(value)


def table_csv(table: Table) -> bytes:
    """Return the table as CSV text in UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(str(h)) for h in table.header])
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(table: Table) -> bytes:
    """Return the table as an .xlsx workbook of one sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    sheet.append([safe_cell(str(h)) for h in table.header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in [*table.rows, *([table.total] if table.total else [])]:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(table: Table, *, fmt: str, filename: str) -> HttpResponse:
    """Return the table as a download in the format asked for (csv or xlsx)."""
    if fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        name = f"{filename}.csv"
    else:
        response = HttpResponse(table_xlsx(table), content_type=XLSX_TYPE)
        name = f"{filename}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
