"""The people pages: an area's schools with their staff and directors, flagged when one is missing
(there and on the area dashboard); a person's roles and history. Query counts pinned."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import membership_create
from schools.models import School

from ..factories import UserFactory


def test_the_area_page_lists_each_schools_people_and_flags_the_gaps(
    client_as, area_officer, staff, director, school, area
):
    empty = School.objects.create(code="1050130555", name_th="โรงเรียนว่าง", area_office=area)
    only_staff = School.objects.create(code="1050130556", name_th="โรงเรียนครึ่ง", area_office=area)
    membership_create(user=UserFactory(), role=Role.STAFF, school=only_staff)
    response = client_as(area_officer).get(reverse("people:area", args=[area.code]))
    rows = {s.code: s for s in response.context["schools"]}
    assert [m.user for m in rows[school.code].directors] == [director]
    assert [m.user for m in rows[school.code].staff] == [staff]
    assert (rows[empty.code].no_director, rows[empty.code].no_staff) == (True, True)
    assert (rows[only_staff.code].no_director, rows[only_staff.code].no_staff) == (True, False)
    assert not rows[school.code].no_director and not rows[school.code].no_staff
    assert response.context["missing"] == 2
    body = response.content.decode()
    assert "ไม่มีผู้อำนวยการ" in body and staff.display_name in body


def test_a_person_whose_role_ended_no_longer_counts(client_as, area_officer, director, area):
    membership = director.memberships.get()
    from accounts.services import membership_end

    membership_end(membership=membership, on=timezone.localdate())
    response = client_as(area_officer).get(reverse("people:area", args=[area.code]))
    (row,) = [s for s in response.context["schools"] if s.code == membership.school.code]
    assert row.no_director


@pytest.mark.parametrize("extra", [0, 30])
def test_the_area_page_costs_the_same_for_1_or_31_schools(
    client_as, area_officer, staff, director, area, extra, django_assert_num_queries
):
    for i in range(extra):
        school = School.objects.create(code=f"10970{i:05d}", name_th=f"ร.ร.{i}", area_office=area)
        membership_create(user=UserFactory(), role=Role.DIRECTOR, school=school)
        membership_create(user=UserFactory(), role=Role.STAFF, school=school)
    client = client_as(area_officer)
    client.get(reverse("people:area", args=[area.code]))  # warm the session
    with django_assert_num_queries(8):
        response = client.get(reverse("people:area", args=[area.code]))
    assert len(response.context["schools"]) == 1 + extra


def test_the_ministry_sees_area_officers_and_approvers(
    client_as, ministry_admin, area_officer, id_approver, area
):
    response = client_as(ministry_admin).get(reverse("people:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert area_officer.display_name in body and id_approver.display_name in body


def test_the_ministry_sees_an_area_with_only_an_approver_flagged_as_without_officer(
    client_as, ministry_admin, area_officer, other_area
):
    approver = UserFactory(first_name="สมพร")
    membership_create(user=approver, role=Role.ID_APPROVER, area_office=other_area)
    response = client_as(ministry_admin).get(reverse("people:index"))
    flagged = {a.code for a in response.context["areas"] if not a.officers}
    assert flagged == {other_area.code}
    assert response.content.decode().count("flag-no-officer") == 1
    assert "สมพร" in response.content.decode()


def test_the_person_page_shows_roles_in_reach_and_their_history(
    client_as, area_officer, staff, other_school, other_area
):
    membership_create(user=staff, role=Role.STAFF, school=other_school)  # another area's role
    response = client_as(area_officer).get(reverse("people:person", args=[staff.public_id]))
    current = response.context["current"]
    assert [m.school.code for m in current] == ["1050130001"]  # only what it manages
    assert other_school.name_th not in response.content.decode()
    assert [c.action for c in response.context["changes"]] == ["granted"]


def test_the_area_dashboard_flags_a_school_with_no_director_or_no_staff(
    client_as, area_officer, staff, director, school, area
):
    from census.services import academic_year_create

    round2 = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    bare = School.objects.create(code="1050130557", name_th="โรงเรียนไร้คน", area_office=area)
    retired = director.memberships.get()
    from accounts.services import membership_end

    response = client_as(area_officer).get(
        reverse("census:area_dashboard", args=[area.code]) + f"?round={round2.pk}"
    )
    flags = {s.code: (s.has_director, s.has_staff) for s in response.context["schools"]}
    assert flags == {school.code: (True, True), bare.code: (False, False)}
    body = response.content.decode()
    assert body.count("flag-no-director") == 1 and body.count("flag-no-staff") == 1
    membership_end(membership=retired, on=timezone.localdate())
    response = client_as(area_officer).get(
        reverse("census:area_dashboard", args=[area.code]) + f"?round={round2.pk}"
    )
    flags = {s.code: (s.has_director, s.has_staff) for s in response.context["schools"]}
    assert flags[school.code] == (False, True)
