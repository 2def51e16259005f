"""Spreadsheets for schools: the roster export and the weight/height template."""

import io

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .identifiers import format_citizen_id
from .models import Enrollment, School
from .selectors import GradeSexTable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return a value that a spreadsheet will never run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sheet(workbook: Workbook, title: str, header: list[str], rows, *, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for index, label in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(label) + 4)
    sheet.freeze_panes = "A2"
    return sheet


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@translation.override("th")
def roster_xlsx(*, school: School, enrollments: list[Enrollment], counts: GradeSexTable) -> bytes:
    """Return the school's roster and its grade × sex counts as an .xlsx file (Thai headers)."""
    workbook = Workbook(write_only=False)
    _sheet(
        workbook,
        "รายชื่อนักเรียน",
        ["ลำดับ", "เลขประจำตัวประชาชน", "รหัส G", "คำนำหน้า", "ชื่อ", "นามสกุล", "ชื่อ (อังกฤษ)",
         "นามสกุล (อังกฤษ)", "เพศ", "วันเกิด", "สัญชาติ", "ชั้น", "ห้อง", "วันที่เข้าเรียน"],
        (
            [i, format_citizen_id(e.student.citizen_id) if e.student.citizen_id else "",
             e.student.gcode or "", e.student.title, e.student.first_name_th, e.student.last_name_th,
             e.student.first_name_en, e.student.last_name_en,
             "ชาย" if e.student.sex == "M" else "หญิง", e.student.birth_date.isoformat(),
             e.student.nationality, e.get_grade_display(), e.room, e.started_on.isoformat()]
            for i, e in enumerate(enrollments, start=1)
        ),
        first=True,
    )  # fmt: skip
    _sheet(
        workbook,
        "จำนวนนักเรียน",
        ["ชั้น", "ห้อง", "ชาย", "หญิง", "รวม"],
        [[str(r.label), r.rooms, r.male, r.female, r.total] for r in counts.rows]
        + [["รวม", counts.rooms, counts.male, counts.female, counts.total]],
    )
    return _to_bytes(workbook)


@translation.override("th")
def measurement_template_xlsx(*, school: School, enrollments: list[Enrollment]) -> bytes:
    """Return a weight and height file to fill in, listing the school's active learners."""
    workbook = Workbook()
    sheet = _sheet(
        workbook,
        "น้ำหนักส่วนสูง",
        ["เลขประจำตัว", "ชื่อ-นามสกุล", "ชั้น", "ห้อง", "น้ำหนัก (กก.)", "ส่วนสูง (ซม.)",
         "วันที่ชั่งวัด (วว/ดด/ปปปป พ.ศ.)"],
        (
            [e.student.citizen_id or e.student.gcode, e.student.full_name_th, e.get_grade_display(),
             e.room, None, None, None]
            for e in enrollments
        ),
        first=True,
    )  # fmt: skip
    # The ID column is text so that Excel keeps a leading zero and all 13 digits.
    for cell in sheet["A"]:
        cell.number_format = "@"
    return _to_bytes(workbook)
