"""Measurements that cannot be real, found before confirming: a height lower than the last one, a
change no child makes, figures beyond what is possible (|z| > 5), a date to come or in a school
holiday that no count day follows, one weight and height typed for a room. Thresholds from settings; the area dashboard
counts them per school in one query."""

from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from census.dashboard import measurement_checks_key
from schools.models import Grade
from schools.validation import Rule, school_findings

from ..factories import EnrollmentFactory, MeasurementFactory, SchoolFactory, StudentFactory


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to("2026-11-29 10:00 +07:00", tick=False)


def learner(school, *measurements, room=1, sex="M"):
    """A P3 learner born 1 July 2017 with (date, kg, cm) measurements."""
    e = EnrollmentFactory(
        school=school, grade=Grade.P3, room=room,
        student=StudentFactory(birth_date=date(2017, 7, 1), sex=sex),
    )  # fmt: skip
    for day, weight, height in measurements:
        MeasurementFactory(student=e.student, measured_on=day, weight_kg=weight, height_cm=height)
    return e


def rules(school):
    return sorted({f.rule for f in school_findings(school=school).items})


JUNE, NOV = date(2026, 6, 1), date(2026, 11, 2)


def test_consistent_measurements_raise_nothing(school):
    learner(school, (date(2025, 11, 3), 24, 125), (JUNE, 26, 128), (NOV, 27, 130.5))
    assert rules(school) == []


@pytest.mark.parametrize(("height", "found"), [(128, []), (127.9, [Rule.HEIGHT_DROP])])
def test_a_height_lower_than_the_last_by_more_than_the_tolerance(school, height, found):
    learner(school, (JUNE, 26, 130), (NOV, 26, height))  # 2.0 cm lower: the tolerance itself
    assert rules(school) == found


def test_the_tolerance_is_a_setting(school, settings):
    settings.MEASUREMENT_CHECKS = {**settings.MEASUREMENT_CHECKS, "height_drop_cm": 5}
    learner(school, (JUNE, 26, 130), (NOV, 26, 126))
    assert rules(school) == []


@pytest.mark.parametrize(
    ("before", "weight", "height", "found"),
    [
        (26, 26, 135, []),  # 5 cm in five months: 3 cm + 1.5 cm a month allowed
        (26, 26, 141, [Rule.GROWTH_JUMP]),  # 11 cm in five months
        (26, 34, 131, []),  # 8 kg in five months: 3 kg + 1 kg a month allowed
        (26, 35, 131, [Rule.GROWTH_JUMP]),  # 9 kg
        (31, 22, 131, [Rule.GROWTH_JUMP]),  # 9 kg lost
    ],
)
def test_a_change_no_child_makes_in_that_time(school, before, weight, height, found):
    learner(school, (JUNE, before, 130), (NOV, weight, height))
    assert rules(school) == found


def test_pounds_typed_for_kilograms_are_beyond_possible(school):
    learner(school, (NOV, 60, 130))  # 27 kg typed in pounds: BMI-for-age z beyond +5
    findings = school_findings(school=school)
    assert [f.rule for f in findings.items] == [Rule.BEYOND_POSSIBLE]  # not also "unusual"
    assert not findings.items[0].is_error and "60.0" in findings.items[0].detail


def test_a_date_to_come_is_an_error(school, time_machine):
    learner(school, (date(2026, 11, 30), 26, 130))
    findings = school_findings(school=school)
    assert [f.rule for f in findings.errors] == [Rule.FUTURE_MEASUREMENT]
    assert findings.blocking


