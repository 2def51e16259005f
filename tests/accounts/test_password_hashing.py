"""Passwords are hashed with Argon2id at OWASP's parameters; a hash from Django's PBKDF2 (every
account made before the switch) still signs in, and is rehashed with Argon2id at that login.

The rest of the suite hashes with MD5 for speed (config/settings/test.py); these tests run the
hashers of the base and production settings, through the login page."""

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
    check_password,
    make_password,
)
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from config.settings import base

OURS = "argon2$argon2id$v=19$m=19456,t=2,p=1$"
PBKDF2 = f"pbkdf2_sha256${PBKDF2PasswordHasher.iterations}$"


@pytest.fixture(autouse=True)
def production_hashers():
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        yield


def stored(user: User, encoded: str) -> str:
    User.objects.filter(pk=user.pk).update(password=encoded)
    return encoded


def login(password: str, *, client: Client | None = None):
    client = client or Client()
    response = client.post(reverse("login"), {"username": "staff", "password": password})
    return client, response


def test_a_new_password_is_hashed_with_argon2id_at_owasps_parameters(staff):
    staff.set_password("a new password")
    assert staff.password.startswith(OURS)
    assert check_password("a new password", staff.password)


def test_a_pbkdf2_password_signs_in_and_is_rehashed_with_argon2id(staff):
    stored(staff, make_password("pw", hasher="pbkdf2_sha256"))
    staff.refresh_from_db()
    assert staff.password.startswith(PBKDF2)

    client, response = login("pw")

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(staff.pk)
    staff.refresh_from_db()
    assert staff.password.startswith(OURS)
    assert check_password("pw", staff.password)
    # The session survives the rehash: the next page is served, not the login page.
    assert client.get(reverse("home")).status_code == 200


def test_an_argon2id_hash_at_our_parameters_is_kept_as_it_is_at_login(staff):
    encoded = stored(staff, make_password("pw"))
    assert encoded.startswith(OURS)

    _client, response = login("pw")

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.password == encoded


def test_an_argon2_hash_at_djangos_own_parameters_is_rehashed_at_ours(staff):
    djangos = Argon2PasswordHasher()
    stored(staff, djangos.encode("pw", djangos.salt()))
    staff.refresh_from_db()
    assert staff.password.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")

    _client, response = login("pw")

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.password.startswith(OURS)


def test_a_wrong_password_fails_and_leaves_the_pbkdf2_hash_as_it_was(staff):
    encoded = stored(staff, make_password("pw", hasher="pbkdf2_sha256"))

    client, response = login("wrong")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    staff.refresh_from_db()
    assert staff.password == encoded


def test_a_locked_out_login_is_refused_before_the_password_is_checked(settings, staff):
    # A PBKDF2 hash from an older Django (fewer iterations: quicker to try five times); the locked
    # out attempt with the right password must neither sign in nor rehash it.
    settings.AXES_FAILURE_LIMIT = 5
    old = PBKDF2PasswordHasher()
    encoded = stored(staff, old.encode("pw", old.salt(), iterations=260_000))
    for _ in range(5):
        login("wrong")

    client, response = login("pw")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    staff.refresh_from_db()
    assert staff.password == encoded
