"""Each validation rule firing and not firing; the page lists them and takes explanations."""

from datetime import date

import pytest
from django.urls import reverse

from schools.models import Grade, QueryExplanation
from schools.validation import Rule, school_findings

from ..factories import EnrollmentFactory, MeasurementFactory, StudentFactory

TODAY = date(2026, 11, 29)  # academic year 2569 began on 16 May 2026


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to("2026-11-29 10:00 +07:00", tick=False)


def learner(
    school, *, grade=Grade.P3, room=1, birth=date(2017, 7, 1), weight=27, height=130, measured=True
):
    e = EnrollmentFactory(
        school=school, grade=grade, room=room, student=StudentFactory(birth_date=birth)
    )
    if measured:
        MeasurementFactory(
            student=e.student, measured_on=date(2026, 6, 1), weight_kg=weight, height_cm=height
        )
    return e


def rules(school):
    return sorted({f.rule for f in school_findings(school=school).items})


def test_a_clean_school_has_no_finding(school):
    learner(school)
    assert rules(school) == []
    assert not school_findings(school=school).blocking


def test_missing_measurement_is_an_error(school):
    learner(school, measured=False)
    findings = school_findings(school=school)
    assert [f.rule for f in findings.errors] == [Rule.NO_MEASUREMENT]
    assert findings.blocking


def test_last_years_measurement_does_not_count(school):
    e = learner(school, measured=False)
    MeasurementFactory(student=e.student, measured_on=date(2026, 3, 1))
    assert rules(school) == [Rule.NO_MEASUREMENT]


def test_implausible_measurement_is_a_query(school):
    learner(school, weight=17, height=104)  # an eight-year-old of 104 cm: rare, not impossible
    assert rules(school) == [Rule.IMPLAUSIBLE_MEASUREMENT]
    learner(school, room=2, weight=27, height=131)
    assert rules(school) == [Rule.IMPLAUSIBLE_MEASUREMENT]


def test_same_values_for_a_whole_room_is_a_query(school):
    for _ in range(5):
        learner(school, weight=25, height=125)
    assert Rule.SAME_VALUES_IN_ROOM in rules(school)


def test_varied_values_in_a_room_are_fine(school):
    for i in range(6):
        learner(school, weight=24 + i, height=124 + i)
    assert rules(school) == []


def test_a_small_room_with_the_same_values_is_not_flagged(school):
    for _ in range(3):
        learner(school, weight=25, height=125)
    assert rules(school) == []


def test_age_that_does_not_fit_the_grade_is_a_query(school):
    learner(school, grade=Grade.P1, birth=date(2012, 1, 1), weight=40, height=150)
    assert rules(school) == [Rule.AGE_GRADE]


def test_under_four_is_a_query(school):
    learner(
        school, grade=Grade.K1, birth=date(2023, 6, 1), weight=14, height=95
    )  # 3 on 30 Apr 2027
    assert Rule.UNDER_FOUR in rules(school)
    learner(school, grade=Grade.K2, birth=date(2021, 6, 1), weight=17, height=105)
    assert sum(f.rule == Rule.UNDER_FOUR for f in school_findings(school=school).items) == 1


def test_bad_check_digit_is_an_error(school):
    e = learner(school)
    type(e.student).objects.filter(pk=e.student.pk).update(citizen_id="1101700203451")
    assert rules(school) == [Rule.BAD_IDENTIFIER]


def test_explained_query_no_longer_blocks(client_as, staff, school):
    e = learner(school, weight=17, height=104)
    assert school_findings(school=school).blocking
    url = reverse("schools:validation", args=[school.code])
    response = client_as(staff).post(
        url,
        {
            "rule": Rule.IMPLAUSIBLE_MEASUREMENT,
            "subject_key": str(e.student.public_id),
            "text": "ชั่งซ้ำแล้ว ถูกต้อง",
        },
    )
    assert response.status_code == 302
    findings = school_findings(school=school)
    assert findings.queries and not findings.blocking
    assert "ชั่งซ้ำแล้ว" in client_as(staff).get(url).content.decode()


