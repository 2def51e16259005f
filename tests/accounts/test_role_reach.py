"""Nobody gives or ends a role beyond their reach: every acting role × every target role × a place
inside and outside the actor's scope, through the pages, allowed and denied."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, RoleChange
from accounts.permissions import can_manage_role
from accounts.services import membership_create

from ..factories import UserFactory
from .people_helpers import invite

ACTORS = ("staff", "director", "area_officer", "id_approver", "ministry_admin")
TARGETS = tuple(Role.values)


def place(role, inside, request):
    """Return the scope of a target role, inside or outside the area of the `area_officer`."""
    if role in (Role.STAFF, Role.DIRECTOR):
        return {"school": request.getfixturevalue("school" if inside else "other_school")}
    if role == Role.AREA_OFFICER:
        return {"area_office": request.getfixturevalue("area" if inside else "other_area")}
    if role == Role.ID_APPROVER:
        return {"area_office": request.getfixturevalue("area")} if inside else {}
    return {}


def allowed(actor, role, inside) -> bool:
    if actor == "ministry_admin":
        return role != Role.MINISTRY_ADMIN
    if actor == "area_officer":
        return role in (Role.STAFF, Role.DIRECTOR) and inside
    return False


MATRIX = [(a, r, i) for a in ACTORS for r in TARGETS for i in (True, False)]


@pytest.mark.parametrize(("actor", "role", "inside"), MATRIX)
def test_invite_matrix(request, client_as, actor, role, inside, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(actor)
    scope = place(role, inside, request)
    client = client_as(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(
            client, role=role, email="new.person@example.org",
            school=scope.get("school"), area=scope.get("area_office"),
        )  # fmt: skip
    created = Invitation.objects.filter(email="new.person@example.org").first()
    assert can_manage_role(user, role=role, **scope) is allowed(actor, role, inside)
    if allowed(actor, role, inside):
        assert response.status_code == 302, response.content.decode()[-3000:]
        assert created is not None and created.role == role and created.invited_by == user
        assert RoleChange.objects.filter(
            action=RoleChange.Action.INVITED, actor=user, invitation=created
        ).exists()
    else:
        assert created is None
        assert response.status_code in (200, 403)
        if response.status_code == 200:  # the form says why
            assert response.context["form"].errors


@pytest.mark.parametrize(("actor", "role", "inside"), MATRIX)
def test_end_role_matrix(request, client_as, actor, role, inside):
    user = request.getfixturevalue(actor)
    scope = place(role, inside, request)
    target = UserFactory(username="target", email="target@example.org")
    today = timezone.localdate()
    membership = membership_create(
        user=target, role=role, starts_on=today.replace(year=today.year - 1), **scope
    )
    response = client_as(user).post(
        reverse("people:end", args=[target.public_id, membership.pk]),
        {"on": f"{today.day}/{today.month}/{today.year + 543}"},
    )
    membership.refresh_from_db()
    if allowed(actor, role, inside):
        assert response.status_code == 302
        assert membership.ends_on == today
        assert RoleChange.objects.get(action=RoleChange.Action.ENDED, actor=user).user == target
    else:
        assert response.status_code in (403, 404)
        assert membership.ends_on is None
        assert not RoleChange.objects.filter(action=RoleChange.Action.ENDED).exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_people_pages_only_for_those_who_give_roles(request, client_as, actor, area):
    user = request.getfixturevalue(actor)
    client = client_as(user)
    for url in (
        reverse("people:index"),
        reverse("people:area", args=[area.code]),
        reverse("people:invite"),
        reverse("people:bulk"),
    ):
        status = client.get(url).status_code
        assert status == (200 if actor in ("area_officer", "ministry_admin") else 403), url


def test_staff_never_sees_another_persons_email(client_as, staff, director):
    client = client_as(staff)
    for url in (
        reverse("people:area", args=[staff.memberships.get().school.area_office.code]),
        reverse("people:person", args=[director.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert director.email not in response.content.decode()


def test_an_area_officer_reaches_only_its_own_areas_people(
    client_as, area_officer, other_area, other_school_staff, staff
):
    client = client_as(area_officer)
    assert client.get(reverse("people:area", args=[other_area.code])).status_code == 404
    assert (
        client.get(reverse("people:person", args=[other_school_staff.public_id])).status_code == 404
    )
    assert client.get(reverse("people:person", args=[staff.public_id])).status_code == 200


def test_the_ministry_admin_role_is_given_by_nobody_here(client_as, ministry_admin):
    other = UserFactory(username="admin2")
    membership = membership_create(user=other, role=Role.MINISTRY_ADMIN)
    client = client_as(ministry_admin)
    assert client.get(reverse("people:person", args=[other.public_id])).status_code == 404
    assert Membership.objects.get(pk=membership.pk).ends_on is None
