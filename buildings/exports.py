"""The budget-request list as a spreadsheet (Thai headers; every text cell formula-safe)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from schools.exports import safe_cell

from .records import CONDITION_TH, EXCLUSION_TH
from .selectors import BudgetList

ELIGIBLE_HEADER = [
    "สำนักงานเขตพื้นที่", "รหัสโรงเรียน", "โรงเรียน", "จำนวนอาคาร", "ห้องเรียนที่ใช้งาน",
    "พื้นที่ใช้สอยรวม (ตร.ม.)", "นักเรียนที่รับรองรอบ 1", "ห้องเรียนที่ต้องมี", "ห้องเรียนที่ขาด",
    "อาคารทรุดโทรม/ชำรุดมาก",
]  # fmt: skip
EXCLUDED_HEADER = ["สำนักงานเขตพื้นที่", "รหัสโรงเรียน", "โรงเรียน", "เหตุผลที่ไม่มีรายชื่อ"]


def _sheet(sheet, header, rows):
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"


def budget_xlsx(*, listing: BudgetList) -> bytes:
    """Return the list as an .xlsx: the listed schools, then the excluded ones with the reason."""
    workbook = Workbook()
    eligible = workbook.active
    eligible.title = f"มีรายชื่อ ปีงบ {listing.survey_year.fiscal_year}"
    _sheet(
        eligible,
        ELIGIBLE_HEADER,
        (
            [
                r.school.area_office.name_th,
                r.school.code,
                r.school.name_th,
                r.summary.get("buildings", 0),
                r.classrooms_in_use,
                float(r.floor_area),
                r.learners if r.has_count else "ไม่มีข้อมูลที่รับรอง",
                r.classrooms_needed if r.has_count else "",
                r.shortage if r.has_count else "",
                ", ".join(f"{p['name']} ({CONDITION_TH[p['condition']]})" for p in r.poor),
            ]
            for r in listing.eligible
        ),
    )
    _sheet(
        workbook.create_sheet("ไม่มีรายชื่อ"),
        EXCLUDED_HEADER,
        (
            [
                r.school.area_office.name_th,
                r.school.code,
                r.school.name_th,
                EXCLUSION_TH[r.exclusion],
            ]
            for r in listing.excluded
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
