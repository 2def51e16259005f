from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, SchoolUserObjectPermission
from accounts.permissions import (
    areas_overseen_by,
    can_administer,
    can_keep_roster,
    can_view_school,
    schools_editable_by,
    schools_visible_to,
    sync_all_permissions,
)
from accounts.services import membership_create, membership_end

from ..factories import UserFactory


def test_staff_membership_grants_object_permissions_only(staff, school, other_school):
    assert staff.has_perm("schools.keep_roster", school)
    assert staff.has_perm("schools.confirm_round", school)
    assert not staff.has_perm("schools.certify_round", school)
    assert not staff.has_perm("schools.keep_roster", other_school)
    # never a model-wide grant
    assert not staff.has_perm("schools.keep_roster")
    assert not staff.user_permissions.exists()
    assert not Permission.objects.filter(group__user=staff).exists()


def test_director_may_certify_but_not_keep_the_roster(director, school):
    assert director.has_perm("schools.certify_round", school)
    assert not can_keep_roster(director, school)
    assert can_view_school(director, school)


def test_area_officer_sees_the_areas_schools_only(area_officer, school, other_school):
    assert can_view_school(area_officer, school)
    assert not can_view_school(area_officer, other_school)
    assert list(schools_visible_to(area_officer)) == [school]
    assert not can_keep_roster(area_officer, school)


def test_who_sees_which_schools_and_area_offices(
    staff, area_officer, school, other_school, area, other_area
):
    """The lookups read the permission rows the memberships write: each person their own, a
    superuser all, nobody else's; an ended membership none."""
    superuser = UserFactory(username="root", is_superuser=True)
    assert list(areas_overseen_by(area_officer)) == [area]
    assert list(schools_visible_to(area_officer)) == [school]
    assert not schools_editable_by(area_officer).exists()
    assert not areas_overseen_by(staff).exists()
    assert list(schools_visible_to(staff)) == [school]
    assert list(schools_editable_by(staff)) == [school]
    assert set(areas_overseen_by(superuser)) == {area, other_area}
    assert set(schools_visible_to(superuser)) == {school, other_school}
    assert set(schools_editable_by(superuser)) == {school, other_school}
    membership_end(membership=Membership.objects.get(user=area_officer))
    area_officer = type(area_officer).objects.get(pk=area_officer.pk)  # fresh caches
    assert not areas_overseen_by(area_officer).exists()
    assert not schools_visible_to(area_officer).exists()


def test_ending_a_membership_revokes(staff, school):
    membership = Membership.objects.get(user=staff)
    membership.starts_on = timezone.localdate() - timedelta(days=30)
    membership.save(update_fields=["starts_on"])
    membership_end(membership=membership)
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    assert not can_view_school(staff, school)
    assert not SchoolUserObjectPermission.objects.filter(user=staff).exists()


def test_two_roles_at_one_school_revoke_only_what_the_ended_one_gave(db, school):
    user = UserFactory()
    today = timezone.localdate()
    staff_m = membership_create(
        user=user, role=Role.STAFF, school=school, starts_on=today - timedelta(days=10)
    )
    membership_create(user=user, role=Role.DIRECTOR, school=school)
    membership_end(membership=staff_m)
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("schools.certify_round", school)
    assert user.has_perm("schools.view_school", school)
    assert not user.has_perm("schools.keep_roster", school)


def test_future_membership_grants_on_its_start_day(db, school, time_machine):
    user = UserFactory()
    today = timezone.localdate()
    membership_create(
        user=user, role=Role.STAFF, school=school, starts_on=today + timedelta(days=2)
    )
    assert not type(user).objects.get(pk=user.pk).has_perm("schools.keep_roster", school)
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)
    sync_all_permissions()
    assert type(user).objects.get(pk=user.pk).has_perm("schools.keep_roster", school)


def test_membership_scope_must_fit_the_role(db, school, area):
    from django.core.exceptions import ValidationError

    user = UserFactory()
    with pytest.raises(ValidationError):
        membership_create(user=user, role=Role.STAFF, area_office=area)
    with pytest.raises(ValidationError):
        membership_create(user=user, role=Role.AREA_OFFICER, school=school)
    with pytest.raises(ValidationError):
        membership_create(user=user, role=Role.MINISTRY_ADMIN, school=school)
    assert not Membership.objects.filter(user=user).exists()


def test_ministry_admin_may_use_the_admin(client_as, ministry_admin):
    assert can_administer(ministry_admin)
    response = client_as(ministry_admin).get(reverse("admin:index"))
    assert response.status_code == 200
    response = client_as(ministry_admin).get(reverse("admin:schools_school_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "id_approver"])
def test_others_may_not_use_the_admin(client_as, request, persona):
    user = request.getfixturevalue(persona)
    assert not can_administer(user)
    response = client_as(user).get(reverse("admin:schools_school_changelist"))
    assert response.status_code == 302  # to the admin login, which refuses them


def test_learners_cannot_be_edited_in_the_admin(client_as, ministry_admin):
    from ..factories import StudentFactory

    student = StudentFactory()
    client = client_as(ministry_admin)
    url = reverse("admin:schools_student_change", args=[student.pk])
    response = client.post(url, {"first_name_th": "แก้"})
    assert response.status_code == 403


def test_the_beat_task_revokes_a_membership_that_ended(db, school, time_machine):
    from accounts.tasks import sync_membership_permissions

    user = UserFactory()
    today = timezone.localdate()
    membership_create(
        user=user, role=Role.STAFF, school=school,
        starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=1),
    )  # fmt: skip
    assert type(user).objects.get(pk=user.pk).has_perm("schools.keep_roster", school)
    time_machine.move_to(timezone.now() + timedelta(days=1), tick=False)
    sync_membership_permissions.delay()
    assert not type(user).objects.get(pk=user.pk).has_perm("schools.keep_roster", school)


def test_login_is_rate_limited(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        response = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
        assert response.status_code == 200
    third = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    assert third.status_code == 429  # the limit is reached: locked out
    locked = client.post(reverse("login"), {"username": "staff", "password": "pw"})
    assert locked.status_code == 429
    assert "ระงับ" in locked.content.decode() and "locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_login_resets_the_count(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "staff", "password": "pw"}).status_code == 302
