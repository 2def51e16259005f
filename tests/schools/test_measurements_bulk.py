"""Weights and heights in bulk (the upload's service): the same file again, corrections on several
days, learners of another school and impossible values; and select_values, the bulk read."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from schools.bulk import select_values
from schools.models import AuditEntry, Grade, Measurement
from schools.services import MeasurementEntry, check_measurement, measurements_record

from ..factories import EnrollmentFactory, MeasurementFactory

JUNE, JULY = date(2026, 6, 1), date(2026, 7, 1)


@pytest.fixture
def room(school):
    return [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(4)]


def record(school, staff, entries):
    return measurements_record(school=school, actor=staff, entries=entries, source="upload")


def rows():
    return sorted(
        Measurement.objects.values_list("student_id", "measured_on", "weight_kg", "height_cm")
    )


def test_the_same_entries_again_change_nothing_and_write_no_audit(school, staff, room):
    entries = [
        MeasurementEntry(e.student_id, JUNE, Decimal("25.5"), Decimal("128.0")) for e in room
    ]
    assert record(school, staff, entries).created == 4
    before = rows()
    result = record(school, staff, entries)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert rows() == before
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MEASURE).exists()


def test_two_days_in_one_file_each_compared_with_its_own_day(school, staff, room):
    a, b, c, d = (e.student_id for e in room)
    record(school, staff, [MeasurementEntry(a, JUNE, Decimal(25), Decimal(128)),
                           MeasurementEntry(a, JULY, Decimal(26), Decimal(129)),
                           MeasurementEntry(b, JULY, Decimal(30), Decimal(140))])  # fmt: skip
    result = record(school, staff, [
        MeasurementEntry(a, JUNE, Decimal(25), Decimal(128)),  # the same
        MeasurementEntry(a, JULY, Decimal("26.5"), Decimal(129)),  # corrected
        MeasurementEntry(b, JULY, Decimal(30), Decimal(140)),  # the same
        MeasurementEntry(c, JUNE, Decimal(31), Decimal(141)),  # new
        MeasurementEntry(d, JULY, Decimal(32), Decimal(142)),  # new
    ])  # fmt: skip
    assert (result.created, result.updated, result.unchanged) == (2, 1, 2)
    assert Measurement.objects.get(student_id=a, measured_on=JULY).weight_kg == Decimal("26.5")
    assert Measurement.objects.get(student_id=a, measured_on=JUNE).weight_kg == 25
    change = AuditEntry.objects.get(action=AuditEntry.Action.MEASURE)
    assert change.student_id == a and change.changes == {
        "measured_on": ["2026-07-01", "2026-07-01"],
        "weight_kg": ["26.0", "26.5"],
        "height_cm": ["129.0", "129"],
    }


@pytest.mark.parametrize("measured", [True, False])
def test_a_learner_of_another_school_is_refused_among_measured_ones(
    school, other_school, staff, room, measured
):
    """The learners already measured prove themselves on the roster; the others are looked up."""
    for e in room:
        MeasurementFactory(student=e.student, measured_on=JUNE)
    stranger = EnrollmentFactory(school=other_school)
    if measured:  # measured at the other school on the same day: found by nobody's roster here
        MeasurementFactory(student=stranger.student, measured_on=JUNE)
    before = rows()
    entries = [MeasurementEntry(e.student_id, JUNE, Decimal(40), Decimal(150)) for e in room]
    entries.append(MeasurementEntry(stranger.student_id, JUNE, Decimal(40), Decimal(150)))
    with pytest.raises(ValidationError) as refused:
        record(school, staff, entries)
    assert refused.value.code == "not_active_here"
    assert rows() == before and not AuditEntry.objects.exists()


def test_an_impossible_entry_is_refused_with_every_error_of_its_own(school, staff, room):
    good = [MeasurementEntry(e.student_id, JUNE, Decimal(25), Decimal(128)) for e in room[:3]]
    bad = MeasurementEntry(room[3].student_id, JUNE, Decimal(700), Decimal(10))
    with pytest.raises(ValidationError) as refused:
        record(school, staff, [*good, bad])
    with pytest.raises(ValidationError) as alone:
        check_measurement(measured_on=JUNE, weight_kg=Decimal(700), height_cm=Decimal(10))
    assert refused.value.message_dict == alone.value.message_dict
    assert set(refused.value.message_dict) == {"weight_kg", "height_cm"}
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("weight", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_not_a_number_is_refused_as_a_weight(school, staff, room, weight):
    entries = [MeasurementEntry(e.student_id, JUNE, Decimal(25), Decimal(128)) for e in room]
    entries[2] = MeasurementEntry(room[2].student_id, JUNE, weight, Decimal(128))
    with pytest.raises(ValidationError) as refused:
        record(school, staff, entries)
    assert set(refused.value.message_dict) == {"weight_kg"}
    assert not Measurement.objects.exists()


def test_a_day_in_the_future_is_refused(school, staff, room, time_machine):
    time_machine.move_to("2026-06-30 23:59:00+07:00")
    entries = [MeasurementEntry(e.student_id, JUNE, Decimal(25), Decimal(128)) for e in room]
    entries.append(MeasurementEntry(room[0].student_id, JULY, Decimal(25), Decimal(128)))
    with pytest.raises(ValidationError) as refused:
        record(school, staff, entries)
    assert set(refused.value.message_dict) == {"measured_on"}
    time_machine.move_to("2026-07-01 00:00:00+07:00")  # the day has come
    assert record(school, staff, entries).created == 5


# --- select_values ------------------------------------------------------------------------------


def test_select_values_returns_what_values_list_returns(school, staff, room):
    for i, e in enumerate(room):
        MeasurementFactory(student=e.student, measured_on=JUNE, weight_kg=Decimal("25.5") + i % 2,
                           height_cm=Decimal("128.1"))  # fmt: skip
        MeasurementFactory(student=e.student, measured_on=JULY, weight_kg=30, height_cm=131)
    queryset = Measurement.objects.order_by("pk").values_list(
        "pk", "student_id", "measured_on", "weight_kg", "height_cm", "created_at"
    )
    assert select_values(queryset) == list(queryset)
    assert all(isinstance(row[3], Decimal) and isinstance(row[2], date)
               for row in select_values(queryset))  # fmt: skip


def test_select_values_reads_json_and_nothing(school, staff, room):
    entries = [MeasurementEntry(e.student_id, JUNE, Decimal(25), Decimal(128)) for e in room]
    record(school, staff, entries)
    record(school, staff, [MeasurementEntry(e.student_id, JUNE, Decimal(26), Decimal(128))
                           for e in room])  # fmt: skip
    audit = AuditEntry.objects.order_by("pk").values_list("student_id", "changes")
    assert select_values(audit) == list(audit) and len(audit) == 4
    assert select_values(Measurement.objects.filter(pk__in=[]).values_list("pk")) == []
    assert select_values(Measurement.objects.filter(pk=0).values_list("pk")) == []


def test_rows_are_locked_only_when_some_change(school, staff, room):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    entries = [MeasurementEntry(e.student_id, JUNE, Decimal(25), Decimal(128)) for e in room]
    record(school, staff, entries)

    def locks(entries):
        with CaptureQueriesContext(connection) as captured:
            record(school, staff, entries)
        return sum("FOR UPDATE" in q["sql"] for q in captured.captured_queries)

    assert locks(entries) == 0  # the same file again: nothing read under a lock, nothing written
    changed = [entries[0]._replace(weight_kg=Decimal(26)), *entries[1:]]
    assert locks(changed) == (1 if connection.features.has_select_for_update else 0)
    assert Measurement.objects.get(student_id=room[0].student_id).weight_kg == 26
