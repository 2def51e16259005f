"""The nutrition status follows a correction of the learner's sex or birth date (it was stale), and
the correction itself: one audit entry, a reason, refused for a learner of another school."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from schools.models import AuditEntry, Measurement
from schools.nutrition import assess
from schools.services import MeasurementEntry, measurements_record, student_details_correct

from ..factories import EnrollmentFactory, StudentFactory

BORN = date(2016, 7, 1)
DAY = date(2024, 6, 1)


@pytest.fixture
def measured(school, staff):
    """A girl typed as a boy: 24 kg, 125 cm (and 50 kg, 130 cm a year later)."""
    e = EnrollmentFactory(school=school, student=StudentFactory(sex="M", birth_date=BORN))
    measurements_record(
        school=school, actor=staff, source="form",
        entries=[MeasurementEntry(e.student_id, DAY, Decimal("24.0"), Decimal("125.0")),
                 MeasurementEntry(e.student_id, date(2025, 6, 1), Decimal("50.0"),
                                  Decimal("130.0"))],
    )  # fmt: skip
    return e.student


def _expected(m, *, sex, birth_date):
    return assess(sex=sex, birth_date=birth_date, measured_on=m.measured_on,
                  weight_kg=m.weight_kg, height_cm=m.height_cm).values()  # fmt: skip


def _stored(m):
    return (m.age_days, m.wfh_z, m.hfa_z, m.wfa_z, m.wfh_band, m.hfa_band, m.wfa_band,
            m.nutrition_issue, m.nutrition_reference)  # fmt: skip


def test_correcting_the_sex_computes_every_status_again(measured, school, staff):
    before = {m.pk: _stored(m) for m in Measurement.objects.filter(student=measured)}
    student_details_correct(student=measured, school=school, actor=staff, sex="F",
                            birth_date=BORN, reason="พิมพ์เพศผิดตอนเพิ่ม")  # fmt: skip
    for m in Measurement.objects.filter(student=measured):
        assert _stored(m) == _expected(m, sex="F", birth_date=BORN)
        assert _stored(m) != before[m.pk]  # the boys' tables gave other z-scores
    entry = AuditEntry.objects.get(student=measured, action=AuditEntry.Action.DETAILS_EDIT)
    assert entry.changes == {"sex": ["M", "F"]} and entry.actor == staff


def test_correcting_the_birth_date_computes_the_age_again(measured, school, staff):
    born = date(2015, 1, 1)
    student_details_correct(student=measured, school=school, actor=staff, sex="M",
                            birth_date=born, reason="วันเกิดตามสูติบัตร")  # fmt: skip
    m = Measurement.objects.get(student=measured, measured_on=DAY)
    assert m.age_days == (DAY - born).days
    assert _stored(m) == _expected(m, sex="M", birth_date=born)


def test_nothing_changed_writes_nothing(measured, school, staff):
    student_details_correct(student=measured, school=school, actor=staff, sex="M",
                            birth_date=BORN, reason="ตรวจแล้วถูกต้อง")  # fmt: skip
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DETAILS_EDIT).exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sex": "X", "birth_date": BORN, "reason": "พิมพ์เพศผิด"}, "sex"),
        ({"sex": "F", "birth_date": date(2099, 1, 1), "reason": "พิมพ์วันเกิดผิด"}, "birth_date"),
        ({"sex": "F", "birth_date": BORN, "reason": "ผิด"}, None),  # a reason too short
    ],
)
def test_bad_input_is_refused_and_changes_nothing(measured, school, staff, fields, code):
    with pytest.raises(ValidationError):
        student_details_correct(student=measured, school=school, actor=staff, **fields)
    measured.refresh_from_db()
    assert measured.sex == "M"


def test_another_schools_staff_cannot_correct(measured, other_school, other_school_staff):
    with pytest.raises(ValidationError):
        student_details_correct(student=measured, school=other_school, actor=other_school_staff,
                                sex="F", birth_date=BORN, reason="พิมพ์เพศผิดตอนเพิ่ม")  # fmt: skip
    measured.refresh_from_db()
    assert measured.sex == "M"
