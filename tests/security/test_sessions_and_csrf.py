"""Sessions end with the browser and after eight hours; every URL refuses a POST without a CSRF
token. The URL list is walked with the helpers of the access sweep, so new pages are covered."""

import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .test_access_sweep import fill, patterns

NOT_VIEWS = re.compile(r"^(static/|media/)")
API = re.compile(r"^/(api/v1|ims/oneroster)/")


def test_session_settings_end_sessions_with_the_browser_and_after_eight_hours():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_the_session_cookie_is_a_browser_session_cookie(db, staff):
    client = Client()
    response = client.post(reverse("login"), {"username": "staff", "password": "pw"})
    assert response.status_code == 302, response.status_code
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # gone when the browser closes


def test_an_expired_session_sends_the_user_to_login(db, staff, school, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    client.force_login(staff)
    roster = reverse("schools:roster", args=[school.code])
    assert client.get(roster).status_code == 200
    time_machine.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    assert client.get(roster).status_code == 200
    time_machine.shift(timedelta(seconds=120))
    response = client.get(roster)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # A POST with an expired session changes nothing either.
    response = client.post(roster, {"q": "x"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def concrete_paths():
    """Yield one path per URL pattern, its parameters filled with placeholder values.

    CSRF is checked before the view runs, so the objects need not exist."""
    values = {
        "code": ["1050130001"],
        "public_id": [str(uuid.uuid4())],
        "processes": [1],
        "tasks": [],
        "foreign_names": [],
    }
    for pattern in patterns():
        if NOT_VIEWS.match(pattern):
            continue
        if "task_pk" in pattern:
            yield "/" + re.sub(r"<(?:\w+:)?\w+>", "1", pattern)
            continue
        yield from fill(pattern, values)
        if not re.search(r"<(?:\w+:)?\w+>", pattern):
            continue
        names = {n for n in re.findall(r"<(?:\w+:)?(\w+)>", pattern)}
        if names - {"code", "public_id", "process_pk", "pk", "kind", "token", "year", "term"}:
            # A parameter the sweep does not know: fill it with a placeholder of its type.
            yield "/" + re.sub(
                r"<(\w+):\w+>",
                lambda m: {"int": "1", "uuid": str(uuid.uuid4())}.get(m.group(1), "x"),
                pattern,
            )


@pytest.mark.django_db
def test_every_post_without_a_csrf_token_is_refused(staff, ministry_admin):
    paths = sorted(set(concrete_paths()))
    assert len(paths) > 200
    refused = []
    for user in (None, staff, ministry_admin):
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        for path in paths:
            response = client.post(path, {"decision": "approved", "q": "1101700203450"})
            if API.match(path):
                # The API authenticates each call by its key, never by the session cookie, so a
                # forged cross-site post has nothing to ride on: the cookie alone is refused as
                # unauthenticated (401), or the route takes no POST (405).
                if response.status_code not in (401, 405):
                    refused.append(f"{user} POST {path}: {response.status_code} (API)")
            elif response.status_code != 403:
                refused.append(f"{user} POST {path}: {response.status_code}")
    assert not refused, "\n".join(refused[:40])


@pytest.mark.django_db
def test_a_post_with_the_token_passes_the_csrf_check(staff, school):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    page = client.get(reverse("schools:roster", args=[school.code]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        reverse("schools:roster", args=[school.code]), {"q": "x", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
