"""The profile page: who I am, my roles, my details and language; change password; log out
everywhere."""

from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, User, UserSession
from accounts.services import membership_create
from tests.factories import AreaOfficeFactory, SchoolFactory, UserFactory
from tests.i18n.test_one_language import english_in, visible_text

PROFILE = "/accounts/profile/"
CHANGE = "/accounts/password/change/"
SESSIONS_END = "/accounts/profile/sessions/end/"


def details(**changes):
    data = {
        "title": "นาง",
        "first_name": "สมศรี",
        "last_name": "ใจดี",
        "email": "somsri@school.example",
        "language": "th",
    }
    return {**data, **changes}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_profile_lives_at_accounts_profile():
    assert reverse("accounts:profile") == PROFILE
    assert reverse("accounts:password_change") == CHANGE


@pytest.mark.parametrize("path", [PROFILE, CHANGE])
def test_anonymous_visitors_are_sent_to_the_login(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


def test_anonymous_cannot_end_sessions(client, staff):
    before = staff.session_salt

    response = client.post(SESSIONS_END)

    assert response["Location"].startswith(reverse("login"))
    staff.refresh_from_db()
    assert staff.session_salt == before


def test_the_profile_shows_me_and_my_roles_in_thai(staff, school):
    membership_create(
        user=staff,
        role=Role.DIRECTOR,
        school=SchoolFactory(name_th="โรงเรียนเก่า"),
        starts_on=date(2015, 5, 16),
        ends_on=date(2019, 10, 1),
    )

    response = signed_in(staff).get(PROFILE)

    assert response.status_code == 200
    page = response.content.decode()
    assert staff.display_name in page and "staff" in page and staff.email in page
    roles = page[page.index('id="profile-roles"') :]
    assert "เจ้าหน้าที่" in roles and school.name_th in roles  # the role in force
    assert "1 มกราคม 2563" in roles  # since 2020, in the Buddhist year
    assert "โรงเรียนเก่า" in roles and "16 พฤษภาคม 2558" in roles and "1 ตุลาคม 2562" in roles
    assert "สิ้นสุดแล้ว" in roles and "มีผลอยู่" in roles
    # inside the site: its menu, with the link to this page
    assert f'href="{PROFILE}"' in page and reverse("workflows:inbox") in page


def test_an_area_or_national_role_names_its_place(area_officer, ministry_admin, area):
    assert area.name_th in signed_in(area_officer).get(PROFILE).content.decode()
    assert "ทั้งประเทศ" in signed_in(ministry_admin).get(PROFILE).content.decode()


def test_the_profile_and_password_pages_speak_thai(staff):
    client = signed_in(staff)
    pages = {
        "profile": client.get(PROFILE),
        "invalid profile": client.post(PROFILE, details(email="x", language="fr", first_name="")),
        "change": client.get(CHANGE),
        "invalid change": client.post(
            CHANGE, {"old_password": "wrong", "new_password1": "1", "new_password2": "2"}
        ),
    }
    names = set(User.objects.values_list("username", flat=True))
    for name, response in pages.items():
        assert response.status_code == 200, name
        words = english_in(visible_text(response.content.decode()), names)
        assert not words, (name, words)


def test_the_profile_page_queries_are_pinned(staff, django_assert_num_queries):
    client = signed_in(staff)
    client.get(PROFILE)  # content types are cached once per process
    # session, user, the menu's reports check (roles, area offices), memberships with their places,
    # my sessions, my authenticator, whether my roles need one, my recovery codes left
    with django_assert_num_queries(9):
        assert client.get(PROFILE).status_code == 200
    for n in range(5):
        UserSession.objects.create(user=staff, session_key=f"elsewhere{n}", user_agent="Firefox")
        membership_create(
            user=staff,
            role=Role.AREA_OFFICER,
            area_office=AreaOfficeFactory(),
            starts_on=date(2010 + n, 1, 1),
            ends_on=date(2010 + n, 12, 31),
        )
    with django_assert_num_queries(9):
        assert client.get(PROFILE).status_code == 200
    assert len(client.get(PROFILE).context["sessions"]) == 6


def test_i_can_edit_my_details(staff):
    client = signed_in(staff)

    response = client.post(PROFILE, details(email="  Somsri@SCHOOL.Example ", language="en"))

    assert response.status_code == 302 and response["Location"] == PROFILE
    staff.refresh_from_db()
    assert (staff.title, staff.first_name, staff.last_name) == ("นาง", "สมศรี", "ใจดี")
    assert staff.email == "Somsri@school.example"  # the domain folded, as Django does
    assert staff.language == "en"
    assert staff.display_name == "นางสมศรี ใจดี"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Your details are saved." in client.get(PROFILE).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": ""}, "email"),
        ({"language": "fr"}, "language"),
        ({"language": ""}, "language"),
        ({"first_name": ""}, "first_name"),
        ({"title": "ก" * 31}, "title"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_saved(staff, changes, field):
    client = signed_in(staff)
    before = User.objects.values().get(pk=staff.pk)

    response = client.post(PROFILE, details(**changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.values().get(pk=staff.pk) == before


def test_i_cannot_change_my_citizen_id_or_username(staff):
    staff.citizen_id = "1101700203451"
    staff.save()

    signed_in(staff).post(
        PROFILE, details(citizen_id="3100600111221", username="boss", is_staff="on")
    )

    staff.refresh_from_db()
    assert staff.citizen_id == "1101700203451"
    assert (staff.username, staff.is_staff) == ("staff", False)
    assert staff.first_name == "สมศรี"


def test_the_chosen_language_applies_on_a_new_device_after_sign_in(staff):
    signed_in(staff).post(PROFILE, details(language="en"))

    other_device = Client()
    other_device.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    assert other_device.get(reverse("login"))["Content-Language"] == "th"
    other_device.post(reverse("login"), {"username": "staff", "password": "pw"})

    response = other_device.get(PROFILE)
    assert response["Content-Language"] == "en"
    assert "My account" in response.content.decode()

    other_device.post(reverse("logout"))
    assert other_device.get(reverse("login"))["Content-Language"] == "th"  # the device's choice


def test_without_a_saved_language_the_device_switch_applies(staff):
    assert staff.language == ""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(staff)

    assert client.get(PROFILE)["Content-Language"] == "en"


def test_a_request_in_english_leaves_the_threads_language_as_it_was(staff):
    """The test client serves in this thread, as a worker that runs tasks in-process would: what
    runs here after the request must not speak the last visitor's language."""
    from django.utils import translation

    staff.language = "en"
    staff.save(update_fields=["language"])
    client = Client()
    client.force_login(staff)
    with translation.override("th"):
        assert client.get(PROFILE)["Content-Language"] == "en"
        assert translation.get_language() == "th"


def test_the_language_switch_saves_a_signed_in_persons_choice(staff):
    client = signed_in(staff)

    response = client.post(reverse("set_language"), {"language": "en", "next": PROFILE})

    assert response.status_code == 302 and response["Location"] == PROFILE
    staff.refresh_from_db()
    assert staff.language == "en"
    assert client.get(PROFILE)["Content-Language"] == "en"

    client.post(reverse("set_language"), {"language": "th", "next": PROFILE})
    staff.refresh_from_db()
    assert staff.language == "th"


def test_the_switch_ignores_a_language_the_site_does_not_speak(staff):
    client = signed_in(staff)

    client.post(reverse("set_language"), {"language": "fr", "next": PROFILE})

    staff.refresh_from_db()
    assert staff.language == ""
    assert client.get(PROFILE)["Content-Language"] == "th"


def test_the_switch_still_works_for_anonymous_visitors(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get(reverse("login"))["Content-Language"] == "en"


def test_log_out_everywhere_ends_the_other_sessions_and_keeps_this_one(staff):
    here, there = signed_in(staff), signed_in(staff)
    assert there.get(PROFILE).status_code == 200

    response = here.post(SESSIONS_END)

    assert response.status_code == 302 and response["Location"] == PROFILE
    assert here.get(PROFILE).status_code == 200
    assert there.get(PROFILE)["Location"].startswith(reverse("login"))
    staff.refresh_from_db()
    assert len(staff.session_salt) == 32


def test_log_out_everywhere_only_ends_my_sessions(staff, director):
    colleague = signed_in(director)

    signed_in(staff).post(SESSIONS_END)

    assert colleague.get(PROFILE).status_code == 200


def test_sessions_from_before_the_salt_stay_signed_in(staff):
    # An empty salt gives Django's own hash: deploying the salt signs nobody out.
    from django.contrib.auth.base_user import AbstractBaseUser

    assert staff.session_salt == ""
    assert staff.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(staff)


def test_changing_the_password_keeps_this_session_and_ends_the_others(staff):
    here, there = signed_in(staff), signed_in(staff)

    response = here.post(
        CHANGE,
        {
            "old_password": "pw",
            "new_password1": "Ch1ang-Mai-2567",
            "new_password2": "Ch1ang-Mai-2567",
        },
    )

    assert response.status_code == 302 and response["Location"] == PROFILE
    staff.refresh_from_db()
    assert staff.check_password("Ch1ang-Mai-2567")
    assert here.get(PROFILE).status_code == 200
    assert there.get(PROFILE)["Location"].startswith(reverse("login"))


def test_a_wrong_old_password_changes_nothing(staff):
    client = signed_in(staff)

    response = client.post(
        CHANGE,
        {
            "old_password": "nope",
            "new_password1": "Ch1ang-Mai-2567",
            "new_password2": "Ch1ang-Mai-2567",
        },
    )

    assert response.status_code == 200
    assert "รหัสผ่านเก่าผิด" in " ".join(response.context["form"].errors["old_password"])
    staff.refresh_from_db()
    assert staff.check_password("pw")


def test_a_weak_new_password_is_refused_by_the_validators(staff):
    response = signed_in(staff).post(
        CHANGE, {"old_password": "pw", "new_password1": "staff", "new_password2": "staff"}
    )

    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "สั้นเกินไป" in errors and "ชื่อผู้ใช้" in errors  # too short, too like the username
    staff.refresh_from_db()
    assert staff.check_password("pw")


def test_memberships_of_another_person_are_not_shown(staff, other_school_staff, other_school):
    page = signed_in(staff).get(PROFILE).content.decode()

    assert other_school.name_th not in page
    assert Membership.objects.filter(user=other_school_staff).exists()


def test_a_person_without_roles_sees_a_note(db):
    user = UserFactory(username="newcomer")

    page = signed_in(user).get(PROFILE).content.decode()

    assert "ยังไม่มีบทบาท" in page
