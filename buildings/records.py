"""What the building survey's signed records say: their templates' contexts (Thai)."""

from decimal import Decimal
from typing import Any

from django.utils import translation

from documents.roles import ROLE_DIRECTOR
from schools.models import AreaOffice

from .models import Building, SchoolLand, SchoolSurvey
from .selectors import BudgetList, Exclusion

KIND_TH = {
    Building.Kind.CLASSROOM: "อาคารเรียน",
    Building.Kind.HALL: "หอประชุม/อาคารอเนกประสงค์",
    Building.Kind.TOILET: "ส้วม",
    Building.Kind.HOUSING: "บ้านพักครู",
    Building.Kind.WATER_TANK: "ถังเก็บน้ำ",
    Building.Kind.FENCE: "รั้ว",
    Building.Kind.OTHER: "อื่น ๆ",
}
CONDITION_TH = {
    Building.Condition.GOOD: "ดี",
    Building.Condition.FAIR: "พอใช้",
    Building.Condition.POOR: "ทรุดโทรม",
    Building.Condition.VERY_POOR: "ชำรุดมาก",
}
EXCLUSION_TH = {
    Exclusion.MISSED: "ไม่ได้รับรองข้อมูลภายในเวลาที่กำหนด (พลาดการสำรวจ)",
    Exclusion.NOT_CERTIFIED: "ยังไม่ได้รับรองข้อมูล",
}
DOCUMENT_TH = {
    SchoolLand.Document.TITLE_DEED: "โฉนด",
    SchoolLand.Document.NS3: "น.ส.3",
    SchoolLand.Document.STATE_LAND: "ที่ราชพัสดุ",
    SchoolLand.Document.PUBLIC_LAND: "ที่สาธารณประโยชน์",
    SchoolLand.Document.TEMPLE_LAND: "ที่วัด",
    SchoolLand.Document.NONE: "ไม่มีเอกสาร",
    SchoolLand.Document.OTHER: "อื่น ๆ",
}


def kind_table(summary: dict) -> dict[str, Any]:
    """Return the counts of buildings by type (rows) and condition (columns)."""
    conditions = list(Building.Condition.values)
    rows, totals = [], [0] * (len(conditions) + 1)
    for kind in Building.Kind.values:
        by_condition = summary.get("by_kind", {}).get(kind)
        if not by_condition:
            continue
        cells = [by_condition.get(c, 0) for c in conditions]
        cells.append(sum(cells))
        totals = [t + c for t, c in zip(totals, cells, strict=True)]
        rows.append([KIND_TH[kind], *cells])
    return {
        "title": "จำนวนอาคารและสิ่งก่อสร้างจำแนกตามประเภทและสภาพ",
        "headers": ["ประเภท", *[CONDITION_TH[c] for c in conditions], "รวม"],
        "rows": rows,
        "total": ["รวม", *totals],
    }


def land_text(land: dict | None) -> str:
    if not land:
        return "ไม่ได้ระบุ"
    return (
        f"{land['rai']} ไร่ {land['ngan']} งาน {Decimal(land['square_wa']):g} ตารางวา "
        f"({DOCUMENT_TH.get(land['document'], land['document'])})"
    )


def survey_context(school_survey: SchoolSurvey) -> dict[str, Any]:
    """Return the building survey record: the certified figures of the school's buildings."""
    summary = school_survey.summary
    school = school_survey.school
    with translation.override("th"):
        poor = summary.get("poor", [])
        return {
            "intro": "ผู้อำนวยการโรงเรียนรับรองว่าข้อมูลอาคารและสิ่งก่อสร้างของโรงเรียนถูกต้องตามสภาพจริง",
            "facts": [
                ("ปีการศึกษา", str(school_survey.survey_year.year)),
                ("ใช้ขอตั้งงบประมาณประจำปี พ.ศ.", str(school_survey.survey_year.fiscal_year)),
                ("โรงเรียน", f"{school.name_th} ({school.code})"),
                ("สำนักงานเขตพื้นที่", school.area_office.name_th),
                ("จำนวนอาคารและสิ่งก่อสร้าง", f"{summary.get('buildings', 0):,} หลัง"),
                ("ห้องเรียนที่ใช้งาน", f"{summary.get('classrooms_in_use', 0):,} ห้อง"),
                ("พื้นที่ใช้สอยรวม", f"{Decimal(summary.get('floor_area_m2', '0')):,.2f} ตารางเมตร"),
                ("ที่ดิน", land_text(summary.get("land"))),
                ("อาคารทรุดโทรม/ชำรุดมาก", ", ".join(
                    f"{p['name']} ({CONDITION_TH[p['condition']]})" for p in poor) or "ไม่มี"),
                ("ผู้รับรอง", f"{school_survey.certified_by.display_name} ({ROLE_DIRECTOR})"),
            ],
            "counts": kind_table(summary),
            "note": "โรงเรียนที่รับรองข้อมูลภายในเวลาที่กำหนดมีรายชื่อการขอตั้งงบประมาณ",
        }  # fmt: skip


def budget_context(listing: BudgetList, area_office: AreaOffice) -> dict[str, Any]:
    """Return the area office's budget-request list: eligible schools and the excluded ones."""
    with translation.override("th"):
        return {
            "area_office": area_office,
            "survey_year": listing.survey_year.year,
            "fiscal_year": listing.survey_year.fiscal_year,
            "eligible": [
                {
                    "code": r.school.code,
                    "name": r.school.name_th,
                    "buildings": r.summary.get("buildings", 0),
                    "classrooms_in_use": r.classrooms_in_use,
                    "floor_area": f"{r.floor_area:,.2f}",
                    "learners": r.learners,
                    "needed": r.classrooms_needed,
                    "shortage": r.shortage,
                    "poor": ", ".join(
                        f"{p['name']} ({CONDITION_TH[p['condition']]})" for p in r.poor
                    ),
                }
                for r in listing.eligible
            ],
            "excluded": [
                {
                    "code": r.school.code,
                    "name": r.school.name_th,
                    "reason": EXCLUSION_TH[r.exclusion],
                }
                for r in listing.excluded
            ],
            "total_shortage": listing.total_shortage,
        }
