"""Password reset by e-mail: one answer for every address, a link that works once and expires,
a rate limit per address and per e-mail, the e-mail in the person's language."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory

RESET = "/accounts/password/reset/"
LINK = re.compile(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def person(db):
    return UserFactory(username="somchai", email="somchai@school.example", password="old-pass-1")


def ask(client, email, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RESET, {"email": email}, **extra)


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def test_the_reset_pages_live_under_accounts_password_reset():
    assert reverse("accounts:password_reset") == RESET
    assert reverse("accounts:password_reset_done") == "/accounts/password/reset/sent/"
    assert reverse("accounts:password_reset_complete") == "/accounts/password/reset/done/"


def test_the_login_page_links_to_the_reset(client, db):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{RESET}"' in page
    assert "ลืมรหัสผ่าน" in page


def test_a_known_address_gets_a_link_in_thai(client, person, django_capture_on_commit_callbacks):
    response = ask(client, "Somchai@School.example", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["somchai@school.example"]  # the stored address, not the typed one
    assert "\n" not in message.subject
    assert "รหัสผ่าน" in message.subject
    assert "somchai" in message.body and "24 ชั่วโมง" in message.body
    assert LINK.search(message.body)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client, person, django_capture_on_commit_callbacks
):
    known = ask(client, "somchai@school.example", django_capture_on_commit_callbacks)
    unknown = ask(Client(), "nobody@school.example", django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1  # the known address's only
    assert Client().get(unknown["Location"]).content == Client().get(known["Location"]).content


def test_an_inactive_user_gets_no_mail(client, person, django_capture_on_commit_callbacks):
    person.is_active = False
    person.save()

    response = ask(client, person.email, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_user_without_a_usable_password_gets_no_mail(
    client, person, django_capture_on_commit_callbacks
):
    person.set_unusable_password()
    person.save()

    ask(client, person.email, django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_a_malformed_address_is_refused_on_the_form(client, db):
    response = client.post(RESET, {"email": "not-an-address"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert mail.outbox == []


def test_the_e_mail_speaks_the_persons_language_not_the_pages(
    person, django_capture_on_commit_callbacks
):
    person.language = "en"
    person.save()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"

    ask(client, person.email, django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject == "OpenDMC: set a new password"
    assert "The link works once, for 24 hours." in mail.outbox[0].body


def test_the_link_sets_a_new_password_once(client, person, django_capture_on_commit_callbacks):
    ask(client, person.email, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Kh0n-Kaen-2567", "new_password2": "Kh0n-Kaen-2567"}
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    person.refresh_from_db()
    assert person.check_password("Kh0n-Kaen-2567")

    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False
    assert "ใช้ไม่ได้แล้ว" in again.content.decode()
    refused = Client().post(
        link, {"new_password1": "An0ther-Pass-99", "new_password2": "An0ther-Pass-99"}
    )
    person.refresh_from_db()
    assert refused.status_code == 200 and person.check_password("Kh0n-Kaen-2567")


def test_the_new_password_is_checked_by_the_validators(
    client, person, django_capture_on_commit_callbacks
):
    ask(client, person.email, django_capture_on_commit_callbacks)
    form_page = client.get(link_in(mail.outbox[0]), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "ตัวเลขทั้งหมด" in errors  # entirely numeric, in Thai
    person.refresh_from_db()
    assert person.check_password("old-pass-1")


def test_the_link_expires(client, person, django_capture_on_commit_callbacks, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    ask(client, person.email, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    time_machine.move_to(start + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 1), tick=False)
    assert Client().get(link, follow=True).context["validlink"] is True

    time_machine.move_to(start + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1), tick=False)
    assert Client().get(link, follow=True).context["validlink"] is False


def test_resetting_ends_the_other_sessions(client, person, django_capture_on_commit_callbacks):
    elsewhere = Client()
    elsewhere.force_login(person)
    ask(client, person.email, django_capture_on_commit_callbacks)
    form_page = client.get(link_in(mail.outbox[0]), follow=True)

    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Kh0n-Kaen-2567", "new_password2": "Kh0n-Kaen-2567"},
    )

    assert elsewhere.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("limit_by", ["ip", "email"])
def test_the_rate_limit_at_its_edge(
    limit_by, person, django_capture_on_commit_callbacks, settings, time_machine
):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 4 if limit_by == "ip" else 100
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3 if limit_by == "email" else 100
    limit = 4 if limit_by == "ip" else 3
    start = timezone.now()
    time_machine.move_to(start, tick=False)

    def request(n):
        email = f"other{n}@school.example" if limit_by == "ip" else person.email
        # Another address for each request when the e-mail is limited: only the e-mail repeats.
        address = "10.0.0.1" if limit_by == "ip" else f"10.0.0.{n + 1}"
        return ask(Client(REMOTE_ADDR=address), email, django_capture_on_commit_callbacks)

    for n in range(limit):
        assert request(n).status_code == 302
    refused = request(limit)

    assert refused.status_code == 429
    assert "หลายครั้งเกินไป" in refused.content.decode()
    assert "60 นาที" in refused.content.decode()
    sent = len(mail.outbox)

    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    time_machine.move_to(start + timedelta(seconds=window - 1), tick=False)
    assert request(limit + 1).status_code == 429

    time_machine.move_to(start + timedelta(seconds=window + 1), tick=False)
    assert request(limit + 2).status_code == 302
    if limit_by == "email":
        assert len(mail.outbox) == sent + 1


def test_a_refused_request_sends_nothing(person, django_capture_on_commit_callbacks, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    ask(Client(), person.email, django_capture_on_commit_callbacks)

    ask(Client(), person.email, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_the_reset_pages_speak_thai(client, person, django_capture_on_commit_callbacks):
    from tests.i18n.test_one_language import english_in, visible_text

    ask(client, person.email, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    form_page = client.get(link, follow=True)
    invalid = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "1", "new_password2": "2"}
    )
    pages = {
        "form": client.get(RESET),
        "sent": client.get(reverse("accounts:password_reset_done")),
        "confirm": form_page,
        "invalid": invalid,
        "complete": client.get(reverse("accounts:password_reset_complete")),
        "expired": Client().get(reverse("accounts:password_reset_confirm", args=["MQ", "x-y"])),
    }
    names = {"OpenDMC", *User.objects.values_list("username", flat=True)}
    for name, response in pages.items():
        assert response.status_code == 200, name
        words = english_in(visible_text(response.content.decode()), names)
        assert not words, (name, words)


def test_a_locked_out_person_is_offered_the_reset(client, person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "somchai", "password": "wrong"})

    locked = client.post(reverse("login"), {"username": "somchai", "password": "wrong"})

    assert 'id="locked-out"' in locked.content.decode()
    assert f'href="{RESET}"' in locked.content.decode()


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("th", "ชั่วคราว 45 นาที", "Too many failed"), ("en", "for 45 minutes", "ระงับ")],
)
def test_the_locked_out_page_says_the_configured_wait_in_one_language(
    client, person, settings, language, shown, hidden
):
    settings.AXES_COOLOFF_TIME = 0.75
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "somchai", "password": "wrong"})

    page = client.post(reverse("login"), {"username": "somchai", "password": "wrong"})

    text = re.sub(
        r"\s+", " ", re.search(r'id="locked-out">(.*?)</p>', page.content.decode(), re.S)[1]
    )
    assert shown in text
    assert hidden not in text