# The measurement periods (settings.MEASUREMENT_CHECKS): term 1 from 16 May to 10 October (closed on
# 11 October), term 2 from 1 November to 31 March (closed on 1 April), and for the 30 April round the
# holiday up to its count day. Each edge: the clock on a day the school could check it.
@pytest.mark.parametrize(
    ("today", "day", "found"),
    [
        ("2026-05-15", date(2026, 5, 15), [Rule.OUTSIDE_TERM]),  # after the 30 April count
        ("2026-06-10", date(2026, 5, 16), []),  # term 1's first day, for the 10 June round
        ("2026-11-29", date(2026, 10, 10), []),  # term 1's last day
        ("2026-11-29", date(2026, 10, 11), [Rule.OUTSIDE_TERM]),  # the holiday between the terms
        ("2026-11-29", date(2026, 10, 31), [Rule.OUTSIDE_TERM]),
        ("2026-11-29", date(2026, 11, 1), []),  # term 2's first day, for the 10 November round
        ("2027-04-30", date(2027, 3, 31), []),  # term 2's last day
        ("2027-04-30", date(2027, 4, 1), []),  # the holiday before the 30 April round
        ("2027-04-30", date(2027, 4, 30), []),  # the 30 April count day itself
        ("2027-05-15", date(2027, 5, 1), [Rule.OUTSIDE_TERM]),  # the day after it
    ],
)
def test_a_date_outside_every_rounds_measurement_period_is_a_query(
    school, time_machine, today, day, found
):
    time_machine.move_to(f"{today} 10:00 +07:00", tick=False)
    learner(school, (day, 26, 130))
    assert rules(school) == found


def test_the_validation_page_takes_a_measurement_for_the_30_april_round(
    client_as, staff, school, time_machine
):
    time_machine.move_to("2027-04-28 10:00 +07:00", tick=False)
    learner(school, (date(2027, 4, 20), 26, 130))  # measured in the run-up to the count
    held_over = learner(school, (date(2026, 10, 20), 26, 130), room=2)  # in the October holiday
    response = client_as(staff).get(reverse("schools:validation", args=[school.code]))
    outside = [f for f in response.context["findings"].items if f.rule == Rule.OUTSIDE_TERM]
    assert [f.enrollment for f in outside] == [held_over]


def test_the_measurement_periods_are_a_setting(school, settings):
    periods = {**settings.MEASUREMENT_CHECKS["measurement_periods"], 1: ((5, 16), (10, 31))}
    settings.MEASUREMENT_CHECKS = {**settings.MEASUREMENT_CHECKS, "measurement_periods": periods}
    learner(school, (date(2026, 10, 20), 26, 130))
    assert rules(school) == []


def test_the_same_figures_for_a_room_by_the_settings_threshold(school, settings):
    for _ in range(3):
        learner(school, (NOV, 25, 125))
    learner(school, (NOV, 26, 127))
    assert rules(school) == []  # 4 learners: below the room size of 5
    settings.MEASUREMENT_CHECKS = {**settings.MEASUREMENT_CHECKS, "same_values_min_room": 3}
    assert rules(school) == [Rule.SAME_VALUES_IN_ROOM]


@pytest.mark.parametrize(
    ("language", "text"),
    [("th", "เตี้ยกว่าการชั่งวัดครั้งก่อน"), ("en", "Shorter than at the last measurement")],
)
def test_the_validation_page_names_the_rule_in_the_language(
    client_as, staff, school, language, text
):
    learner(school, (JUNE, 26, 130), (NOV, 26, 120))
    client = client_as(staff)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    body = client.get(reverse("schools:validation", args=[school.code])).content.decode()
    assert text in body


def test_confirming_is_refused_while_a_date_to_come_remains(school):
    from django.core.exceptions import ValidationError

    from census.services import check_findings

    learner(school, (date(2026, 12, 1), 26, 130))
    with pytest.raises(ValidationError):
        check_findings(school=school)


# --- the area dashboard ---------------------------------------------------------------------------


@pytest.fixture
def round2(db):
    from census.services import academic_year_create

    return academic_year_create(year_be=2569, actor=None).rounds.get(number=2)


def _dashboard(client, area, round2, **params):
    url = reverse("census:area_dashboard", args=[area.code])
    return client.get(url, {"round": round2.pk, **params})


