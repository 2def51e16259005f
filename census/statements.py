"""What the per-head subsidy's signed statements say (Thai, the language of a signed record,
whatever the language of the page that signs them), and their signing: a school's allocation for a
term, every line count × rate, and an area office's, one line per school."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from documents.models import Kind
from documents.services import document_issue
from schools.models import AreaOffice, Grade, School

from .allocation import (
    AllocationSummary,
    Payment,
    SchoolAllocation,
    allocation_summary,
    balance_mode_label,
)
from .models import SubsidyItem

PAYMENT_SHORT = {"advance": "งวดแรก", "balance": "ส่วนที่เหลือ", "term": "ภาคเรียนที่ 2"}
STATUS_NOTES = {
    "final": "อัตราทุกรายการยืนยันแล้ว",
    "provisional": "คำนวณจากอัตราที่ยังไม่ยืนยันบางรายการ",
    "incomplete": "ยังไม่ครบ: ขาดข้อมูลนับหรืออัตราบางรายการ",
}


def _no_count_error() -> ValidationError:
    return ValidationError(
        _("No certified count funds this term."),
        code="none",
    )


def _baht(value: Decimal) -> str:
    return f"{value:,.2f}"


def _title(academic_year: int, term: int) -> str:
    return f"รายการจัดสรรเงินอุดหนุนรายหัว ปีการศึกษา {academic_year} ภาคเรียนที่ {term}"


# --- a school's statement -------------------------------------------------------------------------


def statement_context(allocation: SchoolAllocation) -> dict:
    """Return the record context of a school's allocation statement: every line, count × rate, in
    Thai (the language of a signed record) whatever the language of the page that signs it."""
    with translation.override("th"):
        return _statement_context(allocation)


def _payment_fact(payment: Payment) -> tuple[str, str]:
    """Return which round and certified snapshot fund a payment."""
    round_label = str(payment.round) if payment.round else "-"
    return (
        str(payment.rule.label),
        f"{round_label} · ชุดข้อมูลที่รับรอง {payment.snapshot_public_id}"
        if payment.funded
        else f"{round_label} · ไม่มีข้อมูลที่รับรอง",
    )


def _payment_rows(payment: Payment) -> list[list]:
    """Return a payment's lines (those that fund someone, or miss a rate) and its deduction."""
    rows = []
    for line in payment.lines:
        if not line.count and line.rate is not None:
            continue
        rows.append(
            [
                f"{PAYMENT_SHORT[payment.rule.key]} ({payment.rule.share}) · {line.grade_label} · {line.item_label}",
                line.count,
                _baht(line.per_learner) if line.per_learner is not None else "ไม่มีอัตรา",
                _baht(line.amount),
            ]
        )
    if payment.deduction:
        rows.append(
            [
                f"{PAYMENT_SHORT[payment.rule.key]} · หักเงินงวดแรก",
                "",
                "",
                _baht(-payment.deduction),
            ]
        )
    return rows


def _statement_context(allocation: SchoolAllocation) -> dict:
    facts = [
        ("ปีการศึกษา", allocation.academic_year),
        ("ภาคเรียน", allocation.term),
        ("ปีงบประมาณ", allocation.fiscal_year),
        ("การจ่ายส่วนที่เหลือ", balance_mode_label(allocation.mode)),
    ]
    rows = []
    for payment in allocation.payments:
        facts.append(_payment_fact(payment))
        rows.extend(_payment_rows(payment))
    missing = ", ".join(
        f"{SubsidyItem(i).label} {Grade(g).label}" for i, g in sorted(allocation.missing_rates)
    )
    note = STATUS_NOTES.get(allocation.status, "")
    if missing:
        note += f" ไม่มีอัตรา: {missing}"
    return {
        "intro": "รายการจัดสรรเงินอุดหนุนรายหัวตามจำนวนนักเรียนที่รับรองแล้ว",
        "facts": facts,
        "counts": {
            "headers": [
                "รายการ",
                "นักเรียน",
                "บาทต่อคน",
                "จำนวนเงิน",
            ],
            "rows": rows,
            "total": ["รวม", "", "", _baht(allocation.total)],
        },
        "note": note,
    }


def allocation_statement_issue(*, allocation: SchoolAllocation, actor: User, actor_role: str):
    """Sign a school's allocation statement for a term once; the same figures give the same record."""
    if allocation.status == "none":
        raise _no_count_error()
    return document_issue(
        step_key=allocation.step_key,
        kind=Kind.ALLOCATION_STATEMENT,
        template="documents/summary_record.html",
        context=statement_context(allocation),
        school=allocation.school,
        actor=actor,
        actor_role=actor_role,
        title=_title(allocation.academic_year, allocation.term),
    )


# --- an area office's statement -------------------------------------------------------------------


def area_statement_context(summary: AllocationSummary) -> dict:
    """Return the record context of an area office's allocation statement: one line per school,
    its amount per payment and total, in Thai."""
    with translation.override("th"):  # a signed record is in Thai, whatever the signer's page
        return _area_statement_context(summary)


def _area_statement_context(summary: AllocationSummary) -> dict:
    labels = [str(r.label) for r in summary.rules]
    rows = [
        [
            f"{s['code']} {s['name']} ({s['status']})",
            *(_baht(s["payments"].get(r.key, Decimal(0))) for r in summary.rules),
            _baht(s["total"]),
        ]
        for s in summary.schools
    ]
    per_payment = [
        sum((s["payments"].get(r.key, Decimal(0)) for s in summary.schools), Decimal(0))
        for r in summary.rules
    ]
    return {
        "intro": "รายการจัดสรรเงินอุดหนุนรายหัวของโรงเรียนในสังกัด",
        "facts": [
            ("ปีการศึกษา", summary.academic_year),
            ("ภาคเรียน", summary.term),
            ("ปีงบประมาณ", summary.fiscal_year),
            ("การจ่ายส่วนที่เหลือ", balance_mode_label(summary.mode)),
        ],
        "counts": {
            "headers": [
                "โรงเรียน",
                *labels,
                "รวม",
            ],
            "rows": rows,
            "total": ["รวม", *(_baht(amount) for amount in per_payment), _baht(summary.total)],
        },
        "note": STATUS_NOTES["provisional"] if summary.provisional else "",
    }


def area_statement_issue(
    *, area: AreaOffice, academic_year: int, term: int, actor: User, actor_role: str
):
    """Sign an area office's allocation statement for a term: one line per school."""
    summary = allocation_summary(
        schools=School.objects.filter(area_office=area), academic_year=academic_year, term=term
    )
    if not any(s["snapshots"] for s in summary.schools):
        raise _no_count_error()
    return document_issue(
        step_key=f"allocation-area:{area.code}:{academic_year}-{term}:{summary.mode}:{summary.step_hash}",
        kind=Kind.ALLOCATION_STATEMENT,
        template="documents/summary_record.html",
        context=area_statement_context(summary),
        school=None,
        area_office=area,
        actor=actor,
        actor_role=actor_role,
        title=_title(academic_year, term),
    )
