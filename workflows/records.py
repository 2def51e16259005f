"""What the certification flow's signed records say: their templates' contexts."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from census.models import RosterSnapshot, SchoolRound
from census.services import snapshot_rows
from documents.roles import ROLE_AREA_OFFICER, ROLE_DIRECTOR, ROLE_STAFF
from schools.identifiers import mask_citizen_id, mask_gcode
from schools.models import Grade
from schools.selectors import grade_sex_counts
from schools.templatetags.thai import thai_date


def _grade_table(rows: list[tuple[str, int, int]]) -> dict[str, Any]:
    labels = dict(Grade.choices)
    body = [[str(labels[g]), m, f, m + f] for g, m, f in rows]
    total_m, total_f = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return {
        "title": "จำนวนนักเรียนจำแนกตามชั้นและเพศ",
        "headers": ["ชั้น", "ชาย", "หญิง", "รวม"],
        "rows": body,
        "total": ["รวม", total_m, total_f, total_m + total_f],
    }


def _round_facts(school_round: SchoolRound) -> list[tuple[str, str]]:
    r = school_round.round
    return [
        ("รอบการนับ", str(r)),  # the round's one name, as every page shows it
        ("ข้อมูล ณ วันที่", thai_date(r.as_of, "long")),
        ("โรงเรียน", f"{school_round.school.name_th} ({school_round.school.code})"),
        ("สำนักงานเขตพื้นที่", school_round.school.area_office.name_th),
    ]


def confirmation_context(school_round: SchoolRound) -> dict[str, Any]:
    """Return the confirmation record: the counts the staff confirmed, by grade and sex."""
    with translation.override("th"):
        table = grade_sex_counts(school=school_round.school)
        return {
            "intro": "เจ้าหน้าที่โรงเรียนยืนยันว่าข้อมูลนักเรียนรายบุคคลถูกต้องและนักเรียนมีตัวตนอยู่จริง ณ วันที่นับ",
            "facts": _round_facts(school_round),
            "counts": _grade_table([(r.grade, r.male, r.female) for r in table.rows]),
            "note": "ผู้อำนวยการโรงเรียนจะรับรองข้อมูลภายในเวลาที่กำหนด",
        }


def certification_context(snapshot: RosterSnapshot) -> dict[str, Any]:
    """Return the certification record: the frozen counts, totals and the director's name."""
    with translation.override("th"):
        rows = [(g, c.get("M", 0), c.get("F", 0)) for g, c in sorted(snapshot.counts.items())]
        return {
            "intro": "ผู้อำนวยการโรงเรียนรับรองข้อมูลนักเรียนรายบุคคล ซึ่งเป็นฐานการจัดสรรเงินอุดหนุนรายหัว",
            "facts": _round_facts(snapshot.school_round)
            + [("จำนวนนักเรียนทั้งสิ้น", f"{snapshot.learner_count:,} คน"),
               ("ผู้รับรอง", f"{snapshot.certified_by.display_name} ({ROLE_DIRECTOR})")],
            "counts": _grade_table(rows),
            "note": "บัญชีรายชื่อนักเรียนแนบท้ายเป็นเอกสารลงนามแยกต่างหาก",
        }  # fmt: skip


def send_back_context(school_round: SchoolRound) -> dict[str, Any]:
    """Return the send-back record: the confirmed counts the director sent back, why, and by whom."""
    with translation.override("th"):
        table = grade_sex_counts(school=school_round.school)
        return {
            "intro": "ผู้อำนวยการโรงเรียนไม่รับรองข้อมูลที่เจ้าหน้าที่ยืนยัน และส่งกลับให้แก้ไขตามเหตุผลด้านล่าง",
            "facts": _round_facts(school_round)
            + [("ยืนยันโดย", f"{school_round.confirmed_by.display_name} ({ROLE_STAFF}) {thai_date(school_round.confirmed_at)}"),
               ("ส่งกลับโดย", f"{school_round.rejected_by.display_name} ({ROLE_DIRECTOR}) {thai_date(school_round.rejected_at)}"),
               ("เหตุผลที่ส่งกลับ", school_round.last_rejection)],
            "counts": _grade_table([(r.grade, r.male, r.female) for r in table.rows]),
            "note": "เจ้าหน้าที่แก้ไขและยืนยันข้อมูลใหม่ได้ภายในช่วงเวลายืนยัน",
        }  # fmt: skip


def acknowledgement_context(snapshot: RosterSnapshot) -> dict[str, Any]:
    """Return the acknowledgement record: which certification the area office saw, and who."""
    school_round = snapshot.school_round
    with translation.override("th"):
        rows = [(g, c.get("M", 0), c.get("F", 0)) for g, c in sorted(snapshot.counts.items())]
        return {
            "intro": "สำนักงานเขตพื้นที่การศึกษารับทราบการรับรองข้อมูลนักเรียนรายบุคคลของโรงเรียน",
            "facts": _round_facts(school_round)
            + [("การรับรอง", f"{snapshot.certified_by.display_name} ({ROLE_DIRECTOR}) {thai_date(snapshot.certified_at)}"),
               ("จำนวนนักเรียนที่รับรอง", f"{snapshot.learner_count:,} คน"),
               ("ผู้รับทราบ", f"{school_round.acknowledged_by.display_name} ({ROLE_AREA_OFFICER}) {thai_date(school_round.acknowledged_at)}")],
            "counts": _grade_table(rows),
        }  # fmt: skip


def revocation_context(snapshot: RosterSnapshot) -> dict[str, Any]:
    """Return the revocation record: which certification, why, and by whom."""
    with translation.override("th"):
        return {
            "intro": "สพฐ. เพิกถอนการรับรองข้อมูลของโรงเรียนในรอบนี้",
            "facts": _round_facts(snapshot.school_round)
            + [("การรับรองที่เพิกถอน", f"{thai_date(snapshot.certified_at)} ({snapshot.learner_count:,} คน)"),
               ("เหตุผล", snapshot.revoked_reason)],
        }  # fmt: skip


def snapshot_annex_context(*, snapshot_id: int) -> dict[str, Any]:
    """Return the roster annex of a certified snapshot (masked IDs; rendered by Celery)."""
    snapshot = RosterSnapshot.objects.select_related("school__area_office").get(pk=snapshot_id)
    labels = dict(Grade.choices)
    sexes = {"M": _("Male"), "F": _("Female")}
    rows = [
        {
            "no": n,
            "identifier": mask_citizen_id(r.citizen_id) if r.citizen_id else mask_gcode(r.gcode),
            "name": f"{r.title}{r.first_name_th} {r.last_name_th}",
            "sex": sexes.get(r.sex, r.sex),
            "grade": labels.get(r.grade, r.grade),
            "room": r.room,
            "birth_date": r.birth_date,
        }
        for n, r in enumerate(snapshot_rows(snapshot=snapshot).iterator(chunk_size=2000), start=1)
    ]
    return {"school": snapshot.school, "as_of": snapshot.as_of, "rows": rows}