def test_too_short_explanation_is_refused(client_as, staff, school):
    e = learner(school, weight=17, height=104)
    client_as(staff).post(
        reverse("schools:validation", args=[school.code]),
        {
            "rule": Rule.IMPLAUSIBLE_MEASUREMENT,
            "subject_key": str(e.student.public_id),
            "text": "ok",
        },
    )
    assert not QueryExplanation.objects.exists()


def test_director_sees_but_cannot_explain(client_as, director, school):
    e = learner(school, weight=17, height=104)
    url = reverse("schools:validation", args=[school.code])
    assert client_as(director).get(url).status_code == 200
    response = client_as(director).post(
        url,
        {
            "rule": Rule.IMPLAUSIBLE_MEASUREMENT,
            "subject_key": str(e.student.public_id),
            "text": "อธิบายยาวพอ",
        },
    )
    assert response.status_code == 403


def test_validation_page_404_for_outsiders(
    client_as, other_school_staff, other_area_officer, school
):
    url = reverse("schools:validation", args=[school.code])
    assert client_as(other_school_staff).get(url).status_code == 404
    assert client_as(other_area_officer).get(url).status_code == 404


def test_validation_page_lists_counts_and_fix_links(client_as, staff, school):
    e = learner(school, measured=False)
    body = client_as(staff).get(reverse("schools:validation", args=[school.code])).content.decode()
    assert reverse("schools:measure", args=[school.code, e.student.public_id]) in body


@pytest.mark.parametrize("size", [2, 40])
def test_validation_page_query_count_is_fixed(
    client_as, staff, school, django_assert_num_queries, size
):
    """The same queries for 2 learners and for 40, with findings of several rules: pinned exactly,
    once the session, the user's rights and the caches are warm (a first visit costs more,
    whatever the size)."""
    for i in range(size):
        learner(
            school,
            measured=i % 2 == 0,
            weight=90 if i % 3 == 0 else 27,
            height=104 if i % 4 == 0 else 130,
        )
    client = client_as(staff)
    url = reverse("schools:validation", args=[school.code])
    client.get(url)  # warm
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200


def _certified_snapshot(school, *, year_be, counts, as_of):
    from django.utils import timezone as tz

    from census.models import RosterSnapshot, SchoolRound
    from census.services import academic_year_create

    from ..factories import UserFactory

    year = academic_year_create(year_be=year_be, actor=None)
    round = year.rounds.get(number=1)
    school_round = SchoolRound.objects.create(round=round, school=school, state="certified")
    return RosterSnapshot.objects.create(
        school_round=school_round, school=school, round=round, as_of=as_of,
        certified_at=tz.now(), certified_by=UserFactory(), counts=counts,
        learner_count=sum(c["M"] + c["F"] for c in counts.values()),
    )  # fmt: skip


def test_a_big_change_of_a_grades_count_is_a_query(school):
    _certified_snapshot(
        school, year_be=2569, as_of=date(2026, 6, 10), counts={Grade.P3: {"M": 10, "F": 10}}
    )
    for i in range(4):
        learner(school, weight=24 + i, height=124 + i)
    findings = [
        f for f in school_findings(school=school).items if f.rule == Rule.GRADE_COUNT_CHANGE
    ]
    assert [f.subject_key for f in findings] == [f"grade:{Grade.P3}"]
    assert "20" in findings[0].detail and "4" in findings[0].detail


def test_a_small_change_is_not_a_query(school):
    _certified_snapshot(
        school, year_be=2569, as_of=date(2026, 6, 10), counts={Grade.P3: {"M": 3, "F": 3}}
    )
    for i in range(4):
        learner(school, weight=24 + i, height=124 + i)
    assert Rule.GRADE_COUNT_CHANGE not in rules(school)


def test_across_a_new_year_the_cohort_is_compared(school):
    # Last year's ป.2 (6 learners) is this year's ป.3; ป.1 is a new intake and is not compared.
    _certified_snapshot(
        school,
        year_be=2568,
        as_of=date(2025, 6, 10),
        counts={Grade.P2: {"M": 3, "F": 3}, Grade.K3: {"M": 1, "F": 0}},
    )
    for i in range(6):
        learner(school, weight=24 + i, height=124 + i)
    for i in range(6):
        learner(school, grade=Grade.P1, birth=date(2019, 7, 1), weight=20 + i * 0.5, height=115 + i)
    assert Rule.GRADE_COUNT_CHANGE not in rules(school)
