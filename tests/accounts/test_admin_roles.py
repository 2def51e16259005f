"""Roles given or ended through the Django admin are audited like those of the People pages."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, RoleChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_role_given_in_the_admin_is_audited_with_who_gave_it(client_as, ministry_admin, school):
    person = UserFactory(username="newstaff")

    response = client_as(ministry_admin).post(
        reverse("admin:accounts_membership_add"),
        {"user": person.pk, "role": Role.STAFF, "school": school.pk, "area_office": "",
         "starts_on": "2026-05-16", "ends_on": ""},
    )  # fmt: skip

    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    assert (membership.role, membership.school, membership.starts_on) == (
        Role.STAFF, school, date(2026, 5, 16),
    )  # fmt: skip
    change = RoleChange.objects.get(user=person)
    assert (change.action, change.actor, change.role, change.school) == (
        RoleChange.Action.GRANTED, ministry_admin, Role.STAFF, school,
    )  # fmt: skip
    assert person.has_perm("schools.confirm_round", school)


def test_a_role_ended_in_the_admin_is_audited_and_its_place_cannot_be_rewritten(
    client_as, ministry_admin, staff, school, other_school
):
    membership = Membership.objects.get(user=staff)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])

    response = client_as(ministry_admin).post(
        url,
        {"user": staff.pk, "role": Role.DIRECTOR, "school": other_school.pk, "area_office": "",
         "starts_on": "2001-01-01", "ends_on": "2030-03-31"},
    )  # fmt: skip

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.school, membership.ends_on) == (
        Role.STAFF, school, date(2030, 3, 31),
    )  # fmt: skip
    change = RoleChange.objects.get(user=staff, action=RoleChange.Action.ENDED)
    assert change.actor == ministry_admin
    assert change.details == {"ends_on": "2030-03-31", "was": None, "via": "admin"}


def test_only_the_ministry_admin_gives_roles_in_the_admin(client_as, area_officer, school):
    person = UserFactory(username="newstaff")

    response = client_as(area_officer).post(
        reverse("admin:accounts_membership_add"),
        {"user": person.pk, "role": Role.STAFF, "school": school.pk, "starts_on": "2026-05-16"},
    )

    assert response.status_code in (302, 403)
    assert not Membership.objects.filter(user=person).exists()
    assert not RoleChange.objects.filter(user=person).exists()
