import pytest
from django.urls import reverse

from schools.models import Grade, Sex

from ..factories import EnrollmentFactory, MeasurementFactory, StudentFactory


@pytest.fixture
def roster(school):
    """Five learners at the school: three boys in ป.3/1, two girls in ป.4/2."""
    boys = [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(3)]
    girls = [
        EnrollmentFactory(
            school=school,
            grade=Grade.P4,
            room=2,
            student=StudentFactory(sex=Sex.FEMALE, title="ด.ญ.", first_name_th="พิมพ์ชนก"),
        )
        for _ in range(2)
    ]
    return boys + girls


def roster_url(school):
    return reverse("schools:roster", args=[school.code])


def student_url(enrollment):
    return reverse("schools:student", args=[enrollment.school.code, enrollment.student.public_id])


# --- signed out -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "schools:index"])
def test_pages_redirect_to_login_when_signed_out(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_roster_and_learner_redirect_to_login_when_signed_out(client, roster):
    for url in (roster_url(roster[0].school), student_url(roster[0])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_login_page_is_thai(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "เข้าสู่ระบบ" in response.content.decode()


def test_login_then_home(client, staff):
    response = client.post(reverse("login"), {"username": "staff", "password": "pw"})
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert "โรงเรียนบ้านทดสอบ" in response.content.decode()


# --- home -------------------------------------------------------------------------------------


def test_home_lists_the_users_school(client_as, staff, school):
    body = client_as(staff).get(reverse("home")).content.decode()
    assert school.name_th in body
    assert roster_url(school) in body


def test_home_of_area_officer_lists_the_area(client_as, area_officer, area):
    body = client_as(area_officer).get(reverse("home")).content.decode()
    assert area.name_th in body


def test_school_list_is_scoped(client_as, staff, school, other_school):
    body = client_as(staff).get(reverse("schools:index")).content.decode()
    assert school.name_th in body
    assert other_school.name_th not in body


def test_school_list_of_area_officer_shows_only_the_area(
    client_as, area_officer, school, other_school
):
    body = client_as(area_officer).get(reverse("schools:index")).content.decode()
    assert school.name_th in body
    assert other_school.name_th not in body


def test_school_list_of_ministry_admin_shows_all(client_as, ministry_admin, school, other_school):
    body = client_as(ministry_admin).get(reverse("schools:index")).content.decode()
    assert school.name_th in body and other_school.name_th in body


# --- roster -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "ministry_admin"])
def test_roster_allowed(client_as, request, roster, persona):
    user = request.getfixturevalue(persona)
    response = client_as(user).get(roster_url(roster[0].school))
    assert response.status_code == 200
    assert roster[0].student.first_name_th in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["other_school_staff", "other_school_director", "other_area_officer", "id_approver"]
)
def test_roster_404_for_outsiders(client_as, request, roster, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(roster_url(roster[0].school)).status_code == 404


def test_roster_404_for_an_unknown_school(client_as, staff):
    assert client_as(staff).get(reverse("schools:roster", args=["0000000000"])).status_code == 404


def test_roster_counts_per_grade_and_sex(client_as, staff, roster):
    response = client_as(staff).get(roster_url(roster[0].school))
    counts = response.context["counts"]
    by_grade = {row.grade: (row.male, row.female, row.rooms) for row in counts.rows}
    assert by_grade == {Grade.P3: (3, 0, 1), Grade.P4: (0, 2, 1)}
    assert counts.total == 5
    assert "ป.3" in response.content.decode()


def test_roster_filters_by_grade_room_and_search(client_as, staff, roster):
    client = client_as(staff)
    url = roster_url(roster[0].school)
    assert client.get(url, {"grade": Grade.P4}).context["page"].paginator.count == 2
    assert client.get(url, {"room": 1}).context["page"].paginator.count == 3
    assert client.get(url, {"q": "พิมพ์ชนก"}).context["page"].paginator.count == 2
    cid = roster[0].student.citizen_id
    found = client.post(
        url, {"q": f"{cid[0]}-{cid[1:5]}-{cid[5:10]}-{cid[10:12]}-{cid[12]}"}, follow=True
    ).context["page"]  # the search box POSTs: an ID never goes into the URL
    assert [e.pk for e in found] == [roster[0].pk]


def test_roster_shows_full_ids_to_staff_and_masked_ids_to_the_area(
    client_as, staff, area_officer, roster
):
    student = roster[0].student
    full = student.identifier
    masked = student.identifier_masked
    staff_body = client_as(staff).get(roster_url(roster[0].school)).content.decode()
    assert full in staff_body
    area_body = client_as(area_officer).get(roster_url(roster[0].school)).content.decode()
    assert full not in area_body and student.citizen_id not in area_body
    assert masked in area_body


def test_roster_pages(client_as, staff, school, settings):
    settings.ROSTER_PAGE_SIZE = 2
    for _ in range(5):
        EnrollmentFactory(school=school)
    client = client_as(staff)
    page3 = client.get(roster_url(school), {"page": 3}).context["page"]
    assert page3.number == 3 and len(page3.object_list) == 1


@pytest.mark.parametrize("learners", [1, 60])
def test_roster_query_count_is_fixed(client_as, staff, school, django_assert_num_queries, learners):
    for _ in range(learners):
        EnrollmentFactory(school=school)
    client = client_as(staff)
    client.get(roster_url(school))  # warm the content types, read once per process
    with django_assert_num_queries(14):  # none per learner (one for the nutrition counts)
        response = client.get(roster_url(school))
    assert response.status_code == 200


def test_roster_query_count_does_not_grow(client_as, staff, school, django_assert_num_queries):
    """The same number of queries for 3 learners and for 80, pinned."""
    client = client_as(staff)
    for _ in range(3):
        EnrollmentFactory(school=school)
    with django_assert_num_queries(14):
        client.get(roster_url(school))
    for _ in range(77):
        EnrollmentFactory(school=school)
    with django_assert_num_queries(14):
        client.get(roster_url(school))


# --- learner page -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "ministry_admin"])
def test_learner_page_allowed(client_as, request, roster, persona):
    user = request.getfixturevalue(persona)
    MeasurementFactory(student=roster[0].student)
    response = client_as(user).get(student_url(roster[0]))
    assert response.status_code == 200
    body = response.content.decode()
    assert roster[0].student.first_name_th in body
    assert "130.0" in body


@pytest.mark.parametrize(
    "persona", ["other_school_staff", "other_school_director", "other_area_officer"]
)
def test_learner_page_404_for_outsiders(client_as, request, roster, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(student_url(roster[0])).status_code == 404


def test_learner_of_another_school_404_under_own_school_code(
    client_as, staff, school, other_school
):
    """Guessing a learner's uuid under one's own school code reveals nothing."""
    stranger = EnrollmentFactory(school=other_school)
    url = reverse("schools:student", args=[school.code, stranger.student.public_id])
    assert client_as(staff).get(url).status_code == 404


def test_learner_page_shows_buddhist_year(client_as, staff, roster):
    body = client_as(staff).get(student_url(roster[0])).content.decode()
    # birth date 1 July 2016 → 1 กรกฎาคม 2559
    assert "กรกฎาคม 2559" in body


def test_english_switch(client_as, staff, roster):
    client = client_as(staff)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": roster_url(roster[0].school)}
    )
    assert response.status_code == 302
    body = client.get(roster_url(roster[0].school)).content.decode()
    assert "Learners by grade and sex" in body
    client.post(reverse("set_language"), {"language": "th", "next": "/"})
    body = client.get(roster_url(roster[0].school)).content.decode()
    assert "Learners by grade and sex" not in body


def test_thai_even_when_the_browser_asks_for_english(client_as, staff, roster):
    client = client_as(staff)
    body = client.get(
        roster_url(roster[0].school), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    ).content.decode()
    assert "จำนวนนักเรียนแยกตามชั้นและเพศ" in body


def test_roster_lists_the_schools_rounds_and_revoke_link_for_the_ministry(
    client_as, staff, ministry_admin, school
):
    from census.models import SchoolRound
    from census.services import academic_year_create

    year = academic_year_create(year_be=2569, actor=None)
    sr = SchoolRound.objects.create(
        round=year.rounds.get(number=1), school=school, state="certified"
    )
    revoke = reverse("workflows:revoke", args=[sr.pk])
    assert revoke not in client_as(staff).get(roster_url(school)).content.decode()
    body = client_as(ministry_admin).get(roster_url(school)).content.decode()
    assert revoke in body and "รับรองแล้ว" in body


def test_reports_are_in_the_menu_of_area_offices_only(client_as, staff, area_officer, school):
    reports = reverse("census:reports")
    assert reports not in client_as(staff).get(reverse("home")).content.decode()
    assert reports in client_as(area_officer).get(reverse("home")).content.decode()
