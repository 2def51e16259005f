"""An invitation: e-mailed in Thai through Celery on commit, signed and single use, expiring;
accepting it sets a password (a new person) or adds the role to the signed-in account."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, RoleChange, User
from accounts.permissions import can_keep_roster, can_view_school
from accounts.services import membership_end
from accounts.tasks import send_invitation

from ..factories import SchoolFactory, make_citizen_id
from .people_helpers import invite, last_link

EMAIL = "somjai@example.org"
PASSWORD = "Kh0n-Kaen-river-2569"  # noqa: S105


@pytest.fixture
def invited(client, client_as, area_officer, school, django_capture_on_commit_callbacks):
    """Invite a new person as staff of the area officer's school; return the link's path (the
    client is signed out again: the link is opened by the invited person)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(
            client_as(area_officer), role=Role.STAFF, email=" SomJai@Example.org ", school=school,
            citizen_id=make_citizen_id(77),
        )  # fmt: skip
    assert response.status_code == 302
    client.logout()
    return last_link(EMAIL)


def test_the_email_is_thai_and_the_database_keeps_only_a_hash(invited, client):
    message = mail.outbox[-1]
    assert message.to == [EMAIL]
    assert "เชิญ" in message.subject and "Dear" not in message.body
    assert "เจ้าหน้าที่" in message.body and "โรงเรียนบ้านทดสอบ" in message.body
    token = invited.split("/")[-2]
    invitation = Invitation.objects.get(email=EMAIL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invitation")
        row = " ".join(str(v) for v in cursor.fetchone())
    secret = __import__("django.core.signing", fromlist=["loads"]).loads(
        token, salt="accounts.invitation"
    )["n"]
    assert secret not in row and token not in row and len(invitation.token_hash) == 64


def test_a_new_person_sets_a_password_and_holds_the_role(invited, client, school):
    page = client.get(invited)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert "new_password1" in page.content.decode()
    weak = client.post(invited, {"new_password1": "somjai", "new_password2": "somjai"})
    assert weak.status_code == 200 and weak.context["form"].errors
    assert not User.objects.filter(email=EMAIL).exists()
    response = client.post(invited, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email=EMAIL)
    assert user.username == EMAIL and user.check_password(PASSWORD)
    assert user.citizen_id == make_citizen_id(77) and user.title == "นางสาว"
    assert can_keep_roster(user, school)
    assert client.get(reverse("home")).wsgi_request.user == user  # signed in
    invitation = Invitation.objects.get(email=EMAIL)
    assert invitation.accepted_by == user and invitation.accepted_at
    actions = set(RoleChange.objects.filter(invitation=invitation).values_list("action", flat=True))
    assert actions == {"invited", "invitation_sent", "granted", "invitation_accepted"}
    # Single use: the same link again says so.
    client.logout()
    again = client.get(invited)
    assert again.status_code == 410 and "ตอบรับแล้ว" in again.content.decode()
    assert Membership.objects.filter(user=user).count() == 1


def test_a_browser_may_post_the_form_the_page_gave_it(invited):
    """A browser sends the Origin that the page's Referrer-Policy allows: "null" under no-referrer,
    which Django's CSRF check refuses (in a real browser, no invitation could be accepted)."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(invited)
    origin = "null" if page["Referrer-Policy"] == "no-referrer" else "http://testserver"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post(
        invited,
        {"new_password1": PASSWORD, "new_password2": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=origin,
        HTTP_REFERER=f"http://testserver{invited}" if origin != "null" else "",
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


def test_a_role_accepted_by_mistake_ends_the_same_day(
    invited, client, client_as, area_officer, school
):
    client.post(invited, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    person = User.objects.get(email=EMAIL)
    role = person.memberships.get()
    assert role.starts_on == timezone.localdate() and can_view_school(person, school)
    today = timezone.localdate()
    response = client_as(area_officer).post(
        reverse("people:end", args=[person.public_id, role.pk]),
        {"on": f"{today.day}/{today.month}/{today.year + 543}"},
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert not can_view_school(person, school) and not can_keep_roster(person, school)
    assert not Membership.objects.active().filter(user=person).exists()
    assert RoleChange.objects.filter(user=person, action=RoleChange.Action.ENDED).exists()


def test_a_role_cannot_end_before_it_starts(staff):
    role = staff.memberships.get()
    with pytest.raises(ValidationError):
        membership_end(membership=role, on=role.starts_on - timedelta(days=1))
    assert membership_end(membership=role, on=role.starts_on).ends_on == role.starts_on


def test_the_link_expires_at_its_edge(invited, client, time_machine):
    invitation = Invitation.objects.get(email=EMAIL)
    time_machine.move_to(invitation.expires_at - timedelta(seconds=1), tick=False)
    assert client.get(invited).status_code == 200
    time_machine.move_to(invitation.expires_at, tick=False)
    response = client.get(invited)
    assert response.status_code == 410 and "หมดอายุ" in response.content.decode()
    posted = client.post(invited, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert posted.status_code == 410 and not User.objects.filter(email=EMAIL).exists()


def test_a_withdrawn_invitation_is_refused(invited, client, client_as, area_officer):
    invitation = Invitation.objects.get(email=EMAIL)
    client_as(area_officer).post(reverse("people:revoke", args=[invitation.public_id]))
    client.logout()
    response = client.get(invited)
    assert response.status_code == 410 and "ถอน" in response.content.decode()
    assert RoleChange.objects.filter(action="invitation_revoked", actor=area_officer).exists()


@pytest.mark.parametrize("how", ["one character", "cut", "another salt", "garbage"])
def test_a_tampered_link_is_refused(invited, client, how):
    token = invited.split("/")[-2]
    forged = {
        "one character": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
        "cut": token[: len(token) // 2],
        "another salt": __import__("django.core.signing", fromlist=["dumps"]).dumps(
            {"i": str(Invitation.objects.get().public_id), "n": "x"}, salt="accounts.invitation"
        ),
        "garbage": "%00<script>",
    }[how]
    response = client.get(f"/accounts/invitation/{forged}/")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "ไม่ถูกต้อง" in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()


def test_sending_again_replaces_the_link(
    invited, client, client_as, area_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_as(area_officer).post(
            reverse("people:resend", args=[Invitation.objects.get().public_id])
        )
    client.logout()
    newer = last_link(EMAIL)
    assert newer != invited
    assert client.get(invited).status_code == 400
    assert client.get(newer).status_code == 200


def test_the_task_sends_nothing_for_an_accepted_invitation(invited, client):
    client.post(invited, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    sent = len(mail.outbox)
    assert send_invitation(Invitation.objects.get().pk) is False
    assert len(mail.outbox) == sent


def test_a_person_with_roles_elsewhere_signs_in_and_keeps_them(
    client, client_as, area_officer, director, area, django_capture_on_commit_callbacks
):
    second = SchoolFactory(code="1050130002", area_office=area)
    director.email = "director@example.org"
    director.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        invite(
            client_as(area_officer), role=Role.STAFF, email="Director@Example.org", school=second
        )
    client.logout()
    link = last_link("director@example.org")
    anonymous = client.get(link)
    assert anonymous.status_code == 200 and "new_password1" not in anonymous.content.decode()
    assert reverse("login") in anonymous.content.decode()
    assert client.post(link).status_code == 200  # not signed in: nothing accepted
    client.force_login(area_officer)  # someone else
    assert "บัญชีอื่น" in client.get(link).content.decode()
    client.force_login(director)
    response = client.post(link)
    assert response.status_code == 302
    director = User.objects.get(pk=director.pk)
    roles = set(Membership.objects.active().filter(user=director).values_list("role", "school"))
    assert roles == {
        (Role.DIRECTOR, director.memberships.first().school_id),
        (Role.STAFF, second.pk),
    }
    assert can_keep_roster(director, second)


def test_an_inviter_who_left_cannot_give_the_role_any_more(
    invited, client, area_officer, time_machine
):
    membership_end(membership=area_officer.memberships.get(), on=timezone.localdate())
    response = client.post(invited, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 200 and "ขอคำเชิญใหม่" in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()


def test_a_second_invitation_to_the_same_role_waits_for_the_first(
    invited, client_as, area_officer, school
):
    response = invite(client_as(area_officer), role=Role.STAFF, email=EMAIL, school=school)
    assert response.status_code == 200 and Invitation.objects.count() == 1
    assert "รออยู่แล้ว" in response.content.decode()


def test_a_role_ends_on_a_date_and_the_person_keeps_the_others(
    client_as, area_officer, director, school, time_machine
):
    from accounts.services import membership_create

    staff_role = membership_create(
        user=director, role=Role.STAFF, school=school, starts_on=timezone.localdate() - timedelta(1)
    )
    retire = timezone.localdate() + timedelta(days=30)
    client = client_as(area_officer)
    director_role = director.memberships.get(role=Role.DIRECTOR)
    url = reverse("people:end", args=[director.public_id, director_role.pk])
    past = timezone.localdate() - timedelta(days=1)
    refused = client.post(url, {"on": f"{past.day}/{past.month}/{past.year + 543}"})
    assert refused.status_code == 200 and refused.context["form"].errors
    done = client.post(url, {"on": f"{retire.day}/{retire.month}/{retire.year + 543}"})
    assert done.status_code == 302
    assert User.objects.get(pk=director.pk).has_perm("schools.certify_round", school)
    time_machine.move_to(timezone.now() + timedelta(days=31))
    from accounts.tasks import sync_membership_permissions

    sync_membership_permissions()
    director = User.objects.get(pk=director.pk)
    assert not director.has_perm("schools.certify_round", school)
    assert (
        can_view_school(director, school) and Membership.objects.get(pk=staff_role.pk).is_active()
    )
    page = client_as(area_officer).get(reverse("people:person", args=[director.public_id]))
    history = page.content.decode()
    assert "สิ้นสุดบทบาท" in history and area_officer.display_name in history


def test_an_address_too_long_for_a_username_is_refused(client_as, area_officer, school):
    email = "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 30 + ".org"
    assert 150 < len(email) <= 254
    response = invite(client_as(area_officer), role=Role.STAFF, email=email, school=school)
    assert response.status_code == 200 and "ยาวเกินไป" in response.content.decode()
    assert not Invitation.objects.exists()
