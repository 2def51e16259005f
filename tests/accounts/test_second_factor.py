"""The second factor after the password (django-otp TOTP, recovery codes): who must have one,
enrolment with a QR code, the code page, a code used twice, the lockout, replacing, the area
office's reset. Signed in through the real login page, never force_login."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from accounts.second_factor import STRONG_AUTH_KEY
from tests.sign_in import authenticator_for

LOGIN = "/accounts/login/"
VERIFY = "/accounts/second-factor/"
ENROL = "/accounts/second-factor/setup/"
PROFILE = "/accounts/profile/"
# A moment in the middle of a 30-second step: a code and the clock agree whatever the test's speed.
NOON = datetime(2026, 6, 10, 5, 0, 10, tzinfo=UTC)


def code(device: TOTPDevice, *, steps: int = 0) -> str:
    """Return the device's code now (or some steps later), as the person's app shows it."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps * device.step):06d}"


def password_sign_in(user, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post(LOGIN, {"username": user.username, "password": "pw", "next": "/"})
    assert response.status_code == 302, response.content[:300]
    return client


def events(user, action):
    return SecurityEvent.objects.filter(user=user, action=action)


def test_the_pages_live_where_the_middleware_sends(db):
    assert reverse("accounts:second_factor_verify") == VERIFY
    assert reverse("accounts:second_factor_enrol") == ENROL


@pytest.mark.parametrize("persona", ["area_officer", "ministry_admin", "id_approver"])
def test_a_role_that_needs_a_factor_is_taken_to_enrolment_after_the_password(request, persona):
    user = request.getfixturevalue(persona)
    client = password_sign_in(user)

    for path in ("/", PROFILE, "/census/reports/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(ENROL + "?next=")
    page = client.get(ENROL)
    assert page.status_code == 200
    assert b"<svg" in page.content and b'id="totp-secret"' in page.content
    assert "second-factor-required" in page.content.decode()


@time_machine.travel(NOON, tick=False)
def test_enrolment_with_the_first_code_turns_the_factor_on_and_shows_hashed_recovery_codes(
    area_officer,
):
    client = password_sign_in(area_officer)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=area_officer, confirmed=False)

    wrong = client.post(ENROL, {"code": "000000" if code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "ไม่ตรงกับที่แอปแสดง" in wrong.content.decode()

    done = client.post(ENROL, {"code": code(device), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert done["Cache-Control"] == "no-store"
    stored = set(
        StaticToken.objects.filter(device__user=area_officer).values_list("token", flat=True)
    )
    assert len(stored) == 10
    assert not stored & ({c.replace("-", "") for c in codes} | set(codes))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert events(area_officer, SecurityEvent.Action.FACTOR_ENROLLED).count() == 1


def test_the_enrolment_page_keeps_its_qr_code_within_the_content_security_policy(area_officer):
    client = password_sign_in(area_officer)
    page = client.get(ENROL)
    body = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    # Inline SVG, no script, no image fetched from elsewhere.
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert "<script" not in svg and "href" not in svg


@time_machine.travel(NOON, tick=False)
def test_who_has_a_factor_is_asked_for_the_code_before_any_page(area_officer):
    device = authenticator_for(area_officer)
    client = password_sign_in(area_officer)

    response = client.get("/census/reports/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fcensus%2Freports%2F"
    assert client.get(ENROL)["Location"].startswith(VERIFY)  # no replacing before the code

    wrong = client.post(VERIFY, {"code": "12345x"})
    assert wrong.status_code == 200
    assert "รหัสไม่ถูกต้อง" in wrong.content.decode()
    refused = events(area_officer, SecurityEvent.Action.FACTOR_REFUSED).get()
    assert refused.details["reason"] == "wrong" and refused.ip_address == "127.0.0.1"

    right = client.post(VERIFY, {"code": code(device), "next": "/census/reports/"})
    assert right.status_code == 302 and right["Location"] == "/census/reports/"
    assert client.get("/").status_code == 200
    assert events(area_officer, SecurityEvent.Action.FACTOR_VERIFIED).count() == 1


@time_machine.travel(NOON, tick=False)
def test_a_code_used_once_is_refused_again_within_its_window(area_officer):
    device = authenticator_for(area_officer)
    first = password_sign_in(area_officer)
    used = code(device)
    assert first.post(VERIFY, {"code": used})["Location"] == "/"

    second = password_sign_in(area_officer)
    again = second.post(VERIFY, {"code": used})

    assert again.status_code == 200
    assert "รหัสนี้ถูกใช้ไปแล้ว" in again.content.decode()
    assert second.get("/").status_code == 302
    assert events(area_officer, SecurityEvent.Action.FACTOR_REFUSED).get().details["reason"] == (
        "reused"
    )
    # The next step's code is a new code.
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        assert second.post(VERIFY, {"code": code(device)})["Location"] == "/"


@override_settings(SECOND_FACTOR_FAILURE_LIMIT=5, SECOND_FACTOR_COOLOFF_MINUTES=30)
def test_wrong_codes_lock_the_factor_like_the_password_form_then_the_lock_passes(area_officer):
    device = authenticator_for(area_officer)
    with time_machine.travel(NOON, tick=False):
        client = password_sign_in(area_officer)
        right = code(device)
        wrong = "000000" if right != "000000" else "111111"
        statuses = [client.post(VERIFY, {"code": wrong}).status_code for _i in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        locked = client.post(VERIFY, {"code": right})
        assert locked.status_code == 429
        assert "ถูกล็อกไว้ 30 นาที" in locked.content.decode()
        assert client.get("/").status_code == 302
    assert events(area_officer, SecurityEvent.Action.FACTOR_REFUSED).count() == 4
    assert events(area_officer, SecurityEvent.Action.FACTOR_LOCKED).count() == 2
    with time_machine.travel(NOON + timedelta(minutes=29, seconds=50), tick=False):
        assert client.post(VERIFY, {"code": code(device)}).status_code == 429
    with time_machine.travel(NOON + timedelta(minutes=30, seconds=1), tick=False):
        assert client.post(VERIFY, {"code": code(device)})["Location"] == "/"


@time_machine.travel(NOON, tick=False)
def test_a_recovery_code_works_once_instead_of_the_app(area_officer):
    client = password_sign_in(area_officer)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=area_officer, confirmed=False)
    page = client.post(ENROL, {"code": code(device)}).content.decode()
    recovery = re.findall(r"<li>([a-z2-9-]{14})</li>", page)[0]

    lost_phone = password_sign_in(area_officer)
    assert lost_phone.post(VERIFY, {"code": recovery.upper().replace("-", " ")})["Location"] == "/"
    assert events(area_officer, SecurityEvent.Action.RECOVERY_USED).count() == 1

    again = password_sign_in(area_officer)
    assert again.post(VERIFY, {"code": recovery}).status_code == 200
    assert again.get("/").status_code == 302
    assert StaticToken.objects.filter(device__user=area_officer).count() == 9


def test_school_staff_without_a_factor_go_straight_in(staff):
    client = password_sign_in(staff)
    assert client.get("/").status_code == 200
    assert client.get(PROFILE).status_code == 200


@time_machine.travel(NOON, tick=False)
def test_school_staff_may_turn_the_factor_on_and_are_then_asked_for_it(staff):
    client = password_sign_in(staff)
    assert client.get(ENROL).status_code == 200
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post(ENROL, {"code": code(device)}).status_code == 200

    later = password_sign_in(staff)
    assert later.get("/")["Location"].startswith(VERIFY)


def test_a_strong_openid_sign_in_is_not_asked_for_a_code(area_officer):
    client = password_sign_in(area_officer)
    session = client.session
    session[STRONG_AUTH_KEY] = True
    session.save()
    assert client.get("/").status_code == 200


def test_a_strong_flag_that_is_not_true_does_not_pass(area_officer):
    client = password_sign_in(area_officer)
    session = client.session
    session[STRONG_AUTH_KEY] = "yes"
    session.save()
    assert client.get("/").status_code == 302


@override_settings(OPENDMC_SECOND_FACTOR_ROLES=["ministry_admin"])
def test_the_setting_names_the_roles_that_need_a_factor(area_officer, ministry_admin):
    assert password_sign_in(area_officer).get("/").status_code == 200
    assert password_sign_in(ministry_admin).get("/")["Location"].startswith(ENROL)


def test_the_code_page_goes_on_only_to_this_site(area_officer):
    device = authenticator_for(area_officer)
    with time_machine.travel(NOON, tick=False):
        client = password_sign_in(area_officer)
        response = client.post(VERIFY, {"code": code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


@time_machine.travel(NOON, tick=False)
def test_replacing_the_authenticator_ends_the_old_one_and_the_other_sessions(area_officer):
    old = authenticator_for(area_officer)
    elsewhere = password_sign_in(area_officer)
    assert elsewhere.post(VERIFY, {"code": code(old)})["Location"] == "/"
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        here = password_sign_in(area_officer)
        assert here.post(VERIFY, {"code": code(old)})["Location"] == "/"
        page = here.get(ENROL)
        assert "เปลี่ยนแอปยืนยันตัวตน" in page.content.decode()
        new = TOTPDevice.objects.get(user=area_officer, confirmed=False)
        assert here.post(ENROL, {"code": code(new)}).status_code == 200

    assert list(TOTPDevice.objects.filter(user=area_officer)) == [new]
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith(LOGIN)
    assert events(area_officer, SecurityEvent.Action.FACTOR_REPLACED).count() == 1


# --- the area office's reset ---------------------------------------------------------------------
def reset_url(person) -> str:
    return reverse("people:second_factor_reset", args=[person.public_id])


def test_the_area_office_resets_a_school_users_factor_and_their_sessions_end(
    client_as, area_officer, staff
):
    authenticator_for(staff)
    staff_client = Client()
    staff_client.force_login(staff)
    assert staff_client.get("/").status_code == 200
    page = client_as(area_officer).get(reverse("people:person", args=[staff.public_id]))
    assert 'id="second-factor-reset"' in page.content.decode()

    response = client_as(area_officer).post(reset_url(staff))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    event = events(staff, SecurityEvent.Action.FACTOR_RESET).get()
    assert event.actor == area_officer
    assert staff_client.get("/")["Location"].startswith(LOGIN)
    assert password_sign_in(staff).get("/").status_code == 200  # staff: the factor was optional


def test_another_areas_officer_cannot_reset_a_school_users_factor(
    client_as, other_area_officer, staff
):
    authenticator_for(staff)
    response = client_as(other_area_officer).post(reset_url(staff))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert not events(staff, SecurityEvent.Action.FACTOR_RESET).exists()


def test_school_users_and_officers_of_areas_cannot_reset_officers(
    client_as, staff, director, area_officer, ministry_admin
):
    authenticator_for(director)
    assert client_as(staff).post(reset_url(director)).status_code == 403
    # An area officer resets school users only: not another officer (the ministry does).
    peer = area_officer
    assert client_as(area_officer).post(reset_url(peer)).status_code in (403, 404)
    assert TOTPDevice.objects.filter(user=director, confirmed=True).exists()
    assert client_as(ministry_admin).post(reset_url(area_officer)).status_code == 302
    assert not TOTPDevice.objects.filter(user=area_officer).exists()


def test_resetting_a_person_without_a_factor_says_so(client_as, area_officer, staff):
    response = client_as(area_officer).post(reset_url(staff), follow=True)
    assert "ไม่มีการยืนยันตัวตนขั้นที่สองให้รีเซ็ต" in response.content.decode()
    assert not events(staff, SecurityEvent.Action.FACTOR_RESET).exists()


def test_the_second_factor_pages_send_anonymous_visitors_to_the_login(client, db):
    for path in (VERIFY, ENROL):
        assert client.get(path)["Location"].startswith(LOGIN)


# --- new recovery codes, made by their owner ----------------------------------------------------
RECOVERY = "/accounts/second-factor/recovery-codes/"
CODES = re.compile(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>")


def verified(user, device) -> Client:
    """Sign in with the password and the authenticator's code of this moment."""
    client = password_sign_in(user)
    assert client.post(VERIFY, {"code": code(device)})["Location"] == "/"
    return client


def other_than(right: str) -> str:
    return "000000" if right != "000000" else "111111"


def stored_hashes(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def test_the_recovery_codes_page_lives_under_the_second_factor(db):
    assert reverse("accounts:recovery_codes_new") == RECOVERY


def test_an_enrolled_person_makes_new_recovery_codes_and_the_old_ones_stop_at_once(area_officer):
    with time_machine.travel(NOON, tick=False):
        client = password_sign_in(area_officer)
        client.get(ENROL)
        device = TOTPDevice.objects.get(user=area_officer, confirmed=False)
        old = CODES.findall(client.post(ENROL, {"code": code(device)}).content.decode())
        assert len(old) == 10
        lost_phone = password_sign_in(area_officer)
        assert lost_phone.post(VERIFY, {"code": old[0]})["Location"] == "/"
        profile = client.get(PROFILE).content.decode()
        assert 'id="recovery-codes-new"' in profile
        assert "คุณมีรหัสกู้คืนที่ยังไม่ได้ใช้ 9 รหัส" in profile
        page = client.get(RECOVERY)
        assert page.status_code == 200
        assert "คุณมีรหัสกู้คืนที่ยังไม่ได้ใช้ 9 รหัส" in page.content.decode()

    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        done = client.post(RECOVERY, {"code": code(device)})
        assert done.status_code == 200 and done["Cache-Control"] == "no-store"
        text = done.content.decode()
        assert "รหัสกู้คืนชุดใหม่พร้อมแล้ว" in text
        new = CODES.findall(text)
        assert len(new) == 10 and not set(new) & set(old)
        assert len(stored_hashes(area_officer)) == 10
        assert not stored_hashes(area_officer) & set(new)  # hashes only
        event = events(area_officer, SecurityEvent.Action.RECOVERY_REGENERATED).get()
        assert event.actor == area_officer and event.details == {"count": 10}
        assert "คุณมีรหัสกู้คืนที่ยังไม่ได้ใช้ 10 รหัส" in client.get(PROFILE).content.decode()

        for unused_old in old[1:3]:
            refused = password_sign_in(area_officer)
            assert refused.post(VERIFY, {"code": unused_old}).status_code == 200
            assert refused.get("/").status_code == 302
        fresh = password_sign_in(area_officer)
        assert fresh.post(VERIFY, {"code": new[0]})["Location"] == "/"
        twice = password_sign_in(area_officer)
        assert twice.post(VERIFY, {"code": new[0]}).status_code == 200
        assert twice.get("/").status_code == 302
        # This session and the one that used a recovery code go on: no session was ended.
        assert client.get("/").status_code == 200 and lost_phone.get("/").status_code == 200


@time_machine.travel(NOON, tick=False)
def test_a_wrong_code_or_a_recovery_code_makes_no_new_codes(area_officer):
    device = authenticator_for(area_officer)
    client = password_sign_in(area_officer)
    with time_machine.travel(NOON - timedelta(seconds=30), tick=False):
        assert client.post(VERIFY, {"code": code(device)})["Location"] == "/"
    # A first set, made with the code of this moment.
    first = CODES.findall(client.post(RECOVERY, {"code": code(device)}).content.decode())
    before = stored_hashes(area_officer)

    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        wrong = client.post(RECOVERY, {"code": other_than(code(device))})
        assert wrong.status_code == 200
        assert "รหัสไม่ถูกต้อง" in wrong.content.decode()
        assert not CODES.findall(wrong.content.decode())
        # Only the app's code will do: a recovery code is refused by the form.
        recovery = client.post(RECOVERY, {"code": first[0]})
        assert recovery.status_code == 200 and not CODES.findall(recovery.content.decode())

    assert stored_hashes(area_officer) == before
    refused = events(area_officer, SecurityEvent.Action.FACTOR_REFUSED).get()
    assert refused.details["reason"] == "wrong" and refused.details["for"] == "recovery_codes"
    assert events(area_officer, SecurityEvent.Action.RECOVERY_REGENERATED).count() == 1


@time_machine.travel(NOON, tick=False)
def test_the_code_that_signed_in_cannot_make_new_codes_again(area_officer):
    device = authenticator_for(area_officer)
    client = verified(area_officer, device)
    before = stored_hashes(area_officer)

    again = client.post(RECOVERY, {"code": code(device)})

    assert again.status_code == 200
    assert "รหัสนี้ถูกใช้ไปแล้ว" in again.content.decode()
    assert stored_hashes(area_officer) == before
    assert events(area_officer, SecurityEvent.Action.FACTOR_REFUSED).get().details["reason"] == (
        "reused"
    )
    assert not events(area_officer, SecurityEvent.Action.RECOVERY_REGENERATED).exists()


def test_a_person_without_an_authenticator_gets_no_recovery_codes(staff):
    client = password_sign_in(staff)
    page = client.get(RECOVERY)
    assert page.status_code == 200
    assert 'id="recovery-codes-none"' in page.content.decode()
    assert 'id="recovery-codes-form"' not in page.content.decode()

    answer = client.post(RECOVERY, {"code": "123456"})

    assert answer.status_code == 200
    assert "คุณยังไม่มีแอปยืนยันตัวตน" in answer.content.decode()
    assert not StaticToken.objects.filter(device__user=staff).exists()
    assert not SecurityEvent.objects.filter(user=staff).exists()
    assert 'id="recovery-codes-new"' not in client.get(PROFILE).content.decode()


@override_settings(SECOND_FACTOR_FAILURE_LIMIT=3, SECOND_FACTOR_COOLOFF_MINUTES=30)
def test_wrong_codes_for_new_recovery_codes_lock_the_factor_as_the_code_page_does(area_officer):
    device = authenticator_for(area_officer)
    with time_machine.travel(NOON, tick=False):
        client = verified(area_officer, device)
    before = stored_hashes(area_officer)
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        wrong = other_than(code(device))
        statuses = [client.post(RECOVERY, {"code": wrong}).status_code for _i in range(3)]
        assert statuses == [200, 200, 429]
        locked = client.post(RECOVERY, {"code": code(device)})
        assert locked.status_code == 429
        assert "ถูกล็อกไว้ 30 นาที" in locked.content.decode()
        # One lock: the code page after a new password sign-in is locked too.
        assert (
            password_sign_in(area_officer).post(VERIFY, {"code": code(device)}).status_code == 429
        )
    assert stored_hashes(area_officer) == before
    assert events(area_officer, SecurityEvent.Action.FACTOR_LOCKED).count() == 3
    with time_machine.travel(NOON + timedelta(minutes=30, seconds=31), tick=False):
        assert CODES.findall(client.post(RECOVERY, {"code": code(device)}).content.decode())


def test_the_recovery_codes_page_sends_anonymous_visitors_to_the_login(client, db):
    assert client.get(RECOVERY)["Location"].startswith(LOGIN)
    assert client.post(RECOVERY, {"code": "123456"})["Location"].startswith(LOGIN)


def test_the_recovery_codes_page_costs_a_fixed_number_of_queries(
    area_officer, django_assert_num_queries
):
    device = authenticator_for(area_officer)
    with time_machine.travel(NOON, tick=False):
        client = verified(area_officer, device)
        client.get(RECOVERY)
        # The session and user, the factor's state, the authenticator, the count of codes.
        with django_assert_num_queries(6):
            assert client.get(RECOVERY).status_code == 200