def test_the_area_dashboard_counts_each_schools_problems(
    client_as, area_officer, area, round2, school
):
    bulk = SchoolFactory(area_office=area)
    for _ in range(5):
        learner(bulk, (NOV, 25, 125))  # one room typed in bulk
    learner(bulk, (JUNE, 26, 130), (NOV, 26, 120), room=2)  # shorter
    learner(school, (NOV, 26, 130))  # fine
    response = _dashboard(client_as(area_officer), area, round2)
    rows = {s.pk: s.measurement_problems for s in response.context["schools"]}
    assert {rule: n for rule, _label, n in rows[bulk.pk]} == {
        Rule.SAME_VALUES_IN_ROOM: 1, Rule.HEIGHT_DROP: 1,
    }  # fmt: skip
    assert rows[school.pk] == []
    assert 'data-rule="same_values"' in response.content.decode()
    # The counts are what the school's own validation page finds.
    assert sorted(f.rule for f in school_findings(school=bulk).items) == sorted(
        [Rule.SAME_VALUES_IN_ROOM, Rule.HEIGHT_DROP]
    )


def test_another_areas_officer_and_school_staff_see_no_dashboard(
    client_as, other_area_officer, staff, area, round2, school
):
    learner(school, (JUNE, 26, 130), (NOV, 26, 120))
    assert _dashboard(client_as(other_area_officer), area, round2).status_code in (403, 404)
    assert _dashboard(client_as(staff), area, round2).status_code in (403, 404)


@pytest.mark.parametrize("schools", [1, 12])
def test_the_dashboards_queries_stay_fixed(
    client_as, area_officer, area, round2, schools, django_assert_num_queries
):
    for _ in range(schools):
        s = SchoolFactory(area_office=area)
        learner(s, (JUNE, 26, 130), (NOV, 26, 120))
        learner(s, (NOV, 60, 130))
    client = client_as(area_officer)
    _dashboard(client, area, round2)  # warm the content types
    cache.delete(measurement_checks_key(area_office_id=area.pk, today=timezone.localdate()))
    # The area dashboard's 10 (tests/census/test_dashboard.py): the area office's own windows too.
    with django_assert_num_queries(10):
        response = _dashboard(client, area, round2)
    assert sum(len(s.measurement_problems) for s in response.context["schools"]) == 2 * schools
    # The next refreshes, while the area's checks are kept: one query fewer, the same counts.
    with django_assert_num_queries(9):
        again = _dashboard(client, area, round2)
    assert [s.measurement_problems for s in again.context["schools"]] == [
        s.measurement_problems for s in response.context["schools"]
    ]


def test_the_areas_checks_are_kept_two_minutes_and_say_as_of_when(
    client_as, area_officer, area, round2, school, time_machine
):
    """Every refresh of every officer of the area would read and assess all its learners again:
    the counts are kept MEASUREMENT_CHECKS_SECONDS, and the column says when they were read."""
    from census.dashboard import MEASUREMENT_CHECKS_SECONDS

    assert MEASUREMENT_CHECKS_SECONDS == 120
    client = client_as(area_officer)
    learner(school, (JUNE, 26, 130), (NOV, 26, 120))  # shorter
    response = _dashboard(client, area, round2)
    counts = {s.pk: s.measurement_problems for s in response.context["schools"]}
    assert [rule for rule, _label, _n in counts[school.pk]] == [Rule.HEIGHT_DROP]
    assert "ณ เวลา 10:00 น." in response.content.decode()

    fixed = learner(school, (JUNE, 26, 130), (NOV, 26, 121))  # a second one, added meanwhile
    time_machine.move_to("2026-11-29 10:01:59 +07:00", tick=False)
    kept = _dashboard(client, area, round2)
    assert {s.pk: s.measurement_problems for s in kept.context["schools"]} == counts
    assert "ณ เวลา 10:00 น." in kept.content.decode()

    time_machine.move_to("2026-11-29 10:02:01 +07:00", tick=False)
    read = _dashboard(client, area, round2)
    rows = {s.pk: s.measurement_problems for s in read.context["schools"]}
    assert {rule: n for rule, _label, n in rows[school.pk]} == {Rule.HEIGHT_DROP: 2}
    assert "ณ เวลา 10:02 น." in read.content.decode()
    assert fixed.student.measurements.count() == 2
    # In English, the same words once, in the user's language.
    client.cookies["django_language"] = "en"
    english = _dashboard(client, area, round2).content.decode()
    assert "as of 10:02" in english and "ณ เวลา" not in english
