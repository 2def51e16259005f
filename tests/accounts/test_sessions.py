"""Sessions people can see: the profile lists them (device, address, last seen, written at most
once a minute) and ends any of them; ending a role or disabling an account ends them at once."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, SecurityEvent, UserSession
from accounts.services import membership_end, user_deactivate
from accounts.tasks import sync_membership_permissions

PROFILE = "/accounts/profile/"
LOGIN = "/accounts/login/"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"
T0 = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)


def device(user, agent: str, address: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": user.username, "password": "pw"})
    assert response.status_code == 302
    client.get(PROFILE)  # the first page after the sign-in records the session
    return client


def signed_in(client: Client) -> bool:
    return client.get(PROFILE).status_code == 200


def test_the_profile_lists_each_session_with_device_address_and_last_seen(staff):
    with time_machine.travel(T0, tick=False):
        phone = device(staff, PHONE, "10.1.2.3")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        laptop = device(staff, LAPTOP, "10.9.8.7")
        page = laptop.get(PROFILE)
        assert signed_in(phone)

    sessions = page.context["sessions"]
    assert [s.device for s in sessions] == ["Edge บน Windows", "Chrome บน Android"]
    assert [s.ip_address for s in sessions] == ["10.9.8.7", "10.1.2.3"]
    body = page.content.decode()
    assert "10 มิ.ย. 2569 09:05" in body and "10 มิ.ย. 2569 09:00" in body  # Bangkok, BE
    assert "อุปกรณ์นี้" in body


def test_last_seen_is_written_at_most_once_a_minute(staff, django_assert_num_queries):
    with time_machine.travel(T0, tick=False):
        client = device(staff, PHONE, "10.1.2.3")
    row = UserSession.objects.get(user=staff)
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        client.get("/")
    row.refresh_from_db()
    assert row.last_seen == T0
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        client.get("/")
    row.refresh_from_db()
    assert row.last_seen == T0 + timedelta(seconds=61)


def test_a_page_within_the_minute_costs_no_session_query(client_as, staff):
    client = client_as(staff)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries if "accounts_usersession" in q["sql"]]
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_ending_one_session_signs_that_device_out_and_is_audited(staff):
    phone = device(staff, PHONE, "10.1.2.3")
    laptop = device(staff, LAPTOP, "10.9.8.7")
    row = UserSession.objects.get(user=staff, user_agent=PHONE)

    response = laptop.post(reverse("accounts:session_end", args=[row.public_id]))

    assert response["Location"] == PROFILE
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert not UserSession.objects.filter(pk=row.pk).exists()
    assert not Session.objects.filter(session_key=row.session_key).exists()
    event = SecurityEvent.objects.get(user=staff, action=SecurityEvent.Action.SESSION_ENDED)
    assert event.actor == staff and event.ip_address == "10.9.8.7"


def test_ending_this_session_signs_out_here(staff):
    laptop = device(staff, LAPTOP, "10.9.8.7")
    row = UserSession.objects.get(user=staff)
    response = laptop.post(reverse("accounts:session_end", args=[row.public_id]))
    assert response["Location"] == LOGIN
    assert not signed_in(laptop)


def test_nobody_ends_another_persons_session(staff, director):
    phone = device(staff, PHONE, "10.1.2.3")
    row = UserSession.objects.get(user=staff)
    other = device(director, LAPTOP, "10.9.8.7")

    response = other.post(reverse("accounts:session_end", args=[row.public_id]))

    assert response.status_code == 404
    assert signed_in(phone)


def test_log_out_everywhere_else_keeps_this_session_and_its_row(staff):
    phone = device(staff, PHONE, "10.1.2.3")
    tablet = device(staff, PHONE, "10.1.2.4")
    laptop = device(staff, LAPTOP, "10.9.8.7")

    laptop.post(reverse("accounts:sessions_end"))

    assert not signed_in(phone) and not signed_in(tablet)
    page = laptop.get(PROFILE)
    assert page.status_code == 200
    (row,) = page.context["sessions"]
    assert row.session_key == laptop.session.session_key and row.user_agent == LAPTOP


def test_ending_a_role_through_the_people_pages_ends_the_persons_sessions(
    client_as, area_officer, staff
):
    phone = device(staff, PHONE, "10.1.2.3")
    membership = Membership.objects.get(user=staff)
    today = timezone.localdate().isoformat()

    response = client_as(area_officer).post(
        reverse("people:end", args=[staff.public_id, membership.pk]), {"on": today}
    )

    assert response.status_code == 302
    assert not signed_in(phone)
    assert not UserSession.objects.filter(user=staff).exists()


def test_a_role_ended_for_a_later_day_leaves_the_sessions(staff):
    phone = device(staff, PHONE, "10.1.2.3")
    membership_end(membership=Membership.objects.get(user=staff), on=date(2099, 1, 1))
    assert signed_in(phone)


def test_ending_a_role_in_the_service_ends_the_sessions(staff, director):
    phone = device(staff, PHONE, "10.1.2.3")
    other = device(director, PHONE, "10.1.2.4")
    membership_end(membership=Membership.objects.get(user=staff))
    assert not signed_in(phone)
    assert signed_in(other)


def test_ending_a_role_in_the_admin_ends_the_sessions(client_as, ministry_admin, staff, school):
    phone = device(staff, PHONE, "10.1.2.3")
    membership = Membership.objects.get(user=staff)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])

    response = client_as(ministry_admin).post(
        url,
        {"user": staff.pk, "role": membership.role, "school": school.pk, "area_office": "",
         "starts_on": "2020-01-01", "ends_on": timezone.localdate().isoformat()},
    )  # fmt: skip

    assert response.status_code == 302
    assert not signed_in(phone)


def test_disabling_an_account_in_the_admin_ends_its_sessions(client_as, ministry_admin, staff):
    phone = device(staff, PHONE, "10.1.2.3")
    url = reverse("admin:accounts_user_change", args=[staff.pk])
    form = client_as(ministry_admin).get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        username=staff.username, is_active="", date_joined_0="2020-01-01",
        date_joined_1="00:00:00", last_login_0="", last_login_1="",
    )  # fmt: skip

    response = client_as(ministry_admin).post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    staff.refresh_from_db()
    assert not staff.is_active
    assert not UserSession.objects.filter(user=staff).exists()
    assert not signed_in(phone)
    event = SecurityEvent.objects.get(user=staff, action=SecurityEvent.Action.SESSIONS_ENDED)
    assert event.actor == ministry_admin and event.details["reason"] == "account disabled"


def test_the_deactivate_service_ends_the_sessions(staff, ministry_admin):
    phone = device(staff, PHONE, "10.1.2.3")
    user_deactivate(user=staff, actor=ministry_admin)
    assert not signed_in(phone)


@pytest.mark.parametrize("agent, name", [
    (PHONE, "Chrome บน Android"),
    (LAPTOP, "Edge บน Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1", "Safari บน iPhone"),
    ("curl/8.5.0", "อุปกรณ์ที่ไม่รู้จัก"),
])  # fmt: skip
def test_the_device_is_named_from_the_user_agent(agent, name):
    assert UserSession(user_agent=agent).device == name


def test_a_role_ended_ahead_of_time_ends_the_sessions_when_its_day_comes(staff, director):
    bangkok = ZoneInfo("Asia/Bangkok")
    with time_machine.travel(datetime(2026, 6, 30, 23, 0, tzinfo=bangkok), tick=False):
        phone = device(staff, PHONE, "10.1.2.3")
        other = device(director, PHONE, "10.1.2.4")
        membership_end(membership=Membership.objects.get(user=staff), on=date(2026, 7, 1))
        assert signed_in(phone)
    with time_machine.travel(datetime(2026, 7, 1, 0, 30, tzinfo=bangkok), tick=False):
        sync_membership_permissions.delay()
        assert not signed_in(phone)
        assert signed_in(other)
        again = device(staff, PHONE, "10.1.2.3")  # a sign-in after the end is not undone
        sync_membership_permissions.delay()
        assert signed_in(again)
        assert UserSession.objects.filter(user=staff).count() == 1
