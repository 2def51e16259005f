"""The login rate limit keys on the username and the client's real address: behind the documented
nginx that is the address nginx appends to X-Forwarded-For, never one a client wrote there, and
without a proxy the header is never read (config/client_ip.py)."""

import pytest
from django.test import Client
from django.urls import reverse

PROXY = "127.0.0.1"  # nginx on the same machine: every request reaches gunicorn from here
ATTACKER, USER = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def login(*, password: str, remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(reverse("login"), {"username": "staff", "password": password}, **headers)


def test_behind_the_proxy_an_attacker_does_not_lock_out_the_user_at_another_address(limit, staff):
    limit.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        login(password="wrong", remote=PROXY, forwarded=ATTACKER)
    # The attacker's own address is locked out, even with the right password.
    assert login(password="pw", remote=PROXY, forwarded=ATTACKER).status_code == 429
    # The real user, through the same proxy from their own address, signs in.
    assert login(password="pw", remote=PROXY, forwarded=USER).status_code == 302


def test_behind_the_proxy_a_forged_forwarded_address_is_not_believed(limit, staff):
    # The attacker writes the user's address into X-Forwarded-For; nginx appends the real one.
    limit.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        login(password="wrong", remote=PROXY, forwarded=f"{USER}, {ATTACKER}")
    assert login(password="pw", remote=PROXY, forwarded=USER).status_code == 302
    # Nor does a new forged address each time let the attacker escape the limit.
    forged = f"10.0.0.99, {ATTACKER}"
    assert login(password="pw", remote=PROXY, forwarded=forged).status_code == 429


def test_without_a_proxy_a_forged_forwarded_address_changes_nothing(limit, staff):
    limit.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        login(password="wrong", remote=ATTACKER, forwarded=f"10.0.0.{n}")
    # Locked by the socket's address, whatever the header says ...
    assert login(password="pw", remote=ATTACKER, forwarded=USER).status_code == 429
    # ... and the user at another address is not.
    assert login(password="pw", remote=USER, forwarded=ATTACKER).status_code == 302


def test_a_request_that_skipped_the_proxy_is_keyed_by_its_socket_address(limit, staff):
    limit.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        login(password="wrong", remote=ATTACKER)
    assert login(password="pw", remote=ATTACKER).status_code == 429
    assert login(password="pw", remote=PROXY, forwarded=USER).status_code == 302
