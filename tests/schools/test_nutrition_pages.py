"""Where people see the nutrition status: each measurement on the learner page, counts per band by
grade on the school page (a fixed number of queries), in Thai, for the people who may see them."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from schools.models import Grade, Measurement, Sex
from schools.services import MeasurementEntry, measurements_record

from ..factories import EnrollmentFactory, StudentFactory

JUNE = date(2026, 6, 1)


def roster_url(school):
    return reverse("schools:roster", args=[school.code])


def student_url(enrollment):
    return reverse("schools:student", args=[enrollment.school.code, enrollment.student.public_id])


def learner(school, grade=Grade.P3, **student):
    student.setdefault("birth_date", date(2018, 3, 1))
    return EnrollmentFactory(school=school, grade=grade, student=StudentFactory(**student))


def measure(school, staff, *rows):
    measurements_record(
        school=school,
        actor=staff,
        entries=[MeasurementEntry(e.student_id, JUNE, Decimal(w), Decimal(h)) for e, w, h in rows],
        source="form",
    )


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "ministry_admin"])
def test_the_learner_page_shows_each_measurement_s_bands_in_thai(
    client_as, request, school, staff, persona
):
    boy = learner(school)
    measure(school, staff, (boy, "25.0", "127.0"))
    body = client_as(request.getfixturevalue(persona)).get(student_url(boy)).content.decode()
    assert "สมส่วน" in body and "ตามเกณฑ์" in body
    assert "น้ำหนักตามเกณฑ์ส่วนสูง" in body  # the column


@pytest.mark.parametrize(
    "persona", ["other_school_staff", "other_school_director", "other_area_officer"]
)
def test_the_learner_page_and_its_status_are_hidden_from_outsiders(
    client_as, request, school, staff, persona
):
    boy = learner(school)
    measure(school, staff, (boy, "25.0", "127.0"))
    response = client_as(request.getfixturevalue(persona)).get(student_url(boy))
    assert response.status_code == 404


def test_a_measurement_without_a_status_says_why(client_as, school, staff):
    wrong_birth = learner(school, birth_date=date(2030, 1, 1))
    no_sex = learner(school)
    measure(school, staff, (wrong_birth, "25.0", "127.0"), (no_sex, "25.0", "127.0"))
    client = client_as(staff)
    body = client.get(student_url(wrong_birth)).content.decode()
    assert "วันเกิดอยู่หลังวันที่ชั่งน้ำหนักและวัดส่วนสูง" in body
    # a learner whose sex was lost (an old import): the page still opens, with the reason
    type(no_sex.student).objects.filter(pk=no_sex.student_id).update(sex="")
    Measurement.objects.filter(student=no_sex.student).update(nutrition_reference="")
    call_command("nutrition_backfill", stdout=io.StringIO())
    response = client.get(student_url(no_sex))
    assert response.status_code == 200
    assert "ยังไม่ได้บันทึกเพศของนักเรียน" in response.content.decode()


def test_figures_typed_in_pounds_are_shown_implausible_with_their_z_scores(
    client_as, school, staff
):
    boy = learner(school)
    measure(school, staff, (boy, "55.1", "127.0"))
    body = client_as(staff).get(student_url(boy)).content.decode()
    assert "ค่าที่เป็นไปไม่ได้" in body and "ปอนด์" in body


def test_the_school_page_counts_learners_per_band_by_grade(client_as, school, staff):
    p3 = [learner(school) for _ in range(3)]
    p4 = [learner(school, grade=Grade.P4, birth_date=date(2017, 3, 1)) for _ in range(2)]
    learner(school, grade=Grade.P4)  # not measured
    girl = learner(
        school, grade=Grade.P4, sex=Sex.FEMALE, title="ด.ญ.", birth_date=date(2030, 1, 1)
    )
    measure(
        school,
        staff,
        (p3[0], "25.0", "127.0"),  # สมส่วน
        (p3[1], "25.0", "127.0"),  # สมส่วน
        (p3[2], "36.0", "127.0"),  # BMI 22.3, between +2 and +3 SD: เริ่มอ้วน
        (p4[0], "27.0", "133.0"),  # สมส่วน
        (p4[1], "20.0", "133.0"),  # BMI 11.3: ผอม
        (girl, "27.0", "133.0"),  # born after the measurement: no status
    )
    response = client_as(staff).get(roster_url(school))
    tables = {t.indicator: t for t in response.context["nutrition"]}
    build = tables["wfh"]
    assert [code for code, _label in build.bands] == [
        "thin", "rather_thin", "proportionate", "plump", "getting_fat", "obese",
    ]  # fmt: skip
    rows = {r.grade: r for r in build.rows}
    assert rows[Grade.P3].counts == [0, 0, 2, 0, 1, 0]
    assert rows[Grade.P4].counts == [1, 0, 1, 0, 0, 0]
    assert (rows[Grade.P4].no_status, rows[Grade.P4].not_measured) == (1, 1)
    assert rows[Grade.P4].total == 4
    body = response.content.decode()
    assert "ภาวะโภชนาการแยกตามชั้น" in body and "เริ่มอ้วน" in body and "ค่อนข้างเตี้ย" in body


def test_the_latest_measurement_counts(client_as, school, staff):
    boy = learner(school)
    measure(school, staff, (boy, "36.0", "127.0"))
    measurements_record(
        school=school,
        actor=staff,
        entries=[MeasurementEntry(boy.student_id, date(2026, 7, 1), Decimal(25), Decimal(127))],
        source="form",
    )
    tables = client_as(staff).get(roster_url(school)).context["nutrition"]
    assert tables[0].rows[0].counts == [0, 0, 1, 0, 0, 0]


def test_the_school_page_costs_the_same_queries_for_3_and_60_measured_learners(
    client_as, school, staff
):
    client = client_as(staff)
    grades = [Grade.P1, Grade.P3, Grade.M1]
    first = [learner(school, grade=grades[n % 3]) for n in range(3)]
    measure(school, staff, *[(e, "25.0", "127.0") for e in first])
    client.get(roster_url(school))
    with CaptureQueriesContext(connection) as small:
        client.get(roster_url(school))
    more = [learner(school, grade=grades[n % 3]) for n in range(57)]
    measure(school, staff, *[(e, str(20 + n % 15), "127.0") for n, e in enumerate(more)])
    with CaptureQueriesContext(connection) as big:
        client.get(roster_url(school))
    assert len(big) == len(small)
    assert sum("nutrition_issue" in q["sql"] for q in big.captured_queries) == 1


@pytest.mark.parametrize("persona", ["other_school_staff", "other_area_officer"])
def test_the_school_page_s_counts_are_hidden_from_outsiders(client_as, request, school, persona):
    learner(school)
    assert client_as(request.getfixturevalue(persona)).get(roster_url(school)).status_code == 404


def test_the_room_grid_shows_each_learner_s_last_status(client_as, school, staff):
    boy, wrong = learner(school), learner(school, birth_date=date(2030, 1, 1))
    measure(school, staff, (boy, "36.0", "127.0"), (wrong, "25.0", "127.0"))
    url = reverse("schools:grid", args=[school.code])
    body = client_as(staff).get(url, {"grade": Grade.P3, "room": "1"}).content.decode()
    assert "เริ่มอ้วน · ตามเกณฑ์" in body
    assert "วันเกิดอยู่หลังวันที่ชั่งน้ำหนักและวัดส่วนสูง" in body


def test_the_learner_page_draws_height_and_weight_over_the_measurements(client_as, school, staff):
    boy = learner(school)
    for day, weight, height in ((date(2025, 6, 2), "23.0", "121.0"), (JUNE, "25.0", "127.0")):
        measurements_record(
            school=school, actor=staff, source="form",
            entries=[MeasurementEntry(boy.student_id, day, Decimal(weight), Decimal(height))],
        )  # fmt: skip
    client = client_as(staff)
    client.get(student_url(boy))  # warm
    with CaptureQueriesContext(connection) as queries:
        body = client.get(student_url(boy)).content.decode()
    charts = body[body.index('class="growth-charts"') :]
    assert charts.count("<svg") == 2 and 'aria-label="ส่วนสูง"' in charts
    # Oldest first: 121 cm on 2 June 2025 (2568), then 127 cm on 1 June 2026 (2569).
    assert charts.index("121") < charts.index("127") and "2 มิ.ย. 2568" in charts
    assert "<polyline" in charts
    one = learner(school)
    measure(school, staff, (one, "25.0", "127.0"))
    with CaptureQueriesContext(connection) as single:
        page = client.get(student_url(one)).content.decode()
    assert "growth-charts" not in page  # one measurement: no line to draw
    assert len(single) == len(queries)  # the charts cost no query
